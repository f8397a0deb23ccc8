"""Every Block Kit identifier the bot sends and listens for, and the fixed list of decision reasons."""

from __future__ import annotations

ACCEPT = "handoff_accept"
REJECT = "handoff_reject"
RECYCLE = "handoff_recycle"

DECISION_BLOCK = "decision"

REJECT_MODAL = "handoff_reject_modal"
RECYCLE_MODAL = "handoff_recycle_modal"
MODAL_CALLBACKS = {"reject": REJECT_MODAL, "recycle": RECYCLE_MODAL}

REASON_BLOCK = "reason"
REASON_ACTION = "reason_select"
NOTE_BLOCK = "note"
NOTE_ACTION = "note_input"
RECYCLE_DATE_BLOCK = "recycle_until"
RECYCLE_DATE_ACTION = "recycle_date"

HANDOFF_CARD_EVENT = "handoff_card"

REASONS: tuple[tuple[str, str], ...] = (
    ("no_fit", "No fit"),
    ("bad_contact_data", "Bad contact data"),
    ("no_budget", "No budget"),
    ("bad_timing", "Bad timing"),
    ("competitor", "Competitor"),
    ("student_or_job_seeker", "Student or job seeker"),
    ("already_customer", "Already a customer"),
    ("duplicate", "Duplicate"),
    ("other", "Other"),
)
_LABELS = dict(REASONS)


def is_reason(value: str | None) -> bool:
    """Whether ``value`` is one of the fixed decision reasons."""
    return value in _LABELS


def reason_label(value: str) -> str:
    """The label people read for a reason value; an unknown value is shown as it is."""
    return _LABELS.get(value, value)
