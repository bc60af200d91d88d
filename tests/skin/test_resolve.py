"""Skin resolution: inheritance and override order, every class of broken skin, path confinement."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from stb.skin.manifest import json_schema
from stb.skin.resolve import SkinError, resolve, resolve_with_fallback
from stb.skin.theme import Theme
from tests.skin.folders import manifest

REPO_SKINS = Path(__file__).parents[2] / "skins"


def test_the_default_skin_is_the_built_in_look():
    assert resolve("default").theme() == Theme(skin="default")


def test_a_child_inherits_what_it_leaves_out_and_overrides_in_order(skins):
    skins("brand", manifest("brand", colours={"accent": "#112233"}, widgets={"banner": {"position": "top"}}))
    skins("brand-kids", manifest("brand-kids", extends="brand", colours={"text": "#fefefe"},
                                 screens={"guide": {"text": {"small": 17}}}))  # fmt: skip
    skin = resolve("brand-kids", user_overrides={"colours": {"accent": "#abcdef"}})
    live, guide = skin.theme("live"), skin.theme("guide")
    assert live.accent == (0xAB, 0xCD, 0xEF)  # user overrides win over the skin and its parent
    assert live.text == (0xFE, 0xFE, 0xFE) and live.banner_position == "top"  # own value; parent's value
    assert live.surface == Theme().surface  # from the root (default)
    assert guide.font_small == 17 and live.font_small == Theme().font_small  # a per-screen override
    assert [f.directory.name for f in skin.chain] == ["default", "brand", "brand-kids"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{not json", "invalid JSON at line 1"),
        (manifest("broken", api=2), "written for skin API 2; this box draws API 1"),
        (manifest("broken", resolution=[1920, 1080]), "[1920, 1080] is not supported"),
        (manifest("broken", colours={"accent": "blue"}), "String should match pattern"),
        (manifest("broken", widgets={"banner": {"position": "middle"}}), "Input should be 'bottom' or 'top'"),
        (manifest("broken", colour={"accent": "#000000"}), "Extra inputs are not permitted"),
        (manifest("broken", extends="nowhere"), "no skin named 'nowhere'"),
        (manifest("broken", extends="broken"), "extends loop: broken → broken"),
        ({k: v for k, v in manifest("broken").items() if k != "extends"}, "missing in a root skin"),
        (manifest("broken", fonts={"regular": "../../etc/passwd"}), "'..' would leave the skin folder"),
        (manifest("broken", fonts={"regular": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"}),
         "asset paths are relative to the skin folder"),
        (manifest("broken", fonts={"regular": "fonts/missing.ttf"}), "'fonts/missing.ttf' not found"),
        (manifest("broken", fonts={"regular": "fonts/fake.ttf"}), "is not a usable font"),
        (manifest("broken", images={"brand_logo": "images/fake.png"}), "is not a usable image"),
    ],
)  # fmt: skip
def test_each_class_of_broken_skin_is_refused_with_its_place_and_the_box_falls_back(skins, data, message, caplog):
    skins("broken", data, {"fonts/fake.ttf": b"not a font at all", "images/fake.png": b"\x89PNG\r\n\x1a\n broken"})
    with pytest.raises(SkinError) as caught:
        resolve("broken")
    assert any(message in str(p) for p in caught.value.problems), caught.value.problems
    skin, notice = resolve_with_fallback("broken")
    assert skin is not None and skin.name == "default"  # the TV still starts, with the default look
    assert notice.startswith("Skin 'broken' could not be used (") and notice.endswith("using the default")
    assert message in caplog.text  # the log says exactly what was wrong


def test_a_link_out_of_the_skin_folder_is_refused(skins, tmp_path):
    outside = tmp_path / "outside.ttf"
    shutil.copy(Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"), outside)
    folder = skins("linky", manifest("linky", fonts={"regular": "fonts/evil.ttf"}))
    (folder / "fonts").mkdir()
    (folder / "fonts" / "evil.ttf").symlink_to(outside)
    with pytest.raises(SkinError, match="leads outside the skin folder"):
        resolve("linky")


def test_a_huge_image_is_refused_before_it_is_drawn(skins):
    import pygame

    folder = skins("huge", manifest("huge", images={"brand_logo": "images/huge.png"}))
    (folder / "images").mkdir()
    pygame.image.save(pygame.Surface((4000, 10)), str(folder / "images" / "huge.png"))
    with pytest.raises(SkinError, match="4000×10 is larger than 2048 px"):
        resolve("huge")


def test_skin_names_are_names_not_paths(skins):
    for name in ("../default", "/etc", ".hidden", "a/b"):
        with pytest.raises(SkinError, match="no skin named"):
            resolve(name)


def test_broken_user_overrides_are_skipped_with_a_notice(skins, tmp_path, monkeypatch):
    config = tmp_path / "config"
    config.mkdir()
    (config / "skin-overrides.json").write_text('{"colours": {"accent": "red"}}')
    monkeypatch.setenv("STB_CONFIG_DIR", str(config))
    skin, notice = resolve_with_fallback("default")
    assert skin.name == "default" and skin.theme().accent == Theme().accent
    assert notice.startswith("Your skin overrides were not used:") and "colours.accent" in notice


def test_the_shipped_schema_is_the_models():
    shipped = json.loads((Path(__file__).parents[2] / "stb" / "skin" / "skin.schema.json").read_text())
    assert shipped == json_schema(), "run `stb skin schema -o stb/skin/skin.schema.json`"
    for skin in ("default", "highcontrast", "operator"):
        assert json.loads((REPO_SKINS / skin / "skin.json").read_text())["$schema"] == "../../stb/skin/skin.schema.json"


def test_the_skinning_guide_has_the_current_reference():
    from stb.skin.manifest import reference_markdown

    doc = (Path(__file__).parents[2] / "docs" / "skinning.md").read_text()
    section = doc.split("<!-- reference:start -->\n", 1)[1].split("<!-- reference:end -->", 1)[0]
    assert section == reference_markdown(), "run `stb skin schema --markdown` and paste it into docs/skinning.md"


def test_the_tutorial_skin_works_as_written(tmp_path, monkeypatch):
    import pygame

    doc = (Path(__file__).parents[2] / "docs" / "skinning.md").read_text()
    manifest_text = doc.split("```json\n", 1)[1].split("```", 1)[0]
    manifest_text = "\n".join(line[3:] if line.startswith("   ") else line for line in manifest_text.splitlines())
    folder = tmp_path / "skins" / "lakeside"
    (folder / "images").mkdir(parents=True)
    (folder / "skin.json").write_text(manifest_text)
    pygame.image.save(pygame.Surface((200, 60)), str(folder / "images" / "logo.png"))
    monkeypatch.setenv("STB_SKINS_DIR", str(tmp_path / "skins"))
    theme = resolve("lakeside").theme()
    assert theme.accent == (0xE0, 0x00, 0x7A) and theme.banner_position == "top"
    assert theme.brand_logo == str((folder / "images" / "logo.png").resolve())
