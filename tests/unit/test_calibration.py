"""Calibration advice: threshold moves only ever go the way that fixes what reps rejected, name the
lane that let the handoffs through, and say what they would have changed; none without evidence."""

from __future__ import annotations

import math

import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot.model_source import load_scoring_model
from scoring.calibration import HAND_RAISE_LANE, BandOutcome, advise
from scoring.model import ScoringModel

MODEL = load_scoring_model(None)
LABELS = {"no_fit": "No fit"}


def with_thresholds(**thresholds: float) -> ScoringModel:
    """The built-in model with other thresholds, as a RevOps copy of its YAML would set them."""
    data = yaml.safe_load(yaml.safe_dump(MODEL.model_dump(mode="json")))
    data["thresholds"].update(thresholds)
    return ScoringModel.model_validate(data)


def test_a_band_below_todays_sql_threshold_never_asks_to_lower_or_keep_it() -> None:
    bands = [
        BandOutcome(50, 60, accepted=2, rejected=8, recycled=0, top_reject_reason="no_fit"),
        BandOutcome(100, None, accepted=9, rejected=1, recycled=0),
    ]

    assert advise(model=MODEL, bands=bands, rules={}, reason_labels=LABELS) == []  # SQL is at 100


def test_score_lane_sqls_just_above_a_low_threshold_mostly_rejected_raise_it() -> None:
    model = with_thresholds(mql=40, sql=60)
    bands = [
        BandOutcome(60, 70, accepted=2, rejected=8, recycled=0, top_reject_reason="no_fit", undecided=3),
        BandOutcome(70, 80, accepted=8, rejected=2, recycled=0),
    ]

    (advice,) = advise(model=model, bands=bands, rules={}, reason_labels=LABELS)

    assert advice.suggestion == "Raise the SQL threshold from 60 to 70?"
    assert advice.evidence == (
        "8 of 10 handoffs scored 60–69 were rejected, mostly as 'No fit'; "
        "would have sent 13 fewer cards, 2 of them accepted"
    )


def test_rejected_hand_raises_raise_the_fit_floor_not_the_sql_threshold() -> None:
    bands = [
        BandOutcome(
            -20, -10, accepted=1, rejected=9, recycled=1, top_reject_reason="no_fit", lane=HAND_RAISE_LANE
        ),
        BandOutcome(-10, 0, accepted=1, rejected=7, recycled=2, lane=HAND_RAISE_LANE, undecided=1),
        BandOutcome(0, 10, accepted=7, rejected=3, recycled=0, lane=HAND_RAISE_LANE),
    ]

    (advice,) = advise(model=MODEL, bands=bands, rules={}, reason_labels=LABELS)

    assert advice.suggestion == "Raise the hand-raise fit floor (hand_raise_min_fit) from -20 to 0?"
    assert advice.evidence.startswith("16 of 21 hand-raises (the fast lane) from leads with fit -20 to -1")
    assert advice.evidence.endswith("would have sent 22 fewer cards, 2 of them accepted")
    assert (advice.setting, advice.current, advice.proposed) == ("hand_raise_min_fit", -20, 0)


def test_the_hand_raise_lane_is_compared_with_the_rules() -> None:
    rules = {"webinar_attended": (15, 12), HAND_RAISE_LANE: (20, 2)}

    suggestions = [a.suggestion for a in advise(model=MODEL, bands=[], rules=rules, reason_labels=LABELS)]

    assert suggestions == [
        "Give 'Attended a webinar' more points, "
        "or raise the hand-raise fit floor (hand_raise_min_fit, now -20)?"
    ]


def test_a_rarely_accepted_hand_raise_lane_asks_for_a_higher_floor() -> None:
    rules = {HAND_RAISE_LANE: (20, 2), "email_open": (12, 1), "page_view": (30, 0)}

    suggestions = [a.suggestion for a in advise(model=MODEL, bands=[], rules=rules, reason_labels=LABELS)]

    assert "Raise the hand-raise fit floor (hand_raise_min_fit) above -20?" in suggestions


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
    bands = [BandOutcome(100, 110, accepted=0, rejected=9, recycled=0)]
    rules = {"webinar_attended": (9, 9), "content_download": (9, 0)}

    assert advise(model=MODEL, bands=bands, rules=rules, reason_labels=LABELS) == []


def test_unknown_rules_from_an_older_model_are_ignored() -> None:
    rules = {"retired_rule": (50, 0), "webinar_attended": (20, 15)}

    assert advise(model=MODEL, bands=[], rules=rules, reason_labels=LABELS) == []


band_strategy = st.builds(
    lambda lane, low, width, open_top, counts: BandOutcome(
        low, None if open_top else low + width, *counts, lane=lane
    ),
    st.sampled_from(["score", HAND_RAISE_LANE]),
    st.integers(min_value=-60, max_value=200).map(float),
    st.sampled_from([5.0, 10.0, 20.0]),
    st.booleans(),
    st.tuples(*[st.integers(min_value=0, max_value=30)] * 3, st.integers(min_value=0, max_value=5)),
)


@given(
    mql=st.integers(min_value=1, max_value=150),
    above=st.integers(min_value=0, max_value=100),
    floor=st.integers(min_value=-60, max_value=60),
    bands=st.lists(band_strategy, max_size=8),
)
def test_every_suggested_threshold_move_goes_up_from_where_it_is(
    mql: int, above: int, floor: int, bands: list[BandOutcome]
) -> None:
    model = with_thresholds(mql=mql, sql=mql + above, hand_raise_min_fit=floor)

    for advice in advise(model=model, bands=bands, rules={}, reason_labels=LABELS):
        assert advice.setting in (None, "sql", "hand_raise_min_fit")
        if advice.setting is not None:
            current = getattr(model.thresholds, advice.setting)
            assert advice.current == current
            assert advice.proposed is not None
            assert advice.proposed > current
            assert f"to {advice.proposed:g}?" in advice.suggestion
            assert math.isfinite(advice.proposed)


def test_enough_outcomes_compare_rules_by_what_their_leads_became_not_by_clicks() -> None:
    clicks = {"seniority_vp": (20, 2), "pricing_page": (20, 18)}  # reps liked pricing viewers
    crm = {"seniority_vp": (12, 9, 240_000.0), "pricing_page": (12, 2, 8_000.0)}  # VPs bought

    (advice,) = advise(model=MODEL, bands=[], rules=clicks, reason_labels=LABELS, outcomes=crm)

    assert advice.suggestion == "Give 'VP' more points or 'Viewed pricing' fewer?"
    assert advice.evidence == (
        "'VP' leads converted 4.5× as often (9 of 12 vs 2 of 12); 240,000 won vs 8,000"
    )


def test_too_few_outcomes_leave_the_advice_to_the_clicks() -> None:
    clicks = {"seniority_vp": (20, 2), "pricing_page": (20, 18)}
    crm = {"seniority_vp": (4, 4, 90_000.0), "pricing_page": (12, 2, 0.0)}

    (advice,) = advise(model=MODEL, bands=[], rules=clicks, reason_labels=LABELS, outcomes=crm)

    assert advice.suggestion == "Give 'Viewed pricing' more points or 'VP' fewer?"
