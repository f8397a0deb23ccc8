"""Hypothesis strategies for ingestion: events known to be valid, and hostile ones known to be refused.

Every element is drawn as the bytes a client would send, so a hostile one can be what no JSON
encoder writes (NaN, non-UTF-8 bytes, nesting a thousand deep, a broken object). Strategies are
built once; a drawn request gets its event ids and times when rendered (``Draft.render``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
ZONES = [
    UTC,
    timezone(timedelta(hours=14)),
    timezone(-timedelta(hours=12)),
    timezone(timedelta(hours=5, minutes=45)),
    timezone(-timedelta(hours=3, minutes=30)),
    timezone(timedelta(hours=23, minutes=59)),
]
TYPES = ["page_view", "email_open", "demo_request", "content_download", "form_submit", "custom_thing_9"]
DOMAINS = ["acme.io", "gmail.com", "globex.example", "bücher.de", "sub.company-x.co.uk"]
LOCAL_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_+-"
# Text both databases keep exactly: no controls other than tab and line feed, no lone surrogates.
TEXT = st.characters(blacklist_categories=("Cc", "Cs")) | st.sampled_from("\t\n")
ID_TEXT = st.characters(blacklist_categories=("Cc", "Cs", "Zs"))
KEYS = st.sampled_from(["url", "campaign", "utm_source", "score", ""]) | st.text(TEXT, max_size=12)
BAD_EMAILS = [
    "a\u202eb@x.com",
    "a\x00b@x.com",
    "<script>@x.com",
    "ana ruiz@acme.io",
    "Ana <ana@acme.io>",
    "ana@acme",
    "ana@@acme.io",
    "@acme.io",
    "ana@",
    "ana@x.test",
    "ana@localhost",
    "a" * 65 + "@acme.io",
    "ana@" + "a" * 64 + ".io",
    "",
]
INSERTED = ["\x00", "\x1f", "\x7f", "\u202e", "\u200b", "<", ">", " ", ",", '"', "\\", "(", "\n"]
CONTROLS = [chr(code) for code in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0x85]]
WRONG_TYPES: list[tuple[str, Any]] = [
    ("email", 42),
    ("email", None),
    ("type", "Page View"),
    ("type", ["page_view"]),
    ("type", ""),
    ("occurred_at", "yesterday"),
    ("occurred_at", "2026-13-01T00:00:00Z"),
    ("occurred_at", {}),
    ("properties", ["not", "a", "map"]),
    ("properties", "x"),
    ("lead", "Ana"),
    ("lead", {"company_size": "lots"}),
    ("lead", {"company_size": -1}),
    ("event_id", ""),
    ("event_id", "   "),
    ("event_id", 5),
    ("event_id", "x" * 201),
]
NOT_TIMES = [
    "2026-11-20T10:00:00",
    "2026-11-20T10:00:00+25:00",
    "0001-01-01T00:00:00+01:00",
    "1969-12-31T23:59:59Z",
    "9999-12-31T23:59:59-01:00",
]


@dataclass(frozen=True)
class Spoil:
    """How a hostile element is made from a valid event at a given time; ``what`` names it."""

    what: str
    make: Callable[[dict[str, Any], datetime], bytes]

    def __call__(self, item: dict[str, Any], now: datetime) -> bytes:
        return self.make(item, now)

    def __repr__(self) -> str:
        return f"Spoil({self.what!r})"


@dataclass(frozen=True)
class Element:
    """One element of a request: its bytes, and the id it stores (None: it must be refused)."""

    text: bytes
    stores: str | None


@dataclass(frozen=True)
class Draft:
    """A valid event but for its id and time, and how to spoil it (None: it stays valid)."""

    fields: dict[str, Any]
    ago: timedelta
    zone: timezone
    id_suffix: str
    spoil: Spoil | None = None

    def render(self, prefix: str, now: datetime) -> Element:
        """The element's bytes, with ``prefix`` making its id unique."""
        event_id = f"{prefix}-{self.id_suffix}"
        occurred_at = (now - self.ago).astimezone(self.zone).isoformat()
        item = {"event_id": event_id, **self.fields, "occurred_at": occurred_at}
        if self.spoil is None:
            return Element(dumps(item), event_id)
        return Element(self.spoil(item, now), None)


