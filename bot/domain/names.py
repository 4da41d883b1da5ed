"""Did-you-mean: the closest known name to one a person typed."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: str, choices: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The choice most like ``name`` (ignoring case), or None when none is close enough."""
    folded = {choice.lower(): choice for choice in choices}
    match = difflib.get_close_matches(name.lower(), list(folded), n=1, cutoff=cutoff)
    return folded[match[0]] if match else None
