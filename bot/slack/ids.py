"""Every Block Kit identifier the bot sends and listens for, and the fixed list of decision reasons."""

from __future__ import annotations

from scoring.types import Decision

ACCEPT = "handoff_accept"
REJECT = "handoff_reject"
RECYCLE = "handoff_recycle"
REASSIGN = "handoff_reassign"

DECISION_BLOCK = "decision"

REJECT_MODAL = "handoff_reject_modal"
RECYCLE_MODAL = "handoff_recycle_modal"
REASSIGN_MODAL = "handoff_reassign_modal"
REASSIGN_TO_BLOCK = "reassign_to"
REASSIGN_TO_ACTION = "reassign_to_select"
REASSIGN_REASON_BLOCK = "reassign_reason"
REASSIGN_REASON_ACTION = "reassign_reason_input"
MODAL_CALLBACKS = {Decision.REJECT: REJECT_MODAL, Decision.RECYCLE: RECYCLE_MODAL}
BUTTONS = frozenset({ACCEPT, REJECT, RECYCLE, REASSIGN})  # every button a card carries
MODALS = frozenset({REJECT_MODAL, RECYCLE_MODAL, REASSIGN_MODAL})  # every modal the bot opens

REASON_BLOCK = "reason"
REASON_ACTION = "reason_select"
NOTE_BLOCK = "note"
NOTE_ACTION = "note_input"
RECYCLE_DATE_BLOCK = "recycle_until"
RECYCLE_DATE_ACTION = "recycle_date"

HANDOFF_CARD_EVENT = "handoff_card"