def dumps(value: Any) -> bytes:
    """JSON as UTF-8 bytes (NaN and Infinity as Python writes them)."""
    return json.dumps(value, ensure_ascii=False).encode()


def _json_values(depth: int) -> st.SearchStrategy[Any]:
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(INT64_MIN, INT64_MAX)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(TEXT, max_size=20)
    )
    if depth == 0:
        return scalars
    inner = _json_values(depth - 1)
    return scalars | st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3)


PROPERTIES = st.dictionaries(KEYS, _json_values(3), max_size=4)
LEADS = st.none() | st.fixed_dictionaries(
    {
        "name": st.text(TEXT, max_size=40),
        "company": st.sampled_from(["Acme", "Müller & Söhne", "O'Brien\t\\ Co", "株式会社"]),
        "title": st.sampled_from(["VP Sales", "CEO", "Intern"]),
        "company_size": st.integers(0, 10_000_000),
    }
)


@st.composite
def _emails(draw: st.DrawFn) -> str:
    local = draw(st.text(LOCAL_CHARS, min_size=1, max_size=12))
    local = draw(st.sampled_from([local, local.upper(), "müller", "o'brien", "ana.ruiz"]))
    return f"{local}@{draw(st.sampled_from(DOMAINS))}"


@st.composite
def _drafts(draw: st.DrawFn) -> Draft:
    fields: dict[str, Any] = {
        "email": draw(_emails()),
        "type": draw(st.sampled_from(TYPES)),
        "properties": draw(PROPERTIES),
    }
    if (lead := draw(LEADS)) is not None:
        fields["lead"] = lead
    return Draft(
        fields=fields,
        ago=timedelta(seconds=draw(st.integers(0, 90 * 86400))),
        zone=draw(st.sampled_from(ZONES)),
        id_suffix=draw(st.text(ID_TEXT, max_size=8)),
    )


def _insert(text: str, character: str, at: int) -> str:
    return text[:at] + character + text[at:]


def _replacing(field: str, value: Any) -> Spoil:
    return Spoil(f"{field} = {value!r:.60}", lambda item, _now: dumps(item | {field: value}))


def _raw_in(field: str, raw: bytes, *, inside: str | None = None, string: bool = False) -> Spoil:
    """Put bytes no encoder writes as the value of ``field`` (in ``inside`` when given): a bare
    value, or the inside of a string."""
    placeholder = b"@@raw@@" if string else b'"@@raw@@"'

    def spoil(item: dict[str, Any], _now: datetime) -> bytes:
        if inside is None:
            return dumps(item | {field: "@@raw@@"}).replace(placeholder, raw)
        nested = dict(item.get(inside) or {}) | {field: "@@raw@@"}
        return dumps(item | {inside: nested}).replace(placeholder, raw)

    return Spoil(f"{inside or ''}.{field} = {raw!r:.60}", spoil)


@st.composite
def _bad_email(draw: st.DrawFn) -> Spoil:
    local = draw(st.text(LOCAL_CHARS, min_size=2, max_size=12))
    spoiled = _insert(local, draw(st.sampled_from(INSERTED)), draw(st.integers(1, len(local) - 1)))
    return _replacing("email", draw(st.sampled_from([*BAD_EMAILS, f"{spoiled}@acme.io"])))


@st.composite
def _control_character(draw: st.DrawFn) -> Spoil:
    control = draw(st.sampled_from(CONTROLS))
    where = draw(st.sampled_from(["event_id", "name", "value", "key"]))
    if where == "event_id":
        inserted = draw(st.sampled_from([control, "\t", "\n"]))

        def spoil(item: dict[str, Any], _now: datetime) -> bytes:
            return dumps(item | {"event_id": _insert(item["event_id"], inserted, 1)})

        return Spoil(f"event_id with {inserted!r}", spoil)
    if where == "name":
        return _replacing("lead", {"name": f"An{control}a"})
    key, value = ("note", f"x{control}y") if where == "value" else (f"k{control}", 1)

    def spoil_property(item: dict[str, Any], _now: datetime) -> bytes:
        return dumps(item | {"properties": {**item["properties"], key: value}})

    return Spoil(f"properties {key!r}: {value!r}", spoil_property)


