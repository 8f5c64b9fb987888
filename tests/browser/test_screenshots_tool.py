"""`make screenshots` (tools/screenshots.py) end to end: the demo in a throwaway directory, real
analyses, runserver, Chromium; every README image at 1280 px, written where it is told and nowhere
else (docs/screenshots/ is left alone)."""

import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.conftest import CHROMIUM

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ("dashboard", "repository", "checklist", "compare", "fix-diff", "activity", "waivers")


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


def test_make_screenshots_photographs_the_demo(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    docs = ROOT / "docs" / "screenshots"
    before = {p.name: p.stat().st_mtime_ns for p in docs.glob("*.png")}
    out, var_dir = tmp_path / "shots", tmp_path / "var"
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "screenshots.py"),
            "--out",
            str(out),
            "--var-dir",
            str(var_dir),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for name in IMAGES:
        width, height = png_size(out / f"{name}.png")
        assert (width == 1280 and height >= 600) or name == "fix-diff", (name, width, height)
    assert {p.name: p.stat().st_mtime_ns for p in docs.glob("*.png")} == before
    assert not var_dir.exists()  # the throwaway directory is gone
