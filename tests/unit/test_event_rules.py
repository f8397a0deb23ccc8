"""What an event may hold: emails, text, numbers and properties, each refusal naming its field."""

from __future__ import annotations

from typing import Any

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given
from hypothesis import strategies as st

from bot.services.event_input import Parsed, parse_objects
from bot.services.event_rules import _is_plain_email, email_address
from tests.builders import event


def _one(item: dict[str, Any]) -> Parsed:
    return next(parse_objects([item]))


def _refused_fields(item: dict[str, Any]) -> list[str]:
    return [refusal.field for refusal in _one(item).refusals]


@pytest.mark.parametrize(
    "email",
    [
        "a\u202eb@x.com",
        "a\x00b@x.com",
        "<script>@x.com",
        "Ana <ana@acme.io>",
        "ana ruiz@acme.io",
        "ana@acme",
        "ana@x.test",
        "ana..ruiz@acme.io",
        "a" * 65 + "@acme.io",
        "ana\u200b@acme.io",
        "ana@ac\nme.io",
    ],
)
def test_addresses_no_mail_system_takes_are_refused(email: str) -> None:
    refusals = _one(event(email=email)).refusals

    assert [refusal.field for refusal in refusals] == ["email"]
    assert refusals[0].error.startswith("not an email address")


@pytest.mark.parametrize(
    ("email", "stored"),
    [
        ("Ana.Ruiz+q4@ACME.io", "ana.ruiz+q4@acme.io"),
        ("  ana@acme.io ", "ana@acme.io"),
        ("müller@bücher.de", "müller@bücher.de"),
        ("o'brien@globex.example", "o'brien@globex.example"),
    ],
)
def test_real_addresses_are_kept_in_lower_case(email: str, stored: str) -> None:
    parsed = _one(event(email=email))

    assert parsed.event is not None
    assert parsed.event.email == stored


@given(st.from_regex(r"[a-z0-9.!#$%&'*+/=?^_`{|}~-]{1,70}@[a-z0-9.-]{1,70}", fullmatch=True))
def test_the_fast_path_accepts_only_what_email_validator_accepts(address: str) -> None:
    if _is_plain_email(address):
        assert validate_email(address, check_deliverability=False, strict=True).normalized == address
    try:
        assert email_address(address) == address.lower()
    except ValueError:
        with pytest.raises(EmailNotValidError):
            validate_email(address, check_deliverability=False, strict=True)


@pytest.mark.parametrize(
    ("item", "field"),
    [
        (event(event_id="evt\x00"), "event_id"),
        (event(event_id="evt\tone"), "event_id"),
        (event(event_id="evt\u0085one"), "event_id"),
        (event(lead={"name": "Ana\x07"}), "lead.name"),
        (event(lead={"company": "Acme\ud800"}), "lead.company"),
        (event(properties={"note": "a\x1bb"}), "properties.note"),
        (event(properties={"list": ["ok", "\x00"]}), "properties.list.1"),
    ],
)
def test_control_characters_and_lone_surrogates_are_refused_where_they_are(
    item: dict[str, Any], field: str
) -> None:
    assert _refused_fields(item) == [field]


def test_tab_and_line_breaks_stay_in_free_text() -> None:
    parsed = _one(event(lead={"company": "O'Brien\t& Sons\nLtd"}, properties={"note": "a\r\nb\tc"}))

    assert parsed.event is not None
    assert parsed.event.properties["note"] == "a\r\nb\tc"


def _nested(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("properties", "field", "error"),
    [
        ({"n": 2**63}, "properties.n", "64-bit"),
        ({"n": -(2**63) - 1}, "properties.n", "64-bit"),
        ({"x": float("nan")}, "properties.x", "finite"),
        ({"x": [1.0, float("-inf")]}, "properties.x.1", "finite"),
        (_nested(9), "properties" + ".a" * 8, "deeper than 8"),
        ({"s": "x" * 4097}, "properties.s", "4096"),
        ({"k" * 201: 1}, "properties", "key is longer than 200"),
        ({"k": list(range(1000))}, "properties", "more than 1000 values"),
        ({"k": {1, 2}}, "properties.k", "not a JSON value"),
    ],
)
def test_properties_are_refused_beyond_what_a_json_column_keeps(
    properties: dict[str, Any], field: str, error: str
) -> None:
    refusals = _one(event(properties=properties)).refusals

    assert [(refusal.field, error in refusal.error) for refusal in refusals] == [(field, True)]


@pytest.mark.parametrize(
    "properties",
    [
        {"n": 2**63 - 1, "m": -(2**63), "f": 1.5e308, "z": -0.0},
        _nested(8),
        {"k": list(range(999))},
        {"s": "x" * 4096, "": None, "emoji 🎯": True},
    ],
    ids=["int64-bounds", "8-deep", "1000-values", "long-string"],
)
def test_properties_at_the_limits_are_kept(properties: dict[str, Any]) -> None:
    parsed = _one(event(properties=properties))

    assert parsed.event is not None
    assert parsed.event.properties == properties


@pytest.mark.parametrize(
    ("occurred_at", "error"),
    [
        ("0001-01-01T00:00:00+01:00", "out of range"),
        ("9999-12-31T23:59:59-01:00", "out of range"),
        ("1969-12-31T23:59:59Z", "before 1970"),
        ("2026-11-20T10:00:00", "needs a timezone"),
    ],
)
def test_times_out_of_range_are_refused_in_words(occurred_at: str, error: str) -> None:
    refusals = _one(event() | {"occurred_at": occurred_at}).refusals

    assert [refusal.field for refusal in refusals] == ["occurred_at"]
    assert error in refusals[0].error


def test_odd_time_zones_are_converted_to_utc() -> None:
    parsed = _one(event() | {"occurred_at": "2026-01-01T00:30:00+14:00"})

    assert parsed.event is not None
    assert parsed.event.occurred_at.isoformat() == "2025-12-31T10:30:00+00:00"
