"""Skins that lay out the screens: widgets moved, hidden, restyled and reused, and the checks that catch mistakes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stb.skin.check import check_skin_dir
from stb.skin.resolve import SkinError, resolve
from stb.ui import preview, previewscene
from stb.ui.layoutcheck import widget_problems
from tests.skin.folders import NOW, manifest


def texts(screen: str, skin: str, work: Path) -> dict[str, tuple[int, int, int, int]]:
    _, drawn = preview.render_recorded(screen, work, resolve(skin).theme, NOW)
    return {d.value: d.rect for d in drawn if d.kind == "text"}


def test_a_skin_moves_the_clock_to_the_banners_left_and_the_rest_stays(skins, tmp_path, fixed_clock):
    skins("left", manifest("left", layouts={"banner": {"widgets": {"clock": {"anchor": "bottom_left", "x": 24,
                                                                             "y": 12}}}}))  # fmt: skip
    before, after = texts("live_banner", "default", tmp_path / "a"), texts("live_banner", "left", tmp_path / "b")
    x, y, _, h = after["08:10"]
    assert before["08:10"][0] > 900 and x == 64 + 24  # the banner starts at the title-safe margin
    assert y + h == 720 - 48 - 12  # the default banner sits 48 px (its margin) above the bottom
    assert after["News 24"] == before["News 24"]  # only what the skin states moves


def test_a_hidden_preview_leaves_the_picture_out_of_the_guide(skins, tmp_path, fixed_clock):
    skins("nopreview", manifest("nopreview", layouts={"guide": {"widgets": {"preview": {"visible": False}}}}))
    _, drawn = preview.render_recorded("guide_grid", tmp_path, resolve("nopreview").theme, NOW)
    canvas, _ = preview.render_recorded("guide_grid", tmp_path / "2", resolve("nopreview").theme, NOW)
    assert canvas.get_at((1000, 100))[:3] != (40, 90, 140)  # the preview's stand-in colour is gone
    assert "The Last Express" in {d.value for d in drawn if d.kind == "text"}  # the grid still works


def test_the_grids_rows_follow_the_skin(skins):
    from stb.ui.fonts import Fonts
    from stb.ui.layouts import guide

    skins("tall", manifest("tall", widgets={"grid": {"row_height": 80}},
                           layouts={"guide": {"widgets": {"programmes": {"height": 240}}}}))  # fmt: skip
    theme = resolve("tall").theme("guide")
    import pygame

    pygame.font.init()
    assert guide(theme, Fonts())["programmes"].rect[3] == 240 and 240 // theme.grid_row_height == 3


def test_a_template_is_a_row_design_used_by_include_and_a_child_changes_one_key(skins):
    skins("tiles", manifest("tiles", templates={"tile": {"name": {"y": 4, "font": "medium"}, "now": {"y": 40}}},
                            layouts={"list_row": {"include": "tile", "widgets": {"now": {"x": 100}}}}))  # fmt: skip
    skins("child", manifest("child", extends="tiles", layouts={"list_row": {"widgets": {"name": {"y": 6}}}}))
    row = resolve("child").theme("list").layout("list_row")
    assert row["name"] == {"y": 6, "font": "medium"} and row["now"] == {"y": 40, "x": 100}


def test_unknown_names_are_refused_with_the_nearest_one(skins):
    skins("typo", manifest("typo", layouts={"banner": {"widgets": {"clok": {"x": 1}}}, "gride": {}}))
    with pytest.raises(SkinError) as caught:
        resolve("typo")
    said = {f"{p.path}: {p.message}" for p in caught.value.problems}
    assert any("$.layouts.banner.widgets.clok: banner has no widget 'clok'; did you mean 'clock'?" in s for s in said)
    assert any("$.layouts.gride: no layout named 'gride'; did you mean 'guide'?" in s for s in said)


def test_an_include_of_a_missing_template_is_refused(skins):
    skins("noinc", manifest("noinc", layouts={"list_row": {"include": "tlie"}}, templates={"tile": {}}))
    with pytest.raises(
        SkinError, match=r"\$\.layouts\.list_row\.include: no template named 'tlie'; did you mean 'tile'"
    ):
        resolve("noinc")


def test_the_widget_checks_catch_each_mistake_with_file_and_path(skins):
    folder = skins("bad", manifest("bad", widgets={"text": {"medium": 12}}, layouts={
        "banner": {"widgets": {"clock": {"x": -200, "lines": 3}, "name": {"visible": False},
                               "number": {"anchor": "top_left", "x": 20, "y": 10, "width": 400}}},
        "guide": {"widgets": {"preview": {"anchor": "top_left", "x": 20, "y": 20}}},
    }))  # fmt: skip
    found = {(p.path.split(": ", 1)[1], p.severity): p.message for p in check_skin_dir(folder, widget_problems)}
    assert all(
        p.startswith(str(folder / "skin.json")) for p in (x.path for x in check_skin_dir(folder, widget_problems))
    )
    assert "leaves the 1280×720 canvas" in found["$.layouts.banner.widgets.clock", "error"]
    assert "banner needs 'name'" in found["$.layouts.banner.widgets.name.visible", "error"]
    assert "overlaps 'number'" in found["$.layouts.banner.widgets.logo", "error"]
    assert "title-safe" in found["$.layouts.guide.widgets.preview", "warning"]
    assert "under 16 px (24 px at 1080p)" in found["$.layouts.banner.widgets.clock.font", "warning"]
    assert "clock does not follow 'lines'" in found["$.layouts.banner.widgets.clock.lines", "warning"]


def test_the_shipped_skins_place_every_widget_cleanly():
    for skin in ("default", "highcontrast", "operator", "hotel"):
        assert widget_problems(resolve(skin)) == [], skin


def test_skin_check_says_it_in_text_and_json(skins):
    folder = skins("typo2", manifest("typo2", layouts={"list_row": {"widgets": {"nmae": {"visible": False}}}}))
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    done = subprocess.run([sys.executable, "-m", "stb", "skin", "check", str(folder)], capture_output=True, text=True,
                          timeout=120, env=env)  # fmt: skip
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"{folder}/skin.json: $.layouts.list_row.widgets.nmae: list_row has no widget 'nmae'; did you mean " \
           "'name'?" in done.stdout  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "stb", "skin", "check", str(folder), "--json"], capture_output=True,
                          text=True, timeout=120, env=env)  # fmt: skip
    problems = json.loads(done.stdout)["problems"]
    assert any(p["path"].endswith("$.layouts.list_row.widgets.nmae") and "'name'" in p["message"] for p in problems)


def test_the_layout_tutorial_works_as_written(skins, tmp_path, fixed_clock):
    """The tutorial's three snippets, put into its child skin, pass the checks and do what they say."""
    doc = (Path(__file__).parents[2] / "docs" / "skinning.md").read_text()
    blocks = [b.split("```", 1)[0] for b in doc.split("```json\n")[1:]]
    base = json.loads("\n".join(line[3:] for line in blocks[0].splitlines()))
    clock, preview_off, rows = (json.loads("{" + b + "}") for b in blocks[1:4])
    base["images"] = {}
    base["layouts"] = {**clock["layouts"], **preview_off}
    base["layouts"]["guide"]["widgets"] |= rows["layouts"]["guide"]["widgets"]
    base["widgets"] |= rows["widgets"]
    folder = skins("lakeside", base)
    found = check_skin_dir(folder, widget_problems)
    assert [p for p in found if p.severity == "error" or "$.layouts" in p.path] == []  # (its colours get warned)
    after = texts("live_banner", "lakeside", tmp_path / "a")
    assert after["08:10"][:2] == (64 + 24, 48 + 12)  # the banner is on top in this skin: the clock at its corner
    canvas, drawn = preview.render_recorded("guide_grid", tmp_path / "g", resolve("lakeside").theme, NOW)
    assert canvas.get_at((1000, 100))[:3] != (40, 90, 140)  # no preview
    assert "08:00–08:30" not in {d.value for d in drawn if d.kind == "text"}  # titles only in the cells


def test_a_channel_column_right_of_the_programmes_is_refused(skins):
    folder = skins("swap", manifest("swap", layouts={"guide": {"widgets": {
        "channels": {"x": 1016, "width": 200}, "programmes": {"x": 64, "width": 900}}}}))  # fmt: skip
    found = [(p.path.split(": ", 1)[1], p.message) for p in check_skin_dir(folder, widget_problems)]
    assert any(where == "$.layouts.guide.widgets.channels" and "must end left of the programmes" in message
               for where, message in found)  # fmt: skip


def test_unknown_widget_names_in_the_users_overrides_are_refused(tmp_path):
    from stb.skin.resolve import read_user_overrides

    path = tmp_path / "skin-overrides.json"
    path.write_text(json.dumps({"layouts": {"banner": {"widgets": {"clocks": {"visible": False}}}}}))
    with pytest.raises(SkinError, match=r"\$\.layouts\.banner\.widgets\.clocks: banner has no widget 'clocks'; did "
                                        r"you mean 'clock'\?"):  # fmt: skip
        read_user_overrides(path)


def test_a_required_widget_a_skin_hides_is_shown_anyway(skins, tmp_path, fixed_clock):
    skins("noname", manifest("noname", layouts={"list_row": {"widgets": {"name": {"visible": False}}},
                                                "banner": {"widgets": {"name": {"visible": False}}}}))  # fmt: skip
    assert "News 24" in texts("live_banner", "noname", tmp_path / "a")
    assert "Sports Arena" in texts("channel_list", "noname", tmp_path / "b")


