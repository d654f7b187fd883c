"""brief.html on a laptop screen: headless Chromium's first screen (issue #12)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from grader.build import BuildOptions, build_brief

SEED = Path(__file__).resolve().parents[2] / "evidence.csv"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars")
TITLE_BLUE = (0x16, 0x32, 0x4F)     # h1.title and the page-1 rules
TABLE_HEAD = (0xF4, 0xF6, 0xF8)     # thead th of the positions table
BOTTOM_LINE = (0xEE, 0xF3, 0xF8)    # the bottom-line box


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "Chromium is needed for this test: run scripts/setup (Debian package chromium)"
    return found


@pytest.fixture(scope="module")
def screen(tmp_path_factory):
    """The first 1280×800 screen of the seed's brief.html, as an RGB array."""
    folder = tmp_path_factory.mktemp("screen")
    build_brief(BuildOptions(csv=SEED, out_dir=folder, formats=("html",), force=True))
    shot = folder / "first-screen.png"
    subprocess.run([_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={folder / 'profile'}",
                    "--window-size=1280,800", f"--screenshot={shot}",
                    (folder / "brief.html").as_uri()],
                   check=True, capture_output=True, timeout=120)
    return np.asarray(Image.open(shot).convert("RGB"))


def _rows_of(image: np.ndarray, colour: tuple, tolerance: int = 3) -> np.ndarray:
    """Indices of pixel rows holding a run of at least 200 pixels of this colour."""
    match = (np.abs(image.astype(int) - colour) <= tolerance).all(axis=2)
    return np.flatnonzero(match.sum(axis=1) >= 200)


def test_first_screen_holds_the_title_and_the_start_of_the_positions_table(screen):
    height, width, _ = screen.shape
    assert (width, height) == (1280, 800)
    title = np.flatnonzero((np.abs(screen.astype(int) - TITLE_BLUE) <= 40).all(axis=2)
                           .sum(axis=1) >= 5)
    assert len(title) and title[0] < 200, "the title is at the top of the first screen"
    assert len(_rows_of(screen, BOTTOM_LINE)), "the bottom line is on the first screen"
    head = _rows_of(screen, TABLE_HEAD)
    assert len(head) and head[0] < height - 40, "the positions table starts on the first screen"


def test_the_page_has_margins_and_no_horizontal_overflow(screen):
    white = (screen >= 248).all(axis=2)
    # The page is a centred column on a tinted background: both edges stay background.
    left, right = screen[:, :20], screen[:, -20:]
    assert not (left < 200).all(axis=2).any() and not (right < 200).all(axis=2).any()
    assert white.mean() > 0.3  # text on a light page, not a blank or dark screen
