"""Reading bodies and files: what is refused as a whole, and what is refused element by element."""

from __future__ import annotations

import json

import pytest

from bot.services.csv_input import decode_lines, parse_csv
from bot.services.event_input import InputFormatError, Parsed, parse_body
from tests.builders import event

GOOD = json.dumps(event()).encode()


def _outcome(items: list[Parsed]) -> list[tuple[int, str | None]]:
    """Each item's position, and its first refused field (None when it is an event)."""
    return [(item.position, item.refusals[0].field if item.refusals else None) for item in items]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            b"[" + GOOD + b"," + b"[" * 1000 + b"]" * 1000 + b"," + GOOD + b"]",
            [(0, None), (1, "(json)"), (2, None)],
        ),
        (b"[" + GOOD + b', {"event_id": }, ' + GOOD + b"]", [(0, None), (1, "(json)"), (2, None)]),
        (b"[" + GOOD + b', "M\xfcller", ' + GOOD + b"]", [(0, None), (1, "(json)"), (2, None)]),
        (b"[]\n" + GOOD, [(0, "(event)"), (1, None)]),
        (GOOD + b"\n{not json\n\n" + GOOD, [(0, None), (1, "(json)"), (3, None)]),
        (b"{\n" + GOOD[1:], [(0, None)]),
    ],
    ids=[
        "deep-element",
        "broken-element",
        "latin-1-element",
        "ndjson-starting-with-array",
        "ndjson",
        "pretty",
    ],
)
def test_one_bad_element_is_refused_by_position_and_the_others_read(
    body: bytes, expected: list[tuple[int, str | None]]
) -> None:
    assert _outcome(list(parse_body(body))) == expected


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"", "the body is empty"),
        (b"  \r\n ", "the body is empty"),
        (b"{not json", "the body is not JSON"),
        (bytes(range(256)), "the body is not JSON"),
        (b"[" * 1000 + b"]" * 1000, "not a valid JSON array: nested too deep"),
        (b'[{"event_id": "a",', "not a valid JSON array: EOF"),
        (b"[{bad}, {worse}]", "not a valid JSON array"),
    ],
)
def test_a_body_with_nothing_readable_is_refused_in_one_sentence(body: bytes, says: str) -> None:
    with pytest.raises(InputFormatError, match=says) as refused:
        parse_body(body)

    assert "\n" not in str(refused.value)


def _csv(text: str, *, encoding: str = "utf-8") -> list[Parsed]:
    return list(parse_csv(decode_lines(text.encode(encoding).splitlines(keepends=True))))


HEADER = ["event_id", "email", "type", "occurred_at", "name"]
ROW = ["c1", "ana@acme.io", "page_view", "2026-11-20T10:00:00Z", "Jürgen Müller"]


@pytest.mark.parametrize("separator", [",", ";", "\t"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1"])
def test_csv_separator_and_encoding_are_found(separator: str, encoding: str) -> None:
    text = separator.join(HEADER) + "\r\n" + separator.join(ROW) + "\r\n"

    items = _csv(text, encoding=encoding)

    assert _outcome(items) == [(2, None)]
    assert items[0].event is not None
    assert items[0].event.profile is not None
    assert items[0].event.profile["name"] == "Jürgen Müller"


def test_windows_1252_only_characters_are_read_as_excel_wrote_them() -> None:
    items = _csv(",".join(HEADER) + "\n" + ",".join([*ROW[:4], "“Ana” – €"]) + "\n", encoding="cp1252")

    assert items[0].event is not None
    assert items[0].event.profile is not None
    assert items[0].event.profile["name"] == "“Ana” – €"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            "event_id|email|type|occurred_at\nc1|ana@acme.io|page_view|2026-11-20T10:00:00Z\n",
            "separated by '|'",
        ),
        ("event_id,email,occurred_at\nc1,ana@acme.io,2026-11-20T10:00:00Z\n", "has no type column"),
        ("", "empty"),
    ],
    ids=["pipes", "missing-column", "empty"],
)
def test_a_csv_header_that_cannot_be_read_is_refused_in_one_sentence(text: str, says: str) -> None:
    with pytest.raises(InputFormatError, match=says):
        _csv(text)


def test_utf16_csv_is_refused_with_what_to_do() -> None:
    with pytest.raises(InputFormatError, match="UTF-16: save it as CSV in UTF-8"):
        _csv(",".join(HEADER) + "\n", encoding="utf-16")


def test_csv_rows_keep_their_line_numbers_and_bad_rows_are_refused_alone() -> None:
    lines = [
        ",".join(HEADER),
        ",".join(ROW),
        "",
        ",".join(["c2", "<script>@x.com", *ROW[2:]]),
        ",".join([*ROW, "extra"]),
        ",".join(["c3", *ROW[1:]]),
    ]

    assert _outcome(_csv("\n".join(lines) + "\n")) == [(2, None), (4, "email"), (5, "(row)"), (6, None)]


def test_broken_csv_quoting_refuses_its_row_instead_of_storing_it_mangled() -> None:
    lines = [
        ",".join(HEADER),
        ",".join(ROW[:4]) + ',"Ana"Ruiz',
        ",".join(["c2", *ROW[1:4]]) + ',"Ruiz, Ana"',
        ",".join(["c3", *ROW[1:4]]) + ',"never closed',
        ",".join(["c4", *ROW[1:]]),
    ]

    items = _csv("\n".join(lines) + "\n")

    assert _outcome(items) == [(2, "(row)"), (3, None), (5, "(row)")]
    assert "unexpected end of data" in items[-1].refusals[0].error
