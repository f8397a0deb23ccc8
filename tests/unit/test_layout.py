"""The rooms of the code base import downward only (ARCHITECTURE.md, "Rooms")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# room -> module prefixes it must never import
FORBIDDEN = {
    "scoring": ("storage", "bot"),
    "storage": ("bot",),
    "bot/services": (
        "bot.slack",
        "bot.runtime",
        "bot.entrypoints",
        "bot.terminal",
        "slack_sdk",
        "slack_bolt",
    ),
    "bot/slack": ("bot.entrypoints", "bot.terminal"),
    "bot/terminal": ("bot.entrypoints", "bot.slack"),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_room_imports_nothing_from_the_rooms_above_it(room: str) -> None:
    offenders = []
    for path in sorted((ROOT / room).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for name in _imports(path):
            if any(name == banned or name.startswith(banned + ".") for banned in FORBIDDEN[room]):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []
