"""`stb skin check|list|preview|schema`, and the contrast checker on known pairs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stb.skin.check import contrast

REPO_SKINS = Path(__file__).parents[2] / "skins"


def stb(*argv: str, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", **(env or {})}
    return subprocess.run([sys.executable, "-m", "stb", *argv], capture_output=True, text=True, timeout=120, env=env)


@pytest.mark.parametrize(
    ("a", "b", "ratio"),
    [((0, 0, 0), (255, 255, 255), 21.0), ((255, 255, 255), (255, 255, 255), 1.0),
     ((0x76, 0x76, 0x76), (255, 255, 255), 4.54), ((0x77, 0x77, 0x77), (255, 255, 255), 4.48)],
)  # fmt: skip
def test_contrast_matches_wcag_on_known_pairs(a, b, ratio):
    assert contrast(a, b) == pytest.approx(ratio, abs=0.01)
    assert contrast(b, a) == contrast(a, b)


@pytest.mark.parametrize("skin", ["default", "highcontrast", "operator", "hotel"])
def test_the_shipped_skins_pass_the_check_cleanly(skin):
    done = stb("skin", "check", str(REPO_SKINS / skin), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["problems"] == []


def test_highcontrast_reaches_aaa_for_its_main_text():
    from stb.skin.resolve import resolve

    t = resolve("highcontrast").theme()
    assert contrast(t.text, t.surface) >= 7 and contrast(t.focus_text, t.accent) >= 7


def test_check_lists_every_problem_with_its_place_and_exits_1(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "skin.json").write_text(json.dumps({
        "name": "mine", "version": "1", "author": "me", "licence": "MIT", "api": 1, "resolution": [1280, 720],
        "extends": "default", "colours": {"text": "#777777", "surface": "#ffffff", "accent": "nope"},
        "images": {"brand_logo": "../logo.png"},
    }))  # fmt: skip
    done = stb("skin", "check", str(folder))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"{folder}/skin.json: $.colours.accent: String should match pattern" in done.stdout
    assert "$.images.brand_logo: '../logo.png': '..' would leave the skin folder" in done.stdout


def test_check_warns_on_poor_contrast_but_passes(tmp_path):
    folder = tmp_path / "pale"
    folder.mkdir()
    (folder / "skin.json").write_text(json.dumps({
        "name": "pale", "version": "1", "author": "me", "licence": "MIT", "api": 1, "resolution": [1280, 720],
        "extends": "default", "colours": {"text_dim": "#30343c"},
    }))  # fmt: skip
    done = stb("skin", "check", str(folder))
    assert done.returncode == 0
    assert "warning: text_dim on surface has contrast" in done.stdout and "below WCAG AA (4.5:1)" in done.stdout


def test_check_warns_on_text_too_small_for_the_sofa_but_passes(tmp_path):
    """The same sofa rules as the reference renders (stb.ui.layoutrules), on an integrator's skin."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "skin.json").write_text(json.dumps({
        "name": "tiny", "version": "1", "author": "me", "licence": "MIT", "api": 1, "resolution": [1280, 720],
        "extends": "default", "widgets": {"text": {"small": 13}},
    }))  # fmt: skip
    done = stb("skin", "check", str(folder))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "tiny: screen settings: warning: size: " in done.stdout and "is 13 px, under 16 px" in done.stdout
    assert "more like these" in done.stdout  # a few examples per rule and screen, not a line per text


def test_check_of_a_folder_without_a_manifest_says_so(tmp_path):
    done = stb("skin", "check", str(tmp_path))
    assert done.returncode == 1 and "no skin.json here" in done.stdout


@pytest.mark.slow
def test_preview_renders_every_screen_and_a_contact_sheet(tmp_path):
    from stb.ui.preview import SCREENS

    done = stb("skin", "preview", "operator", "-o", str(tmp_path / "out"), "--json")
    assert done.returncode == 0, done.stderr
    files = json.loads(done.stdout)["files"]
    assert sorted(Path(f).name for f in files) == sorted([f"{s}.png" for s in SCREENS] + ["contact-sheet.png"])
    assert all(Path(f).stat().st_size > 1000 for f in files)


def test_preview_of_an_unknown_skin_is_one_line():
    done = stb("skin", "preview", "nope", "-o", "/tmp/never")
    assert done.returncode == 1 and done.stderr.startswith("stb: skin 'nope': ") and "Traceback" not in done.stderr


def test_list_shows_the_shipped_skins():
    done = stb("skin", "list", "--json")
    rows = {r["name"]: r for r in json.loads(done.stdout)}
    assert rows["operator"]["extends"] == "default" and rows["default"]["extends"] is None
    assert all(rows[s]["ok"] for s in ("default", "highcontrast", "operator"))
