"""The webhooks file: refused with the path of the wrong field; secrets by value or environment."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot.webhooks.config import EVENT_TYPES, parse_webhooks
from scoring.loader import ModelError, parse_routing
from tests.fakes.webhook_receiver import secret_for_tests

SECRET = secret_for_tests()


def test_a_good_file_names_endpoints_and_the_events_each_takes() -> None:
    text = f"""
endpoints:
  - name: crm
    url: https://crm.example.com/hooks
    secret: {SECRET}
    events: [handoff.decided, lead.outcome]
  - name: zap
    url: https://hooks.example.com/catch
    secret_env: ZAP_SECRET
"""
    config = parse_webhooks(text, source="hooks.yaml", environ={"ZAP_SECRET": SECRET})

    assert [e.name for e in config.taking("handoff.decided")] == ["crm", "zap"]
    assert [e.name for e in config.taking("handoff.posted")] == ["zap"]
    assert config.endpoint("zap").events == EVENT_TYPES  # type: ignore[union-attr]
    assert config.endpoint("zap").signing_secret({"ZAP_SECRET": SECRET}) == SECRET  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("endpoint", "path"),
    [
        ("{name: crm, url: 'https://a.example'}", "endpoints[0]"),
        ("{name: crm, url: 'https://a.example', secret: $SECRET, secret_env: X}", "endpoints[0]"),
        ("{name: crm, url: 'https://a.example', secret: not-base64!}", "endpoints[0]"),
        ("{name: CRM!, url: 'https://a.example', secret: $SECRET}", "endpoints[0].name"),
        ("{name: crm, url: 'ftp://a.example', secret: $SECRET}", "endpoints[0].url"),
        (
            "{name: crm, url: 'https://a.example', secret: $SECRET, events: [lead.sneezed]}",
            "endpoints[0].events[0]",
        ),
        ("{name: crm, url: 'https://a.example', secret_env: UNSET_FOR_SURE}", "endpoints[0].secret_env"),
    ],
)
def test_a_bad_endpoint_is_refused_naming_the_field(endpoint: str, path: str) -> None:
    text = f"endpoints: [{endpoint}]".replace("$SECRET", SECRET)  # a random secret, not in the test's id
    with pytest.raises(ModelError) as refused:
        parse_webhooks(text, source="hooks.yaml", environ={})

    assert f"  - {path}" in str(refused.value)
    assert str(refused.value).startswith("webhooks file hooks.yaml is not valid:")


def test_two_endpoints_with_one_name_are_refused() -> None:
    endpoint = f"{{name: crm, url: 'https://a.example', secret: {SECRET}}}"
    with pytest.raises(ModelError, match="endpoint names must be unique"):
        parse_webhooks(f"endpoints: [{endpoint}, {endpoint}]", source="hooks.yaml", environ={})


_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)


@given(data=st.dictionaries(st.sampled_from(["endpoints", "teams", "routes", "x"]), _values, max_size=3))
def test_any_generated_file_is_taken_or_refused_in_words(data: dict[str, object]) -> None:
    text = yaml.safe_dump(data)

    for refusal in (_refusal(parse_webhooks, text), _refusal(parse_routing, text)):
        assert refusal is None or "is not valid:\n  - " in refusal


def _refusal(parse: Callable[..., object], text: str) -> str | None:
    try:
        parse(text, source="f.yaml")
    except ModelError as refused:
        return str(refused)
    return None


def test_the_readmes_example_files_are_valid() -> None:
    examples = Path(__file__).resolve().parents[2] / "docs" / "examples"
    routing = parse_routing((examples / "routing.yaml").read_text(encoding="utf-8"), source="routing.yaml")
    secrets = {"HANDOFF_CRM_WEBHOOK_SECRET": SECRET, "HANDOFF_AUTOMATION_WEBHOOK_SECRET": SECRET}
    hooks = parse_webhooks(
        (examples / "webhooks.yaml").read_text(encoding="utf-8"), source="w", environ=secrets
    )

    assert [route.name for route in routing.routes][-1] == "everyone-else"
    assert [endpoint.name for endpoint in hooks.endpoints] == ["crm", "automation"]
