"""Reading a CI report's bytes as JSON, the same way for every JSON parser.

:func:`load` reads the whole stream and returns the parsed document. Anything else raises
:class:`~bot.errors.ReportError` whose message starts with the file's name, says what is wrong
and ends with ``; expected <what>``, the format the caller wanted. A file that is

- empty, or only white space: ``<name> is empty; expected <what>``;
- not UTF-8 (or UTF-16/32) text: ``<name>: not UTF-8 text (bad byte at offset N); …``;
- XML: ``<name>: it is XML, not JSON (a JUnit or coverage report?); …``;
- not JSON: ``<name>: invalid JSON at line L, column C: <reason> (a truncated upload?); …``;
- nested deeper than the interpreter can parse: ``<name>: refused: the JSON is nested too
  deeply; …``;
- holding an integer of more than 4300 digits: ``<name>: unreadable JSON (<Python's reason>);
  …``;
- holding ``NaN``, ``Infinity``, ``-Infinity`` or a number too large for a float (``1e999``),
  when the caller passes ``allow_nan=False``: ``<name>: refused: the JSON holds NaN, not a
  finite number; …``.

The encoding is detected as :func:`json.loads` detects it for bytes (RFC 8259: UTF-8, or
UTF-16/32 by their BOM or zero bytes), and a UTF-8 byte-order mark is skipped. Lines count
from the top of the file, leading blank lines included, and byte offsets from its first byte.

Python's json module reads ``NaN`` and the infinities, which are not JSON. By default they are
kept as floats, for parsers that check each number themselves and can name the entry that holds
it; ``allow_nan=False`` refuses them while reading, as ``json.dumps(allow_nan=False)`` does
when writing.
"""

from __future__ import annotations

import json
import math
from typing import BinaryIO, NoReturn

from bot.errors import ReportError

__all__ = ["load"]

_BOM = "\ufeff"


def load(source: BinaryIO, *, name: str, what: str, allow_nan: bool = True) -> object:
    """The JSON document in ``source``, read to its end.

    ``name`` (the file name) starts every error message; ``what`` names the expected format at
    its end, as in ``"SARIF 2.1.0 JSON"``. ``allow_nan=False`` refuses ``NaN``, ``Infinity``,
    ``-Infinity`` and numbers too large for a float. The module's docstring lists the errors.
    """
    expected = f"; expected {what}"
    text = _decode(source.read(), name=name, expected=expected)
    start = text.lstrip(" \t\r\n")
    if not start:
        raise ReportError(f"{name} is empty{expected}")
    if start.startswith("<"):
        raise ReportError(f"{name}: it is XML, not JSON (a JUnit or coverage report?){expected}")

    def refuse(constant: str) -> NoReturn:
        raise ReportError(
            f"{name}: refused: the JSON holds {constant}, not a finite number{expected}"
        )

    def finite(literal: str) -> float:
        number = float(literal)
        return number if math.isfinite(number) else refuse(literal)

    try:
        if allow_nan:
            return json.loads(text)
        return json.loads(text, parse_constant=refuse, parse_float=finite)
    except json.JSONDecodeError as broken:
        raise ReportError(
            f"{name}: invalid JSON at line {broken.lineno}, column {broken.colno}: "
            f"{broken.msg.removesuffix(' at')} (a truncated upload?){expected}"
        ) from None
    except ValueError as refused:  # an integer of more than 4300 digits (sys.int_info)
        raise ReportError(f"{name}: unreadable JSON ({refused}){expected}") from None
    except RecursionError:
        raise ReportError(f"{name}: refused: the JSON is nested too deeply{expected}") from None


def _decode(data: bytes, *, name: str, expected: str) -> str:
    encoding = json.detect_encoding(data)
    if encoding == "utf-8-sig":  # decode the BOM as text, so that offsets count it
        encoding = "utf-8"
    try:
        return data.decode(encoding).removeprefix(_BOM)
    except UnicodeDecodeError as undecodable:
        raise ReportError(
            f"{name}: not UTF-8 text (bad byte at offset {undecodable.start}){expected}"
        ) from None
