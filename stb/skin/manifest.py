"""What a `skin.json` may say: the manifest, its sections, and the JSON Schema shipped for editors.

Every section is partial: a skin states what differs from the skin it `extends` (Kodi's palettes
override a few semantic names, not every control). The model is the single source of the format:
validation with JSON paths, the shipped `skin.schema.json` and the reference in docs/skinning.md
all come from it.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from stb.skin.widgets import LayoutSpec, WidgetSpec

API_VERSION = 1  # bumped when a skin written for the old one would draw wrongly
RESOLUTION = (1280, 720)  # the logical canvas; the only design resolution so far
SCHEMA_FILE = "skin.schema.json"

Colour = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$", description="#rrggbb")]
AssetPath = Annotated[
    str,
    Field(min_length=1, max_length=200, description="A file inside the skin folder, e.g. fonts/Brand.ttf"),
]
Pixels = Annotated[int, Field(ge=0, le=1280)]
FontSize = Annotated[int, Field(ge=8, le=160)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Colours(_Section):
    """Semantic colour tokens: screens ask for "text on a surface", never for a literal colour."""

    background: Colour | None = Field(None, description="Behind everything when there is no picture.")
    surface: Colour | None = Field(None, description="Panels over the picture: banner, lists, dialogs.")
    surface_raised: Colour | None = Field(None, description="Cells, rows and tracks on a surface.")
    text: Colour | None = Field(None, description="Main text on a surface.")
    text_dim: Colour | None = Field(None, description="Secondary text: times, what is next, hints.")
    accent: Colour | None = Field(None, description="The focus and the brand: focused rows, numbers, bars.")
    focus_text: Colour | None = Field(None, description="Text on the accent (a focused row).")
    warning: Colour | None = Field(None, description="Notices that need attention, the favourite star.")
    error: Colour | None = None
    now_line: Colour | None = Field(None, description="The guide's 'now' line.")
    genre_movie: Colour | None = None
    genre_sport: Colour | None = None
    genre_news: Colour | None = None
    genre_kids: Colour | None = None
    genre_documentary: Colour | None = None
    genre_series: Colour | None = None
    genre_music: Colour | None = None
    genre_entertainment: Colour | None = None
    key_red: Colour | None = Field(None, description="Colour-key hints (F5–F8 on a keyboard).")
    key_green: Colour | None = None
    key_yellow: Colour | None = None
    key_blue: Colour | None = None


class Fonts(_Section):
    regular: AssetPath | None = None
    bold: AssetPath | None = None
    condensed: AssetPath | None = Field(None, description="Grid cells and dense lists.")
    condensed_bold: AssetPath | None = None


class Images(_Section):
    brand_logo: AssetPath | None = Field(None, description="The operator's logo, drawn on the banner and the guide.")


class Layout(_Section):
    margin: Pixels | None = Field(None, description="Distance of panels from the screen's edges.")
    radius: Annotated[int, Field(ge=0, le=40)] | None = Field(None, description="Corner radius of panels.")


class Text(_Section):
    number: FontSize | None = Field(None, description="The channel number on the banner.")
    large: FontSize | None = None
    medium: FontSize | None = None
    small: FontSize | None = Field(None, description="Most text: lists, cells, descriptions.")


class Banner(_Section):
    position: Literal["bottom", "top"] | None = None
    height: Annotated[int, Field(ge=80, le=400)] | None = None
    alpha: Annotated[int, Field(ge=0, le=255)] | None = Field(None, description="Opacity of panels over video.")
    seconds: Annotated[float, Field(gt=0, le=60)] | None = Field(None, description="How long it stays after a zap.")
    progress_width: Annotated[int, Field(ge=40, le=1000)] | None = None
    progress_height: Annotated[int, Field(ge=2, le=40)] | None = None
    logo_width: Annotated[int, Field(ge=16, le=400)] | None = None
    logo_height: Annotated[int, Field(ge=16, le=300)] | None = None


class ChannelList(_Section):
    side: Literal["left", "right"] | None = None
    width: Annotated[int, Field(ge=360, le=1100)] | None = None
    row_height: Annotated[int, Field(ge=32, le=200)] | None = Field(None, description="From one row to the next.")


class Grid(_Section):
    row_height: Annotated[int, Field(ge=32, le=120)] | None = None
    channel_width: Annotated[int, Field(ge=120, le=500)] | None = None
    minutes: Literal[60, 90, 120, 150, 180] | None = Field(None, description="Time shown across the grid.")
    gap: Annotated[int, Field(ge=0, le=12)] | None = None


class Dialog(_Section):
    scrim_alpha: Annotated[int, Field(ge=0, le=255)] | None = Field(None, description="How much a dialog darkens.")


class Toast(_Section):
    seconds: Annotated[float, Field(gt=0, le=30)] | None = None


class Widgets(_Section):
    """Per-widget-type values; a screen override below states only what differs for that screen."""

    layout: Layout | None = None
    text: Text | None = None
    banner: Banner | None = None
    list: ChannelList | None = None
    grid: Grid | None = None
    dialog: Dialog | None = None
    toast: Toast | None = None


ScreenName = Literal["live", "list", "guide", "details", "settings", "pin", "tracks", "pairing", "devices"]


class Manifest(_Section):
    schema_: str | None = Field(None, alias="$schema")
    name: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    title: str | None = Field(None, max_length=80, description="Shown in Settings; the name when absent.")
    version: str = Field(min_length=1, max_length=20)
    author: str = Field(min_length=1, max_length=120)
    licence: str = Field(min_length=1, max_length=60)
    api: int = Field(description=f"The skin API this skin was written for; this box draws API {API_VERSION}.")
    resolution: tuple[int, int] = Field(description="The design resolution: [1280, 720].")
    extends: str | None = Field(None, description="The parent skin; what this one leaves out comes from it.")
    fonts: Fonts | None = None
    images: Images | None = None
    colours: Colours | None = None
    widgets: Widgets | None = None
    screens: dict[ScreenName, Widgets] | None = Field(None, description="Per-screen overrides of widget values.")
    layouts: dict[str, LayoutSpec] | None = Field(None, description="Where each named widget of a layout goes.")
    templates: dict[str, dict[str, WidgetSpec]] | None = Field(
        None, description="Widget placements a layout can `include` (a row design used twice)."
    )

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def json_schema() -> dict:
    schema = Manifest.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "stb skin manifest (skin.json)"
    return schema


class Overrides(_Section):
    """The user's own changes over any skin (`~/.config/stb/skin-overrides.json`): tokens and widgets only."""

    colours: Colours | None = None
    widgets: Widgets | None = None
    screens: dict[ScreenName, Widgets] | None = None
    layouts: dict[str, LayoutSpec] | None = None
    templates: dict[str, dict[str, WidgetSpec]] | None = None