@st.composite
def _huge_number(draw: st.DrawFn) -> Spoil:
    big = draw(st.integers(INT64_MAX + 1, 2**200) | st.integers(-(2**200), INT64_MIN - 1))
    choice = draw(st.sampled_from([big, [big], {"deep": big}, None]))
    if choice is None:
        return _raw_in("n", b"9" * 5000, inside="properties")  # past what a JSON parser reads
    return _replacing("properties", {"n": choice})


@st.composite
def _deep_nesting(draw: st.DrawFn) -> Spoil:
    levels = draw(st.integers(9, 40) | st.integers(190, 1200))
    return _raw_in("properties", b'{"v": ' * levels + b"1" + b"}" * levels)


@st.composite
def _future(draw: st.DrawFn) -> Spoil:
    days = draw(st.integers(2, 3650))

    def spoil(item: dict[str, Any], now: datetime) -> bytes:
        return dumps(item | {"occurred_at": (now + timedelta(days=days)).isoformat()})

    return Spoil(f"occurred_at in {days} days", spoil)


def _constant(text: bytes) -> Spoil:
    return Spoil(f"{text!r}", lambda _item, _now: text)


SPOILERS: st.SearchStrategy[Spoil] = st.one_of(
    _bad_email(),
    _control_character(),
    _huge_number(),
    st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1e999"]).map(
        lambda token: _raw_in("x", token, inside="properties")
    ),
    _deep_nesting(),
    st.sampled_from(WRONG_TYPES).map(lambda wrong: _replacing(*wrong)),
    st.sampled_from([b"42", b'"event"', b"null", b"[]", b"true", b"[{}]"]).map(_constant),
    st.sampled_from([("colour", "blue"), ("lead", {"phone": "+1 555"})]).map(
        lambda extra: _replacing(*extra)
    ),
    _future(),
    st.sampled_from(NOT_TIMES).map(lambda text: _replacing("occurred_at", text)),
    st.sampled_from([b"M\xfcller", b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80"]).map(
        lambda raw: _raw_in("name", raw, inside="lead", string=True)
    ),
    st.sampled_from([b"\\ud800", b"a\\udfffb"]).map(
        lambda raw: _raw_in("s", raw, inside="properties", string=True)
    ),
    st.sampled_from([b'{"event_id": }', b'{"event_id": "x",}', b"{not json}", b"{'a': 1}"]).map(_constant),
    st.sampled_from([{f"k{index}": index for index in range(1001)}, {"long": "x" * 4097}]).map(
        lambda properties: _replacing("properties", properties)
    ),
)


@dataclass(frozen=True)
class RequestDraft:
    """A drawn request: NDJSON or a JSON array, and its drafts in order (repeats are duplicates)."""

    ndjson: bool
    drafts: list[tuple[int, Draft]]

    def render(self, prefix: str, now: datetime) -> tuple[bool, list[Element]]:
        """Whether it is NDJSON, and its elements with ids unique to ``prefix``."""
        return self.ndjson, [draft.render(f"{prefix}-{number}", now) for number, draft in self.drafts]


@st.composite
def _requests(draw: st.DrawFn) -> RequestDraft:
    valid = draw(st.lists(_drafts(), max_size=4))
    hostile = draw(st.lists(st.builds(_spoilt, _drafts(), SPOILERS), max_size=4))
    drafts = list(enumerate(valid + hostile))
    repeat: bool = draw(st.booleans())
    if drafts and repeat:
        drafts.append(draw(st.sampled_from(drafts)))  # the same event twice: stored once at most
    ndjson: bool = draw(st.booleans())
    return RequestDraft(ndjson=ndjson, drafts=draw(st.permutations(drafts)))


def _spoilt(draft: Draft, spoil: Spoil) -> Draft:
    return Draft(draft.fields, draft.ago, draft.zone, draft.id_suffix, spoil)


REQUESTS = _requests()


def body_of(ndjson: bool, elements: list[Element]) -> bytes:
    """The request body carrying ``elements``."""
    texts = [element.text for element in elements]
    return b"\n".join(texts) if ndjson else b"[" + b",".join(texts) + b"]"


def now_utc() -> datetime:
    """The wall clock, for event times relative to it."""
    return datetime.now(UTC)
