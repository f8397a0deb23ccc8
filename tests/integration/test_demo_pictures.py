"""``handoff demo --html``: one page that loads nothing, the same bytes every time, and the pictures
in docs/pictures made from exactly that page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.entrypoints.cli import app
from bot.entrypoints.demo_html import page_fingerprint

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "docs" / "pictures" / "SOURCE.sha256"
PICTURES = ("card", "card-decided", "modal", "home", "digest")
runner = CliRunner()


def _demo_page(folder: Path, name: str) -> bytes:
    page = folder / name
    result = runner.invoke(app, ["demo", "--html", str(page)])
    assert result.exit_code == 0, result.output
    return page.read_bytes()


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[bytes]:
    folder = tmp_path_factory.mktemp("demo-html")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)  # no stray .env is read
        yield _demo_page(folder, "demo.html")


def _section(page: bytes, key: str) -> str:
    found = re.search(rf'<section class="picture" id="{key}">(.*?)</section>', page.decode(), re.DOTALL)
    assert found, f"no #{key} picture"
    return found.group(1)


def test_the_pictures_in_docs_are_made_from_the_page_the_demo_makes_now(page: bytes) -> None:
    recorded = SOURCE.read_text(encoding="utf-8").strip()

    assert page_fingerprint(page) == recorded, (
        "docs/pictures is stale: the demo's page changed since the pictures were made. "
        "Run `.venv/bin/python scripts/pictures.py` (needs Chromium) and commit docs/pictures."
    )
    assert all((SOURCE.parent / f"{key}.png").is_file() for key in PICTURES)


def test_demo_html_twice_gives_the_same_bytes(
    page: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    assert _demo_page(tmp_path, "again.html") == page


def test_demo_html_into_a_missing_folder_fails_in_one_sentence_before_running(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--html", str(tmp_path / "nowhere" / "demo.html")])

    assert result.exit_code == 2
    assert "is not a folder" in result.output
    assert "Generating" not in result.output


def test_a_demo_too_small_for_a_decision_still_draws_the_home_and_the_digest(tmp_path: Path) -> None:
    page = tmp_path / "small.html"

    result = runner.invoke(app, ["demo", "--leads", "1", "--events", "1", "--html", str(page)])

    assert result.exit_code == 0, result.output
    text = page.read_text(encoding="utf-8")
    assert 'id="home"' in text
    assert 'id="digest"' in text
    assert 'id="card"' not in text


def test_demo_at_refuses_what_is_not_an_instant() -> None:
    result = runner.invoke(app, ["demo", "--at", "next tuesday"])

    assert result.exit_code == 2
    assert "is not an ISO 8601 instant" in result.output


def test_readme_shows_every_picture() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")

    assert all(f"](docs/pictures/{key}.png)" in readme for key in PICTURES)


def test_the_page_loads_nothing_and_inlines_its_chart(page: bytes) -> None:
    text = page.decode()

    targets = re.findall(r'(?:src|href)="([^"]*)"', text)
    assert targets
    assert all(target.startswith("data:image/png;base64,") for target in targets)
    assert not re.search(r"<script|<link|@import|url\(", text)


def test_the_page_shows_an_open_card_the_decided_cards_the_modal_the_home_and_the_digest(page: bytes) -> None:
    card, decided, modal, home, digest = (_section(page, key) for key in PICTURES)

    assert re.findall(r'class="button[^"]*">(\w+)</button>', card) == ["Accept", "Reject", "Recycle"]
    assert "<button" not in decided
    assert "✅ Accepted by" in decided
    assert "❌ Rejected by" in decided
    assert "No fit: Agency reselling to a client we already serve." in decided
    assert "accepted this lead." in decided
    assert '<span class="close">✕</span>' in modal
    assert "Choose a reason" in modal
    assert "Waiting for a decision" in home
    assert "Your recent decisions" in home
    assert "MQL quality — week of" in digest
    assert '<img class="block-image" src="data:image/png;base64,' in digest