def test_the_details_dialog_is_placed_sized_and_trimmed_by_the_skin(skins, tmp_path, fixed_clock):
    skins("slim", manifest("slim", layouts={"details": {"widgets": {
        "dialog": {"anchor": "top", "y": 36, "width": 800}, "logo": {"visible": False},
        "description": {"visible": False}, "buttons": {"width": 200, "height": 48}}}}))  # fmt: skip
    drawn = texts("details", "slim", tmp_path / "a")
    assert drawn["The Last Express"][:2] == ((1280 - 800) // 2 + 40, drawn["The Last Express"][1])
    assert drawn["3  Cinema One with a Name Far Too Long for Its Box"][:2] == ((1280 - 800) // 2 + 40, 36 + 40 + 8)
    _, everything = preview.render_recorded("details", tmp_path / "b", resolve("slim").theme, NOW)
    inside = [d.value for d in everything if d.kind == "text" and d.rect[0] == (1280 - 800) // 2 + 40]
    assert "The Last Express" in inside and not any(v.startswith("A description") for v in inside)
    remind, close = drawn["Remind me"], drawn["Close"]
    assert close[0] + close[2] // 2 - (remind[0] + remind[2] // 2) == 200 + 12  # buttons 200 wide, 12 apart


def test_the_details_dialog_checks(skins):
    folder = skins("off", manifest("off", layouts={"details": {"widgets": {
        "dialog": {"anchor": "top_left", "x": 900}, "logo": {"font": "large"},
        "title": {"anchor": "top_left", "x": 40, "y": 40}}}}))  # fmt: skip
    found = [(p.path.split(": ", 1)[1], p.severity, p.message) for p in check_skin_dir(folder, widget_problems)]
    assert any(w == "$.layouts.details.widgets.dialog" and s == "error" and "canvas" in m for w, s, m in found)
    assert ("$.layouts.details.widgets.logo.font", "warning",
            "logo does not follow 'font' (it follows anchor, x, y, width, height, visible)") in found  # fmt: skip
    # the placed title lies where the logo flows: it is judged against the logo only once the logo is placed too
    assert any(w == "$.layouts.details.widgets.title" and "canvas" in m for w, _, m in found)


def test_tuning_never_overlaps_next_and_the_check_refuses_a_state_that_would(skins, tmp_path, fixed_clock):
    from stb.player.engine import PlaybackState
    from stb.ui import drawlog
    from stb.ui.layoutrules import _overlap

    for skin in ("default", "highcontrast", "operator"):
        work = tmp_path / skin
        work.mkdir()
        with drawlog.recording() as log, previewscene.demo_scene(work, resolve(skin).theme, NOW) as scene:
            screen = scene.live(previewscene.StillZapper(previewscene.StillPlayer(PlaybackState.CONNECTING)))
            screen.show_banner(0)
            screen.draw(scene.canvas, 0)
            drawn = {d.value: d.rect for d in log.on(scene.canvas) if d.kind == "text"}
        upcoming = next(r for v, r in drawn.items() if v.startswith("Next "))
        assert not _overlap(drawn["Tuning…"], upcoming), skin
    folder = skins("under", manifest("under", layouts={"banner": {"widgets": {"state": {"y": 57}}}}))  # where it was
    found = [p.message for p in check_skin_dir(folder, widget_problems) if p.severity == "error"]
    assert "'now_next' at (369, 598, 823, 24) overlaps 'state' at (808, 589, 384, 24)" in found, found


def test_the_hotel_banner_gives_now_and_next_their_titles(tmp_path, fixed_clock):
    _, log = preview.render_recorded("live_banner", tmp_path, resolve("hotel").theme, NOW)
    drawn = {d.value: d.shown for d in log if d.kind == "text"}
    assert drawn["08:00–08:30  Weather and Traffic"] == "08:00–08:30  Weather and Traffic"  # was "Weather a…"
    upcoming = next(shown for value, shown in drawn.items() if value.startswith("Next "))
    assert upcoming.startswith("Next 08:30  World Rep")
