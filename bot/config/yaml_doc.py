"""YAML for the config file: parse with line numbers, refuse what YAML alone gets wrong.

ruamel.yaml's round-trip loader keeps the line of every mapping key and sequence item. Before
loading, the composed node tree is checked for duplicate keys, non-text keys and custom tags,
so each of those is reported with its line and key path (all of them, not just the first).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, ReusedAnchorWarning, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.scalarbool import ScalarBoolean

from bot.config.errors import ConfigError, ConfigErrors

__all__ = ["join_path", "locate", "read_yaml"]

_CORE_TAG = "tag:yaml.org,2002:"
_STR_TAG = _CORE_TAG + "str"
_MERGE_TAG = _CORE_TAG + "merge"
_TIMESTAMP_TAG = _CORE_TAG + "timestamp"
_QUOTE_HINT = '; quote values that start with * or &, e.g. cut: "*/15 * * * *"'


def read_yaml(*, text: str, source: str = "<string>") -> tuple[Any, Any]:
    """Parse ``text``; return the document (with line info) and the same data as plain Python.

    An empty document is an empty mapping. Raises :class:`ConfigErrors` for invalid YAML.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ReusedAnchorWarning)  # legal YAML: the last one wins
            node = YAML(typ="rt").compose(text)
            problems = list(_node_problems(node, path="", seen=set()))
            if problems:
                raise ConfigErrors(errors=problems, source=source)
            document = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        raise ConfigErrors(errors=[_marked_error(exc)], source=source) from None
    except ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        reason = f"invalid YAML: {str(exc).splitlines()[0]}"
        raise ConfigErrors(errors=[ConfigError(reason, line=line)], source=source) from None
    except RecursionError:
        reason = "invalid YAML: nested too deeply"
        raise ConfigErrors(errors=[ConfigError(reason)], source=source) from None
    except (YAMLError, ValueError) as exc:  # pragma: no cover - a guard; the checks above see these
        reason = f"invalid YAML: {exc}"
        raise ConfigErrors(errors=[ConfigError(reason)], source=source) from None
    if document is None:
        document = CommentedMap()
    return document, to_plain(document)


def _marked_error(exc: MarkedYAMLError) -> ConfigError:
    mark = exc.problem_mark or exc.context_mark
    problem = str(exc.problem or exc.context or "cannot parse this")
    start = exc.context_mark
    if problem.startswith("but ") and exc.context:
        problem = f"{exc.context} {problem}"
    elif exc.context and start is not None and mark is not None and start.line != mark.line:
        problem += f" ({exc.context} that starts on line {start.line + 1})"
    reason = f"invalid YAML: {problem}"
    if "alias" in f"{exc.problem} {exc.context}":
        reason += _QUOTE_HINT
    elif "'\\t'" in problem:
        reason += "; indent with spaces, not tabs"
    elif "<block" in problem:
        reason += "; check the indentation"
    return ConfigError(reason, line=None if mark is None else mark.line + 1)


def _node_problems(node: Node | None, *, path: str, seen: set[int]) -> Iterator[ConfigError]:
    if node is None or id(node) in seen:
        return
    seen.add(id(node))
    tag = str(node.tag)
    if not tag.startswith(_CORE_TAG):
        yield ConfigError(
            f"YAML tags such as {tag} are not supported: remove the tag",
            line=node.start_mark.line + 1,
            path=path,
        )
    if tag == _TIMESTAMP_TAG:
        try:
            YAML(typ="rt").load(node.value)
        except ValueError as exc:
            reason = f"{node.value!r} looks like a date but is not one: {exc}"
            yield ConfigError(reason, line=node.start_mark.line + 1, path=path)
    if isinstance(node, MappingNode):
        yield from _mapping_problems(node, path=path, seen=seen)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            yield from _node_problems(item, path=f"{path}[{index}]", seen=seen)


def _mapping_problems(node: MappingNode, *, path: str, seen: set[int]) -> Iterator[ConfigError]:
    first_lines: dict[str, int] = {}
    for key, value in node.value:
        line = key.start_mark.line + 1
        if str(key.tag) == _MERGE_TAG:
            yield from _node_problems(value, path=path, seen=seen)
            continue
        if not isinstance(key, ScalarNode) or str(key.tag) != _STR_TAG:
            shown = key.value if isinstance(key, ScalarNode) else "here"
            yield ConfigError(f"key {shown} is not text: put it in quotes", line=line, path=path)
            continue
        child = join_path(path, key.value)
        if key.value in first_lines:
            reason = f"duplicate key; it is first set on line {first_lines[key.value]}"
            yield ConfigError(reason, line=line, path=child)
            continue
        first_lines[key.value] = line
        yield from _node_problems(value, path=child, seen=seen)


def to_plain(value: Any) -> Any:
    """ruamel's round-trip types as plain ``dict``, ``list``, ``str``, ``int``, ``bool``."""
    if isinstance(value, dict):
        return {str(key): to_plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_plain(item) for item in value]
    if isinstance(value, ScalarBoolean):
        return bool(value)
    for plain in (bool, str, int, float):
        if isinstance(value, plain):
            return plain(value)
    return value


def join_path(path: str, key: str | int) -> str:
    """``slack`` + ``default_channel`` is ``slack.default_channel``; an index is ``[0]``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def locate(document: Any, loc: Sequence[str | int]) -> tuple[int | None, str]:
    """The 1-based line and dotted key path of a pydantic error location in ``document``.

    Parts present in the document move to their key (or item); the last part may be a key
    that is absent (a missing field), which keeps the line of its parent. Parts pydantic adds
    of its own (such as ``[key]`` for a mapping key) are skipped.
    """
    line = document.lc.line + 1 if isinstance(document, CommentedMap | CommentedSeq) else None
    path = ""
    node = document
    for index, part in enumerate(loc):
        if isinstance(node, CommentedMap) and part in node:
            line = _key_line(node, part)
            path = join_path(path, part)
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lc.item(part)[0] + 1
            path = join_path(path, part)
            node = node[part]
        elif index == len(loc) - 1 and part != "[key]":
            path = join_path(path, part)
    return line, path


def _key_line(mapping: CommentedMap, key: str | int) -> int:
    try:
        return int(mapping.lc.key(key)[0]) + 1
    except (KeyError, TypeError):  # a key that came in through a << merge
        return int(mapping.lc.line) + 1
