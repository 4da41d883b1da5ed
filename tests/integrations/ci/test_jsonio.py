"""The JSON loader that the SARIF, benchmark and coverage.py parsers share."""

from __future__ import annotations

import io
import math

import pytest

from bot.errors import ReportError
from integrations.ci import jsonio

WHAT = "thing JSON"
EXPECTED = f"; expected {WHAT}"


def load(data: bytes, *, allow_nan: bool = True) -> object:
    return jsonio.load(io.BytesIO(data), name="r.json", what=WHAT, allow_nan=allow_nan)


def refusal(data: bytes, *, allow_nan: bool = True) -> ReportError:
    with pytest.raises(ReportError) as caught:
        load(data, allow_nan=allow_nan)
    return caught.value


@pytest.mark.parametrize(
    ("data", "document"),
    [
        (b'{"a": [1, 2.5, "x", null, true]}', {"a": [1, 2.5, "x", None, True]}),
        (b"[]", []),
        (b'  "bare"\n', "bare"),
        (b"\xef\xbb\xbf\r\n{}", {}),
        ('{"é": "ü"}'.encode("utf-16"), {"é": "ü"}),
        ('["ü"]'.encode("utf-16-le"), ["ü"]),
        ('["ü"]'.encode("utf-32"), ["ü"]),
        (b"[1" + b"0" * 400 + b"]", [10**400]),
    ],
)
def test_documents(data: bytes, document: object) -> None:
    assert load(data) == document
    assert load(data, allow_nan=False) == document


def test_reads_the_stream_to_its_end() -> None:
    source = io.BytesIO(b'{"a": 1}\n\n')
    assert jsonio.load(source, name="r.json", what=WHAT) == {"a": 1}
    assert source.read() == b""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "r.json is empty"),
        (b" \t\r\n", "r.json is empty"),
        (b"\xef\xbb\xbf\n", "r.json is empty"),
        (b'["\xff"]', "r.json: not UTF-8 text (bad byte at offset 2)"),
        # The offset counts the BOM: it is the byte's place in the file.
        (b'\xef\xbb\xbf["\xff"]', "r.json: not UTF-8 text (bad byte at offset 5)"),
        (b"\xef\xbb\xbf\n  <?xml version='1.0'?><coverage/>",
         "r.json: it is XML, not JSON (a JUnit or coverage report?)"),
        (b'{"a": }', "r.json: invalid JSON at line 1, column 7: Expecting value "
                     "(a truncated upload?)"),
        # Lines count from the top of the file, blank lines before the document included.
        (b'\n\n  {"a": 1,,', "r.json: invalid JSON at line 3, column 11: "
                             "Expecting property name enclosed in double quotes"),
        # json's "... starting at" loses its dangling "at": the position follows.
        (b'{"a": "abc', "r.json: invalid JSON at line 1, column 7: Unterminated string "
                        "starting (a truncated upload?)"),
        (b"{} {}", "r.json: invalid JSON at line 1, column 4: Extra data"),
        (b"\xef\xbb\xbf\xef\xbb\xbf{}", "r.json: invalid JSON at line 1, column 1: Unexpected "
                                       "UTF-8 BOM"),
        (b"[" * 100_000, "r.json: refused: the JSON is nested too deeply"),
        (b"[1" + b"0" * 5000 + b"]", "r.json: unreadable JSON (Exceeds the limit (4300 digits)"),
    ],
)  # fmt: skip
def test_unreadable_files(data: bytes, message: str) -> None:
    error = refusal(data)
    assert error.message.startswith(message)
    assert error.message.endswith(EXPECTED)
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__  # no json traceback shown


def test_every_message_names_the_file_and_the_format() -> None:
    with pytest.raises(ReportError) as caught:
        jsonio.load(io.BytesIO(b"{"), name="reports/scan.sarif", what="SARIF 2.1.0 JSON")
    assert caught.value.message == (
        "reports/scan.sarif: invalid JSON at line 1, column 2: Expecting property name enclosed "
        "in double quotes (a truncated upload?); expected SARIF 2.1.0 JSON"
    )


def test_non_finite_numbers_are_kept_by_default() -> None:
    document = load(b"[NaN, Infinity, -Infinity, 1e999, -1e999]")
    assert isinstance(document, list)
    assert math.isnan(document[0])
    assert document[1:] == [math.inf, -math.inf, math.inf, -math.inf]


@pytest.mark.parametrize(
    ("data", "constant"),
    [
        (b'{"x": NaN}', "NaN"),
        (b'{"x": Infinity}', "Infinity"),
        (b'{"x": -Infinity}', "-Infinity"),
        (b'{"x": 1e999}', "1e999"),
        (b'{"x": -2.5E+400}', "-2.5E+400"),
    ],
)
def test_allow_nan_false_refuses_non_finite_numbers(data: bytes, constant: str) -> None:
    assert refusal(data, allow_nan=False).message == (
        f"r.json: refused: the JSON holds {constant}, not a finite number{EXPECTED}"
    )


def test_allow_nan_false_keeps_finite_floats_exact() -> None:
    assert load(b"[0.1, -2.5e-3, 1e308, 5e-324]", allow_nan=False) == [0.1, -2.5e-3, 1e308, 5e-324]
