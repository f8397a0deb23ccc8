"""How an event reads on a card: a label and the properties worth showing, per event type.

A model may declare them under ``events:``; built-in defaults cover the known event types, and any
other type reads as its own words. Pure data: nothing here reads files or the clock.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: Properties that identify or reach a person: shown on a card only where a setting allows.
PERSONAL_PROPERTIES = frozenset({"phone", "mobile", "email", "address", "linkedin"})

#: Domains of free mailboxes: no company behind them, so they never make an account.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "mail.com",
        "yandex.com",
        "web.de",
    }
)


class EventDisplay(BaseModel):
    """A label for an event type and which of its properties a card shows, in that order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = Field(min_length=1, max_length=80)
    show: tuple[str, ...] = Field(default=(), max_length=5)
    personal: tuple[str, ...] | None = Field(
        default=None, description="properties shown only where allowed; default: phone, email and the like"
    )

    @field_validator("show", "personal", mode="before")
    @classmethod
    def _comma_separated(cls, names: object) -> object:
        if isinstance(names, str):
            return tuple(name.strip() for name in names.split(",") if name.strip())
        return names

    @field_validator("show", "personal")
    @classmethod
    def _property_names(cls, names: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for name in names or ():
            if not name.replace("_", "").replace("-", "").isalnum():
                raise ValueError(f"{name!r} is not a property name (letters, digits, _ and - only)")
        return names

    def is_personal(self, name: str) -> bool:
        """Whether property ``name`` is personal (shown only where the setting allows)."""
        return name in (self.personal if self.personal is not None else PERSONAL_PROPERTIES)


def _display(label: str, *show: str) -> EventDisplay:
    return EventDisplay(label=label, show=show)


DEFAULT_EVENT_DISPLAY: dict[str, EventDisplay] = {
    "page_view": _display("Viewed", "url"),
    "email_open": _display("Opened an email", "subject"),
    "email_click": _display("Clicked an email", "url"),
    "content_download": _display("Downloaded", "asset"),
    "newsletter_signup": _display("Signed up to the newsletter"),
    "webinar_registered": _display("Registered for a webinar", "webinar"),
    "webinar_attended": _display("Attended a webinar", "webinar"),
    "form_submit": _display("Submitted a form", "form"),
    "trial_signup": _display("Started a trial", "plan"),
    "product_active": _display("Active in the product", "feature"),
    "demo_request": _display("Booked a demo", "form", "message", "phone"),
    "contact_sales": _display("Contacted sales", "form", "message", "phone"),
    "unsubscribe": _display("Unsubscribed"),
    "email_bounce": _display("Email bounced"),
    "opportunity_created": _display("Opportunity created"),
    "closed_won": _display("Won"),
    "closed_lost": _display("Lost"),
}


def display_for(event_type: str, declared: dict[str, EventDisplay]) -> EventDisplay:
    """How ``event_type`` reads: as declared by the model, else the built-in default, else its words."""
    found = declared.get(event_type) or DEFAULT_EVENT_DISPLAY.get(event_type)
    if found is not None:
        return found
    words = " ".join(event_type.replace("_", " ").split()) or "Event"
    return EventDisplay(label=(words[:1].upper() + words[1:])[:80], show=("url",))
