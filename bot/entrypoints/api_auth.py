"""Bearer tokens of the HTTP API: HANDOFF_API_TOKEN sends events and reads leads, HANDOFF_API_READ_TOKEN
only reads; each takes two tokens while one is being rotated. Compared in constant time."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bot.settings import Settings

bearer = HTTPBearer(
    auto_error=False,
    description="HANDOFF_API_TOKEN (send events, read leads) or HANDOFF_API_READ_TOKEN (read leads only)",
)
_READ_ONLY = "this token may only read leads: sending events takes HANDOFF_API_TOKEN"
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def write_guard(settings: Settings) -> Callable[..., None]:
    """A dependency letting through only the tokens that may send events."""
    return _guard(settings, may_read_only=False)


def read_guard(settings: Settings) -> Callable[..., None]:
    """A dependency letting through every token that may read leads."""
    return _guard(settings, may_read_only=True)


def _guard(settings: Settings, *, may_read_only: bool) -> Callable[..., None]:
    write_tokens, read_tokens = settings.api_tokens, settings.api_read_tokens

    def require_token(credentials: Credentials = None) -> None:
        if not write_tokens and not read_tokens:
            raise _unauthorized("the HTTP API is off: HANDOFF_API_TOKEN is not set on the server")
        token = credentials.credentials if credentials else ""
        if _matches(token, write_tokens):
            return
        if not _matches(token, read_tokens):
            raise _unauthorized("missing or wrong bearer token")
        if not may_read_only:
            raise HTTPException(
                status_code=403,
                detail="this token may only read leads: sending events takes HANDOFF_API_TOKEN",
            )

    return require_token


def _matches(token: str, candidates: tuple[str, ...]) -> bool:
    # Every candidate is compared, so the time taken does not tell which one (if any) matched.
    found = False
    for candidate in candidates:
        found |= secrets.compare_digest(token.encode(), candidate.encode())
    return found


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})
