"""Re-make docs/pictures/*.png from `handoff demo --html` with headless Chromium.

    .venv/bin/python scripts/pictures.py

Installs nothing: it needs a Chromium (Debian's `chromium` package, or CHROMIUM=/path/to/it; with
`fonts-lato` and `fonts-noto-color-emoji` the pictures have Slack's type and emoji). It
writes one PNG per picture of the page (card, card-decided, modal, home, digest) and the sha256 of
the page in docs/pictures/SOURCE.sha256, which the staleness test compares with what the demo makes now.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageChops

from bot.entrypoints.demo_html import page_fingerprint

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "pictures"
PICTURES = ("card", "card-decided", "modal", "home", "digest")
WIDTH, HEIGHT, SCALE, MARGIN = 800, 6000, 2, 16


def main() -> int:
    browser = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("No Chromium found: install Debian's `chromium` package or set CHROMIUM.", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="handoff-pictures-") as folder:
        page = Path(folder) / "demo.html"
        handoff = Path(sys.executable).with_name("handoff")
        subprocess.run([str(handoff), "demo", "--html", str(page)], check=True, stdout=subprocess.DEVNULL)  # noqa: S603
        OUT.mkdir(parents=True, exist_ok=True)
        for key in PICTURES:
            shot = Path(folder) / f"{key}.png"
            _screenshot(browser=browser, url=f"{page.as_uri()}#{key}", shot=shot, profile=Path(folder))
            _cropped(shot).quantize(colors=256).save(OUT / f"{key}.png", optimize=True)
            print(f"docs/pictures/{key}.png")
        digest = page_fingerprint(page.read_bytes())
    (OUT / "SOURCE.sha256").write_text(digest + "\n", encoding="utf-8")
    print(f"docs/pictures/SOURCE.sha256 {digest}")
    return 0


def _screenshot(*, browser: str, url: str, shot: Path, profile: Path) -> None:
    command = [
        browser,
        "--headless",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--user-data-dir={profile / 'chromium'}",
        f"--force-device-scale-factor={SCALE}",
        f"--window-size={WIDTH},{HEIGHT}",
        f"--screenshot={shot}",
        url,
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
    subprocess.run(command, check=True, capture_output=True, timeout=120)  # noqa: S603


def _cropped(shot: Path) -> Image.Image:
    """The screenshot cut to what is drawn on its white page, with a margin."""
    image = Image.open(shot).convert("RGB")
    box = ImageChops.difference(image, Image.new("RGB", image.size, "white")).getbbox()
    if box is None:
        raise SystemExit(f"{shot.name} is blank: the page did not draw that picture")
    margin = MARGIN * SCALE
    left, top, right, bottom = box
    return image.crop(
        (
            max(left - margin, 0),
            max(top - margin, 0),
            min(right + margin, image.width),
            min(bottom + margin, image.height),
        )
    )


if __name__ == "__main__":
    sys.exit(main())
