"""Settings rows, the PIN dialog, toasts, the volume indicator and the details dialog's parts, placed by a skin."""

from __future__ import annotations

import json
import time
from pathlib import Path

from stb.skin.check import check_skin_dir
from stb.skin.resolve import resolve
from stb.ui import preview, previewscene
from stb.ui.layoutcheck import widget_problems
from tests.skin.folders import NOW, manifest


def drawn(screen: str, skin: str, work: Path, kind: str = "text") -> dict[str, tuple[int, int, int, int]]:
    _, log = preview.render_recorded(screen, work, resolve(skin).theme, NOW)
    return {d.value if kind == "text" else str(i): d.rect for i, d in enumerate(log) if d.kind == kind}


def test_a_settings_value_placed_under_its_label(skins, tmp_path, fixed_clock):
    skins("stacked", manifest("stacked", widgets={"list": {"width": 760}}, layouts={"settings_row": {"widgets": {
        "label": {"y": 0, "height": 19, "font": "small"},
        "value": {"anchor": "bottom_right", "x": 16, "y": 0, "width": 300, "height": 19,
                  "align": "right"}}}}))  # fmt: skip
    before, after = drawn("settings", "default", tmp_path / "a"), drawn("settings", "stacked", tmp_path / "b")
    label, value = after["Box name"], after["‹  Living Room  ›"]
    assert value[1] > label[1] and value[0] + value[2] == 64 + 12 + 736 - 16  # below it, at the row's right end
    assert before["‹  Living Room  ›"][1] == before["Box name"][1]  # by default on the label's line
    assert after["THIS BOX"] == before["THIS BOX"]  # the section heading stays


def test_the_pin_dialog_placed_and_its_pad_resized(skins, tmp_path, fixed_clock):
    skins("pinny", manifest("pinny", layouts={"pin": {"widgets": {
        "dialog": {"anchor": "top", "y": 60, "width": 700, "height": 360},
        "pad": {"anchor": "centre", "x": 0, "y": 0, "width": 400, "height": 64},
        "message": {"anchor": "bottom", "y": 24, "align": "left"}}}}))  # fmt: skip
    texts = drawn("pin_dialog", "pinny", tmp_path / "a")
    title, hint = texts["PIN to change parental settings"], texts["Back: cancel"]
    assert title[1] == 60 + 32 and title[0] >= (640 - 350) + 32  # the dialog at the top, 700 wide
    assert hint[0] == 640 - 350 + 32 and hint[1] > 60 + 360 - 24 - hint[3] - 4  # at its bottom, on the left
    panels = drawn("pin_dialog", "pinny", tmp_path / "b", "panel")
    assert (640 - 350, 60, 700, 360) in panels.values()


def test_toasts_and_the_volume_bar_where_the_skin_puts_them(skins, tmp_path, fixed_clock):
    skins("corner", manifest("corner", layouts={
        "toasts": {"widgets": {"notice": {"anchor": "top_left", "x": 80, "y": 60, "width": 500, "align": "left"}}},
        "volume": {"widgets": {"toast": {"anchor": "left", "x": 80, "y": 0, "width": 96, "height": 240},
                               "level": {"font": "medium"}}}}))  # fmt: skip
    notice = drawn("live_unavailable", "corner", tmp_path / "a")["No channel 55"]
    assert notice[:2] == (80 + 24, 60 + 12)  # its corner where the skin said, text from the left
    toasts = drawn("live_info_volume_number", "corner", tmp_path / "b", "toast")
    assert (80, 360 - 120, 96, 240) in toasts.values()
    level = drawn("live_info_volume_number", "corner", tmp_path / "c")["35"]
    assert level[0] > 80 and level[0] + level[2] < 80 + 96 and level[3] > 30  # medium text in the bar's toast


