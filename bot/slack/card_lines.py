"""How tall a card is before its buttons, in lines of text: the budget a card must fit in."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: A card fits one desktop screen: at most this many lines of text above its buttons.
CARD_LINE_BUDGET = 15


def _lines(text: str) -> int:
    return text.count("\n") + 1


def _block_lines(block: dict[str, Any]) -> int:
    kind = block.get("type")
    if kind == "section":
        lines = _lines(block["text"]["text"]) if block.get("text") else 0
        fields = [_lines(field["text"]) for field in block.get("fields", [])]
        # Slack lays fields out two a row; a row is as tall as its taller field.
        lines += sum(max(fields[start : start + 2]) for start in range(0, len(fields), 2))
        return lines
    if kind == "context":
        # Context elements sit side by side on one line; a newline inside one adds a line.
        return 1 + sum(_lines(str(element.get("text", ""))) - 1 for element in block.get("elements", []))
    if kind == "header":
        return _lines(block["text"]["text"])
    if kind == "rich_text":
        return 1 + str(block).count("\\n")
    return 1


def lines_before_buttons(blocks: Sequence[dict[str, Any]]) -> int:
    """Lines of text a card shows above its actions block (all of them when it has none), counting
    every newline: a header or a context is one line, a section its text's lines plus its fields'."""
    total = 0
    for block in blocks:
        if block.get("type") == "actions":
            break
        total += _block_lines(block)
    return total
