"""Turning scoring-model YAML text into a validated :class:`ScoringModel`.

Reading the file is left to the caller; this module only parses text, so it stays pure.
"""

from __future__ import annotations

from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from scoring.model import ScoringModel
from scoring.routing import Routing

Parsed = TypeVar("Parsed", bound=BaseModel)


class ModelError(ValueError):
    """A scoring model that cannot be used, with one line per problem naming the bad field."""

    def __init__(self, source: str, problems: list[str], *, what: str = "scoring model") -> None:
        self.source = source
        self.problems = problems
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{what} {source} is not valid:\n{listing}")


def parse_model(text: str, *, source: str = "<text>") -> ScoringModel:
    """Parse and validate a scoring model; raises :class:`ModelError` naming each bad field."""
    return parse_yaml(
        text, ScoringModel, source=source, what="scoring model", shape="name, thresholds, fit and engagement"
    )


def parse_routing(text: str, *, source: str = "<text>") -> Routing:
    """Parse and validate a routing file; raises :class:`ModelError` naming each bad field."""
    return parse_yaml(text, Routing, source=source, what="routing file", shape="teams and routes")


def parse_yaml(text: str, kind: type[Parsed], *, source: str, what: str, shape: str) -> Parsed:
    """Parse YAML text into ``kind``; raises :class:`ModelError` naming each bad field by its path
    (``what`` names the file, ``shape`` says what its top level holds)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ModelError(
            source, [f"{where}not valid YAML ({getattr(exc, 'problem', exc)})"], what=what
        ) from exc
    if not isinstance(data, dict):
        raise ModelError(source, [f"the file must be a mapping with {shape}"], what=what)
    try:
        return kind.model_validate(data)
    except ValidationError as exc:
        problems = [_describe(error, data) for error in exc.errors() if not _other_branch(error, data)]
        raise ModelError(source, problems, what=what) from exc


def _describe(error: Any, data: dict[str, Any]) -> str:
    return f"{_path(error['loc'], data)}: {error['msg']}"


def _other_branch(error: Any, data: Any) -> bool:
    """An error of the text branch of a "text or test" value that was written as a test."""
    node = data
    for key in error["loc"]:
        if _is_branch(key, node):
            return key == "str" and isinstance(node, dict)
        node = _child(node, key)
    return False


def _is_branch(key: str | int, node: Any) -> bool:
    # pydantic names the alternative of a union it tried: "str", or "function-after[…, Condition]".
    return (
        isinstance(key, str) and (key == "str" or "[" in key) and not (isinstance(node, dict) and key in node)
    )


def _path(loc: tuple[str | int, ...], data: Any) -> str:
    """A readable path such as ``engagement[3] (pricing_page).half_life_days``."""
    parts: list[str] = []
    node = data
    for key in loc:
        if _is_branch(key, node):
            continue
        if isinstance(key, int):
            rule_id = node[key].get("id") if isinstance(node, list) and isinstance(node[key], dict) else None
            parts[-1] += f"[{key}]" + (f" ({rule_id})" if rule_id else "")
        else:
            parts.append(str(key))
        node = _child(node, key)
    return ".".join(parts) or "(top level)"


def _child(node: Any, key: str | int) -> Any:
    try:
        return node[key]
    except (KeyError, IndexError, TypeError):
        return None
