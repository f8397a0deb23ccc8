"""The installed version of Handoff, from its package metadata."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def handoff_version() -> str:
    """``handoff``'s version as installed (pyproject.toml), or ``0+unknown`` when run from a bare tree."""
    try:
        return version("handoff")
    except PackageNotFoundError:
        return "0+unknown"
