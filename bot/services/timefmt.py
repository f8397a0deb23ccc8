"""Times as people read them."""

from __future__ import annotations

from datetime import datetime


def relative_time(moment: datetime, now: datetime) -> str:
    """'3 h ago', '2 d ago', 'just now'."""
    seconds = (now - moment).total_seconds()
    if seconds < 60:
        return "just now"
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now"
