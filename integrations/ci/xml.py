"""Safe, streaming XML for every XML report parser.

Everything goes through :func:`events`: defusedxml's ``iterparse`` with entities and external
references forbidden, so an XXE or "billion laughs" file is refused at its first entity
declaration, before anything expands. A DOCTYPE alone is allowed (Cobertura and JaCoCo write
one); expat never fetches it. Parsers clear each element once they have read it, so memory
stays bounded by the deepest open element, not the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from bot.errors import ReportError

__all__ = ["events", "local_name"]


def local_name(tag: str) -> str:
    """``{namespace}testcase`` to ``testcase``."""
    return tag.rpartition("}")[2]


def events(source: BinaryIO, *, name: str) -> Iterator[tuple[str, Element]]:
    """``("start" | "end", element)`` pairs of ``source``; ReportError for hostile or broken XML."""
    seen = False
    try:
        for event, element in iterparse(
            source, events=("start", "end"), forbid_dtd=False, forbid_entities=True
        ):
            seen = True
            yield event, element
    except DefusedXmlException as refused:
        raise ReportError(
            f"{name}: refused: the XML declares entities or external references "
            f"({type(refused).__name__}); CI reports never need them"
        ) from None
    except LookupError as unknown:  # an XML declaration naming an encoding Python lacks
        raise ReportError(f"{name}: the XML declares an unknown encoding ({unknown})") from None
    except ParseError as broken:
        if not seen and broken.position == (1, 0):
            raise ReportError(f"{name} is empty or not XML") from None
        line, column = broken.position
        raise ReportError(
            f"{name}: not well-formed XML at line {line}, column {column + 1}: "
            f"{_reason(broken)} (a truncated upload?)"
        ) from None


def _reason(error: ParseError) -> str:
    return str(error).split(":", 1)[0]