def reference_markdown() -> str:
    """The token and widget reference of docs/skinning.md, from the JSON Schema (so it cannot drift)."""
    defs = json_schema()["$defs"]

    def values(prop: dict) -> str:
        options = [o for o in prop.get("anyOf", [prop]) if o.get("type") != "null"]
        o = options[0] if options else {}
        if "enum" in o:
            return " / ".join(str(v) for v in o["enum"])
        if "pattern" in o:
            return "#rrggbb"
        low = o.get("minimum", o.get("exclusiveMinimum"))
        kind = {"integer": "integer", "number": "number", "string": "file path"}.get(str(o.get("type")), "")
        return f"{kind} {low}–{o['maximum']}" if low is not None and "maximum" in o else kind

    lines = ["### Colours (`colours`)", "", "| token | meaning |", "|---|---|"]
    lines += [f"| `{name}` | {prop.get('description', '')} |" for name, prop in defs["Colours"]["properties"].items()]
    lines += ["", "### Fonts (`fonts`) and images (`images`): files inside the skin folder", "",
              "| key | meaning |", "|---|---|"]  # fmt: skip
    for section, model in (("fonts", "Fonts"), ("images", "Images")):
        for name, prop in defs[model]["properties"].items():
            lines.append(f"| `{section}.{name}` | {prop.get('description', 'a TrueType/OpenType font')} |")
    lines += ["", "### Widgets (`widgets`, and per screen under `screens.<screen>`)", "",
              "| widget.key | values | meaning |", "|---|---|---|"]  # fmt: skip
    for widget, prop in defs["Widgets"]["properties"].items():
        ref = next(o["$ref"] for o in prop["anyOf"] if "$ref" in o).rsplit("/", 1)[1]
        for name, field in defs[ref]["properties"].items():
            lines.append(f"| `{widget}.{name}` | {values(field)} | {field.get('description', '')} |")
    lines += ["", "Screens: " + ", ".join(f"`{s}`" for s in get_args(ScreenName)) + ".", ""]
    from stb.skin.widgets import reference_markdown as widget_reference

    return "\n".join(lines) + "\n" + widget_reference()