def test_the_muted_mark_follows_the_skin(skins, tmp_path, fixed_clock):
    import pygame

    from stb.ui.live import LiveScreen

    skins("mute", manifest("mute", layouts={"toasts": {"widgets": {"muted": {"anchor": "top_left", "x": 100,
                                                                              "y": 50}}}}))  # fmt: skip

    def muted(skin: str) -> tuple[int, int, int, int]:
        from stb.ui import drawlog

        (tmp_path / skin).mkdir()
        with drawlog.recording() as log, previewscene.demo_scene(tmp_path / skin, resolve(skin).theme, NOW) as scene:
            screen: LiveScreen = scene.live()
            screen.volume = (20, True)
            screen.draw_toasts(scene.canvas, time.monotonic())
            return next(d.rect for d in log.on(scene.canvas) if d.kind == "toast")

    pygame.display.init()
    assert muted("mute")[:2] == (100, 50)
    assert muted("default")[:2] != (100, 50)  # by default at the right edge


def test_the_details_dialogs_parts_go_where_the_skin_puts_them(skins, tmp_path, fixed_clock):
    skins("poster", manifest("poster", layouts={"details": {"widgets": {
        "dialog": {"height": 560},
        "logo": {"visible": False},
        "channel": {"anchor": "top_right", "x": 40, "y": 40, "width": 400, "align": "right"},
        "time": {"anchor": "top_left", "x": 40, "y": 40, "width": 500},
        "title": {"anchor": "top_left", "x": 40, "y": 90, "width": 600, "lines": 1},
        "rating": {"visible": True, "anchor": "top_right", "x": 40, "y": 90, "width": 200, "align": "right"},
        "buttons": {"anchor": "bottom_right", "x": 40, "y": 40}}}}))  # fmt: skip
    texts = drawn("details", "poster", tmp_path / "a")
    left, top = (1280 - 1040) // 2, (720 - 560) // 2
    assert texts["The Last Express"][:2] == (left + 40, top + 90)
    assert texts["Today  09:00–11:00 (2 h 00)"][:2] == (left + 40, top + 40)
    channel = texts["3  Cinema One with a Name Far Too Long for Its Box"]
    assert channel[0] + channel[2] == left + 1040 - 40 and channel[1] == top + 40
    rated = texts["Rated 16"]
    assert rated[0] + rated[2] == left + 1040 - 40 and rated[1] == top + 90
    in_dialog = [v for v, r in texts.items() if r[0] >= left]  # (the guide's pane under it says it too)
    assert "Movie" in in_dialog and not any("Rated 16" in v and v != "Rated 16" for v in in_dialog)  # facts leave it
    assert texts["Movie"][1] >= top + 90 + 42 + 20  # what still flows starts under what was placed at the top
    close = texts["Close"]
    assert close[0] + close[2] // 2 == left + 1040 - 40 - 260 // 2 and close[1] < top + 560 - 40  # last button


def test_the_checks_judge_the_new_layouts(skins):
    folder = skins("clash", manifest("clash", layouts={
        "pin": {"widgets": {"message": {"anchor": "top_left", "x": 32, "y": 120}}},
        "settings_row": {"widgets": {"value": {"anchor": "right", "x": 16, "y": 0, "width": 200}}},
        "toasts": {"widgets": {"notice": {"anchor": "top_left", "x": 1200, "y": 10}}},
        "details": {"widgets": {"title": {"anchor": "top_left", "x": 40, "y": 40},
                                "time": {"anchor": "top_left", "x": 40, "y": 40}}},
    }))  # fmt: skip
    found = {(p.path.split(": ", 1)[1], p.severity): p.message for p in check_skin_dir(folder, widget_problems)}
    assert "overlaps 'pad'" in found["$.layouts.pin.widgets.message", "error"]
    assert "overlaps 'label'" in found["$.layouts.settings_row.widgets.value", "error"]  # the label keeps its width
    assert "leaves the 1280×720 canvas" in found["$.layouts.toasts.widgets.notice", "error"]
    assert "overlaps 'time'" in found["$.layouts.details.widgets.title", "error"] or "overlaps 'title'" in found[
        "$.layouts.details.widgets.time", "error"]  # fmt: skip


