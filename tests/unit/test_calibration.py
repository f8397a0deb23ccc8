"""Calibration advice: concrete suggestions with their counts, and none without enough evidence."""

from __future__ import annotations

from bot.model_source import load_scoring_model
from scoring.calibration import BandOutcome, advise

MODEL = load_scoring_model(None)
LABELS = {"no_fit": "No fit"}


def test_a_mostly_rejected_band_suggests_raising_its_threshold() -> None:
    bands = [
        BandOutcome(50, 60, accepted=2, rejected=8, recycled=0, top_reject_reason="no_fit"),
        BandOutcome(100, None, accepted=9, rejected=1, recycled=0),
    ]

    advice = advise(model=MODEL, bands=bands, rules={}, reason_labels=LABELS)

    assert [a.suggestion for a in advice] == ["Raise the SQL threshold to 60?"]
    assert advice[0].evidence == "8 of 10 handoffs scored 50–59 were rejected, mostly as 'No fit'"


def test_rules_accepted_far_more_often_than_others_are_compared() -> None:
    rules = {"webinar_attended": (15, 12), "content_download": (10, 4), "pricing_page": (12, 6)}

    advice = advise(model=MODEL, bands=[], rules=rules, reason_labels=LABELS)

    assert advice[0].suggestion == "Give 'Attended a webinar' more points or 'Downloaded content' fewer?"
    assert "2.0× as often (12 of 15 vs 4 of 10)" in advice[0].evidence


def test_a_rarely_accepted_rule_is_flagged() -> None:
    rules = {"webinar_attended": (20, 15), "email_open": (12, 2), "page_view": (30, 3)}

    advice = advise(model=MODEL, bands=[], rules=rules, reason_labels=LABELS)

    assert "Lower the points of 'Opened emails'?" in [a.suggestion for a in advice]


def test_nothing_is_suggested_below_the_minimum_sample() -> None:
    bands = [BandOutcome(50, 60, accepted=0, rejected=9, recycled=0)]
    rules = {"webinar_attended": (9, 9), "content_download": (9, 0)}

    assert advise(model=MODEL, bands=bands, rules=rules, reason_labels=LABELS) == []


def test_unknown_rules_from_an_older_model_are_ignored() -> None:
    rules = {"retired_rule": (50, 0), "webinar_attended": (20, 15)}

    assert advise(model=MODEL, bands=[], rules=rules, reason_labels=LABELS) == []
