"""What each listener needs from a Slack payload, parsed tolerantly in one place.

Each model keeps only the fields a listener uses, in Slack's own shape, so that the dump of a
parsed payload is what Bolt dispatches (its internals index into payloads without checking them).
Required fields that are missing or of the wrong type make the payload malformed; optional ones
become None; text loses control characters and unpaired surrogates (neither database stores them).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WrapValidator
from pydantic_core.core_schema import ValidatorFunctionWrapHandler

_UNSTORABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
_SLACK_ID = r"^[A-Z0-9]{1,32}$"
_URL = r"^https?://[^\s]{1,2000}$"


def clean_text(text: str, limit: int) -> str:
    """``text`` without control characters (newlines and tabs stay) nor surrogates, cut to ``limit``."""
    return _UNSTORABLE.sub("", text[: limit * 2])[:limit]


def _text(limit: int) -> BeforeValidator:
    return BeforeValidator(lambda value: clean_text(value, limit) if isinstance(value, str) else None)


def _or_none(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    try:
        return handler(value)
    except ValidationError:
        return None


Text = Annotated[str | None, _text(255)]
LongText = Annotated[str | None, _text(4000)]
SlackId = Annotated[str, Field(pattern=_SLACK_ID)]
OptionalId = Annotated[SlackId | None, WrapValidator(_or_none)]
Url = Annotated[str, Field(pattern=_URL)]
OptionalUrl = Annotated[Url | None, WrapValidator(_or_none)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    def to_bolt(self) -> dict[str, Any]:
        """The payload Bolt dispatches: this model's fields in Slack's shape."""
        return self.model_dump(mode="json", exclude_none=True)


class Ref(_Model):
    """A user, channel or team, by id."""

    id: SlackId


OptionalRef = Annotated[Ref | None, WrapValidator(_or_none)]


class ButtonAction(_Model):
    """The button pressed."""

    action_id: Annotated[str, Field(max_length=255)]
    block_id: Text = None
    value: Text = None


class Message(_Model):
    """The card the button is on: its timestamp and the lead's name from its header."""

    ts: Text = None
    header: Text = None


def _message(value: Any) -> Any:
    if not isinstance(value, dict):
        return None
    blocks = value.get("blocks")
    first = blocks[0] if isinstance(blocks, list) and blocks and isinstance(blocks[0], dict) else {}
    text = first.get("text")
    # Bolt hands listeners the payload as the gate reduced it: the header is already taken out.
    kept = value.get("header") if isinstance(value.get("header"), str) else None
    return {"ts": value.get("ts"), "header": text.get("text") if isinstance(text, dict) else kept}


class ButtonClick(_Model):
    """A ``block_actions`` payload: who pressed which button on which card."""

    type: Literal["block_actions"]
    user: Ref
    channel: Ref
    team: OptionalRef = None
    actions: Annotated[
        list[ButtonAction],
        BeforeValidator(lambda v: v[:1] if isinstance(v, list) else v),
        Field(min_length=1),
    ]
    trigger_id: Text = None
    response_url: OptionalUrl = None
    message: Annotated[Message | None, BeforeValidator(_message)] = None

    @property
    def action(self) -> ButtonAction:
        """The one button pressed."""
        return self.actions[0]


def _dict_of_dicts(value: Any) -> Any:
    if not isinstance(value, dict):
        return {}
    return {key: inner for key, inner in value.items() if isinstance(inner, dict)}


class Option(_Model):
    """A select menu's chosen option."""

    value: Text = None


class InputState(_Model):
    """One input of a submitted modal: typed text, a chosen option or a picked date."""

    value: LongText = None
    selected_option: Annotated[Option | None, WrapValidator(_or_none)] = None
    selected_date: Text = None


class ViewState(_Model):
    """A submitted modal's inputs by block and action id; anything not shaped so is dropped."""

    values: Annotated[
        dict[str, Annotated[dict[str, InputState], BeforeValidator(_dict_of_dicts)]],
        BeforeValidator(_dict_of_dicts),
    ] = Field(default_factory=dict)


class View(_Model):
    """A submitted modal."""

    type: Literal["modal"] = "modal"
    id: Text = None
    callback_id: Annotated[str, Field(max_length=255)]
    private_metadata: LongText = None
    state: Annotated[ViewState, BeforeValidator(lambda v: v if isinstance(v, dict) else {})] = Field(
        default_factory=ViewState
    )


class ModalSubmission(_Model):
    """A ``view_submission`` payload."""

    type: Literal["view_submission"]
    user: Ref
    team: OptionalRef = None
    view: View
    trigger_id: Text = None


class LeadCommand(_Model):
    """A ``/lead`` slash command (form fields)."""

    command: Literal["/lead"]
    user_id: SlackId
    channel_id: OptionalId = None
    team_id: OptionalId = None
    text: Annotated[str, _text(4000), BeforeValidator(lambda v: "" if v is None else v)] = ""
    response_url: Url
    trigger_id: Text = None


class HomeOpened(_Model):
    """An ``app_home_opened`` event."""

    type: Literal["app_home_opened"]
    user: SlackId
    tab: Text = None


class EventCallback(_Model):
    """An Events API delivery of an event we listen for."""

    type: Literal["event_callback"]
    team_id: OptionalId = None
    event_id: Text = None
    event: HomeOpened


class UrlVerification(_Model):
    """Slack's check of the request URL: it expects its challenge back."""

    type: Literal["url_verification"]
    challenge: Annotated[str, Field(max_length=255)]