def test_parts_placed_from_the_dialogs_bottom_keep_their_room(skins, tmp_path, fixed_clock):
    from stb.ui.layoutrules import _overlap

    skins("low", manifest("low", layouts={"details": {"widgets": {
        "buttons": {"anchor": "bottom_right", "x": 40, "y": 30}, "hint": {"anchor": "bottom_left", "x": 40, "y": 40},
        "description": {"lines": 12}}}}))  # fmt: skip
    _, log = preview.render_recorded("details", tmp_path, resolve("low").theme, NOW)
    dialog = [d.rect for d in log if d.kind == "panel"][-1]
    texts = [d for d in log if d.kind == "text" and d.rect[1] >= dialog[1]]
    close = next(d.rect for d in texts if d.value == "Close")
    assert close[1] + close[3] <= dialog[1] + dialog[3] - 30  # at the bottom, inside
    description = [d.rect for d in texts if d.value.startswith(("A description", "pane,"))]
    assert description and not any(_overlap(r, close) for r in description)


def test_the_tutorials_details_card_works_as_written(skins, tmp_path, fixed_clock):
    doc = (Path(__file__).parents[2] / "docs" / "skinning.md").read_text()
    block = [b.split("```", 1)[0] for b in doc.split("```json\n")[1:]][4]
    card = json.loads("{" + "\n".join(line[3:] for line in block.splitlines()) + "}")
    folder = skins("card", manifest("card", layouts=card))
    assert [p for p in check_skin_dir(folder, widget_problems) if "$.layouts" in p.path] == []
    _, log = preview.render_recorded("details", tmp_path, resolve("card").theme, NOW)
    dialog = [d.rect for d in log if d.kind == "panel"][-1]
    texts = {d.value: d.rect for d in log if d.kind == "text" and d.rect[1] >= dialog[1] and d.rect[0] >= dialog[0]}
    left = (1280 - 900) // 2
    assert texts["The Last Express"][:2] == (left + 40, dialog[1] + 70)
    rated = texts["Rated 16"]
    assert rated[0] + rated[2] == left + 900 - 40 and rated[1] == dialog[1] + 36
    close = texts["Close"]
    assert close[0] + close[2] // 2 == left + 900 - 40 - 100 and close[1] < dialog[1] + dialog[3] - 32
    assert texts["Movie"][1] > texts["The Last Express"][1]  # the facts flow under the placed parts


def test_the_conflict_dialog_placed_by_a_skin_and_judged_by_the_checks(skins, tmp_path, fixed_clock):
    skins("clashy", manifest("clashy", layouts={"conflict": {"widgets": {
        "dialog": {"anchor": "top", "y": 40, "width": 1000},
        "hint": {"visible": False}}}}))  # fmt: skip
    texts = drawn("recording_conflict", "clashy", tmp_path / "a")
    title = texts["Too many recordings at once"]
    assert title[1] == 40 + 28 and "Back: don't record" not in " ".join(texts)  # at the top, the hint hidden
    panels = drawn("recording_conflict", "clashy", tmp_path / "b", "panel").values()
    assert next(r[:2] for r in panels if r[2] == 1000) == (140, 40)
    folder = skins("clash2", manifest("clash2", layouts={"conflict": {"widgets": {
        "wanted": {"anchor": "top_left", "x": 24, "y": 28}, "rows": {"visible": False}}}}))  # fmt: skip
    found = {(p.path.split(": ", 1)[1], p.severity): p.message for p in check_skin_dir(folder, widget_problems)}
    assert "'wanted' at (204, 76, " in found["$.layouts.conflict.widgets.wanted", "error"]
    assert "cannot be hidden" in found["$.layouts.conflict.widgets.rows.visible", "error"]
