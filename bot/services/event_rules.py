"""What an event's text, email and properties may hold: what both databases store unchanged.

Each check raises ValueError with a sentence for the client; pydantic turns it into a refusal.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

MAX_DEPTH = 8
MAX_VALUES = 1000
MAX_STRING = 4096
MAX_KEY = 200
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# C0 and C1 controls, DEL and lone surrogates; free text keeps tab, line feed and carriage return.
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# Plain ASCII addresses every email validator accepts; anything else goes to email-validator.
_PLAIN_EMAIL = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]{1,64}(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]{1,64})*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)
_SPECIAL_NAMES = frozenset(SPECIAL_USE_DOMAIN_NAMES)
_SPECIAL_SUFFIXES = tuple(f".{name}" for name in SPECIAL_USE_DOMAIN_NAMES if "." in name)


def single_line(value: str) -> str:
    """Refuse any control character (identifiers)."""
    if found := _ANY_CONTROL.search(value):
        raise ValueError(_control_message(found.group(), allowed=""))
    return value


def free_text(value: str) -> str:
    """Refuse control characters other than tab and line breaks (names, titles, property values)."""
    if found := _TEXT_CONTROL.search(value):
        raise ValueError(_control_message(found.group(), allowed="; only tab and line breaks are allowed"))
    return value


def _control_message(character: str, *, allowed: str) -> str:
    code = f"U+{ord(character):04X}"
    if "\ud800" <= character <= "\udfff":
        return f"contains a lone surrogate ({code}), which is not valid Unicode"
    return f"contains a control character ({code}){allowed}"


@lru_cache(maxsize=1 << 16)  # a lead sends many events
def email_address(value: str) -> str:
    """A lower-case address, or ValueError: email-validator's grammar, no deliverability check."""
    if _is_plain_email(value):
        return value
    try:
        checked = validate_email(value, check_deliverability=False, strict=True)
    except EmailNotValidError as exc:
        raise ValueError(f"not an email address: {exc}") from None
    return checked.normalized.lower()


def _is_plain_email(value: str) -> bool:
    if len(value) > 254 or not _PLAIN_EMAIL.fullmatch(value):
        return False
    at = value.index("@")
    domain = value[at + 1 :]
    return (
        at <= 64
        and "--" not in domain
        and domain.rpartition(".")[2] not in _SPECIAL_NAMES
        and not domain.endswith(_SPECIAL_SUFFIXES)
    )


class PropertyError(ValueError):
    """A wrong value inside ``properties``; ``path`` leads to it (keys and list indexes)."""

    def __init__(self, message: str, path: tuple[str | int, ...]) -> None:
        super().__init__(message)
        self.path = path


def check_properties(properties: dict[str, Any]) -> dict[str, Any]:
    """Refuse what a JSON column would not keep exactly: see the module's limits."""
    for key, value in properties.items():  # most events carry a few short strings: check them fast
        if not (
            type(value) is str
            and len(value) <= MAX_STRING
            and len(key) <= MAX_KEY
            and _TEXT_CONTROL.search(value) is None
            and _TEXT_CONTROL.search(key) is None
        ):
            return _walk(properties)
    return properties if len(properties) <= MAX_VALUES else _walk(properties)


def _walk(properties: dict[str, Any]) -> dict[str, Any]:
    count = 0
    pending: list[tuple[Any, tuple[str | int, ...]]] = [(properties, ())]
    while pending:
        value, path = pending.pop()
        if isinstance(value, dict):
            members: Any = value.items()
        elif isinstance(value, list):
            members = enumerate(value)
        else:
            _check_scalar(value, path)
            continue
        if len(path) >= MAX_DEPTH:
            raise PropertyError(f"nested deeper than {MAX_DEPTH} levels", path)
        count += len(value)
        if count > MAX_VALUES:
            raise PropertyError(f"more than {MAX_VALUES} values in all", ())
        for key, member in members:
            if isinstance(value, dict):
                _check_key(key, path)
            pending.append((member, (*path, key)))
    return properties


def _check_key(key: Any, path: tuple[str | int, ...]) -> None:
    if not isinstance(key, str):
        raise PropertyError("a key is not a string", path)
    if len(key) > MAX_KEY:
        raise PropertyError(f"a key is longer than {MAX_KEY} characters", path)
    try:
        free_text(key)
    except ValueError as exc:
        raise PropertyError(f"a key {exc}", path) from None


def _check_scalar(value: Any, path: tuple[str | int, ...]) -> None:
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise PropertyError(f"longer than {MAX_STRING} characters", path)
        try:
            free_text(value)
        except ValueError as exc:
            raise PropertyError(str(exc), path) from None
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise PropertyError("integer out of the 64-bit range: send it as a string", path)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise PropertyError("not a finite number (NaN and Infinity are not JSON)", path)
    else:
        raise PropertyError(f"not a JSON value ({type(value).__name__})", path)
