"""Finding skins, reading them safely, and resolving a chain of them into Themes.

Resolution, as in Enigma2's layered skins: the built-in emergency values ← the parent chain (root
first) ← the skin ← the user's overrides. A value, font or image a skin leaves out comes from the
skin it extends. Every problem is collected with its file and JSON path (`stb skin check` shows
them all); `resolve` refuses a skin with any error, and the app then falls back to the default skin.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, get_args

from pydantic import ValidationError

from stb.lineup.check import Problem, json_path, parse_json_bytes
from stb.skin.manifest import API_VERSION, RESOLUTION, Colours, Manifest, Widgets
from stb.skin.theme import RGB, Theme
from stb.skin.widgets import expand, ignored_keys, name_problems

MANIFEST = "skin.json"
DEFAULT_SKIN = "default"
MAX_CHAIN = 8
MAX_MANIFEST_BYTES = 256 * 1024
MAX_FONT_BYTES = 16 * 1024 * 1024
MAX_IMAGE_BYTES = 4 * 1024 * 1024
MAX_IMAGE_SIDE = 2048

# Theme field ← (widget, key) in the manifest's "widgets" (and per-screen overrides)
WIDGET_FIELDS: dict[str, tuple[str, str]] = {
    "margin": ("layout", "margin"), "radius": ("layout", "radius"),
    "font_number": ("text", "number"), "font_large": ("text", "large"),
    "font_medium": ("text", "medium"), "font_small": ("text", "small"),
    "banner_position": ("banner", "position"), "banner_height": ("banner", "height"),
    "surface_alpha": ("banner", "alpha"), "banner_seconds": ("banner", "seconds"),
    "progress_width": ("banner", "progress_width"), "progress_height": ("banner", "progress_height"),
    "list_side": ("list", "side"), "list_width": ("list", "width"), "list_row_height": ("list", "row_height"),
    "grid_row_height": ("grid", "row_height"), "grid_channel_width": ("grid", "channel_width"),
    "grid_minutes": ("grid", "minutes"), "grid_gap": ("grid", "gap"),
    "scrim_alpha": ("dialog", "scrim_alpha"), "notice_seconds": ("toast", "seconds"),
}  # fmt: skip
PLAIN_COLOURS = ("background", "surface", "surface_raised", "text", "text_dim", "accent", "focus_text", "warning",
                 "error", "now_line")  # fmt: skip
GENRES = ("movie", "sport", "news", "kids", "documentary", "series", "music", "entertainment")
KEYS = ("red", "green", "yellow", "blue")
FACES = ("regular", "bold", "condensed", "condensed_bold")


class SkinError(Exception):
    """A skin that cannot be used; ``problems`` says every reason with its place."""

    def __init__(self, name: str, problems: list[Problem]) -> None:
        self.name, self.problems = name, problems
        first = problems[0] if problems else Problem("$", "unknown problem")
        more = f" ({len(problems) - 1} more: `stb skin check`)" if len(problems) > 1 else ""
        super().__init__(f"skin {name!r}: {first}{more}")


def hex_colour(rgb: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def rgb(value: str) -> RGB:
    return int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)


def builtin_values() -> dict[str, Any]:
    """The emergency skin as manifest-shaped values, from the Theme defaults (one source of truth)."""
    t = Theme()
    colours = {name: hex_colour(getattr(t, name)) for name in PLAIN_COLOURS}
    colours |= {f"genre_{g}": hex_colour(c) for g, c in t.genre_colours}
    colours |= {f"key_{k}": hex_colour(c) for k, c in zip(KEYS, t.colour_keys, strict=True)}
    widgets: dict[str, dict[str, Any]] = {}
    for name, (widget, key) in WIDGET_FIELDS.items():
        widgets.setdefault(widget, {})[key] = getattr(t, name)
    widgets["banner"] |= {"logo_width": t.logo_size[0], "logo_height": t.logo_size[1]}
    return {"colours": colours, "widgets": widgets, "fonts": {}, "images": {}, "screens": {}, "layouts": {},
            "templates": {}}  # fmt: skip


# -- finding skins ---------------------------------------------------------------------------------------
def skin_dirs() -> list[Path]:
    """Where skins are looked for, first match wins: $STB_SKINS_DIR, the user's, then the shipped ones."""
    import platformdirs

    dirs = [Path(p) for p in os.environ.get("STB_SKINS_DIR", "").split(os.pathsep) if p]
    dirs.append(Path(platformdirs.user_data_dir("stb")) / "skins")
    dirs.append(Path(__file__).resolve().parents[2] / "skins")  # the repository's skins/
    return dirs


def find_skin(name: str) -> Path | None:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None  # a name, never a path
    for directory in skin_dirs():
        if (directory / name / MANIFEST).is_file():
            return directory / name
    return None


def installed_skins() -> Iterator[Path]:
    seen: set[str] = set()
    for directory in skin_dirs():
        if directory.is_dir():
            for manifest in sorted(directory.glob(f"*/{MANIFEST}")):
                if manifest.parent.name not in seen:
                    seen.add(manifest.parent.name)
                    yield manifest.parent


# -- reading one skin ------------------------------------------------------------------------------------
@dataclass
class SkinFolder:
    """One skin's own manifest and assets, checked; ``values`` has only what it states."""

    directory: Path
    manifest: Manifest | None = None
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)  # what hot reload watches

    def problem(self, where: str, message: str, severity: str = "error") -> None:
        self.problems.append(Problem(f"{self.directory / MANIFEST}: {where}", message, severity))  # type: ignore[arg-type]


def read_folder(directory: Path) -> SkinFolder:
    folder = SkinFolder(directory)
    path = directory / MANIFEST
    folder.files.append(path)
    try:
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            folder.problem("$", f"larger than {MAX_MANIFEST_BYTES // 1024} KB")
            return folder
        data = parse_json_bytes(path.read_bytes())
    except OSError as exc:
        folder.problem("$", f"cannot read: {exc.strerror or exc}")
        return folder
    except ValueError as exc:
        folder.problem("$", str(exc))
        return folder
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            folder.problem(json_path(error["loc"]), error["msg"])
        _check_raw_assets(folder, data)  # the rest of the file still gets checked: all problems in one pass
        return folder
    folder.manifest = manifest
    if manifest.api != API_VERSION:
        folder.problem("$.api", f"written for skin API {manifest.api}; this box draws API {API_VERSION}")
    if tuple(manifest.resolution) != RESOLUTION:
        folder.problem("$.resolution", f"{list(manifest.resolution)} is not supported: design for {list(RESOLUTION)}")
    if manifest.name != directory.name:
        folder.problem("$.name", f"{manifest.name!r} differs from its folder name {directory.name!r}", "warning")
    values = manifest.model_dump(exclude_none=True, by_alias=False,
                                 include={"colours", "widgets", "screens", "layouts", "templates"})  # fmt: skip
    for where, message in name_problems(values.get("layouts", {}), None):
        folder.problem(where, message)
    for where, message in ignored_keys(values.get("layouts", {})):
        folder.problem(where, message, "warning")
    fonts = manifest.fonts.model_dump(exclude_none=True) if manifest.fonts else {}
    values["fonts"] = {face: _asset(folder, f"$.fonts.{face}", rel, "font") for face, rel in fonts.items()}
    images = manifest.images.model_dump(exclude_none=True) if manifest.images else {}
    values["images"] = {key: _asset(folder, f"$.images.{key}", rel, "image") for key, rel in images.items()}
    folder.values = values
    return folder


def _check_raw_assets(folder: SkinFolder, data: Any) -> None:
    if not isinstance(data, dict):
        return
    for section, kind in (("fonts", "font"), ("images", "image")):
        entries = data.get(section)
        if isinstance(entries, dict):
            for key, rel in entries.items():
                if isinstance(rel, str) and rel:
                    _asset(folder, f"$.{section}.{key}", rel, kind)


def _asset(folder: SkinFolder, where: str, rel: str, kind: str) -> str | None:
    """The absolute path of an asset that stays inside the skin folder and loads; else a problem."""
    parts = Path(rel).parts
    if Path(rel).is_absolute() or rel.startswith(("/", "\\")) or ":" in rel:
        folder.problem(where, f"{rel!r}: asset paths are relative to the skin folder")
        return None
    if ".." in parts:
        folder.problem(where, f"{rel!r}: '..' would leave the skin folder")
        return None
    root = folder.directory.resolve()
    path = (folder.directory / rel).resolve()
    if root not in path.parents:
        folder.problem(where, f"{rel!r} leads outside the skin folder (a link?)")
        return None
    if not path.is_file():
        folder.problem(where, f"{rel!r} not found")
        return None
    folder.files.append(path)
    limit = MAX_FONT_BYTES if kind == "font" else MAX_IMAGE_BYTES
    if path.stat().st_size > limit:
        folder.problem(where, f"{rel!r} is larger than {limit // (1024 * 1024)} MB")
        return None
    error = _load_error(path, kind)
    if error:
        folder.problem(where, f"{rel!r} is not a usable {kind}: {error}")
        return None
    return str(path)


def _load_error(path: Path, kind: str) -> str | None:
    import pygame

    try:
        if kind == "font":
            pygame.font.init()
            pygame.font.Font(path, 12).render("Aé", True, (0, 0, 0))
        else:
            from stb.images import decode_problem

            with path.open("rb") as f:
                problem = decode_problem(f.read(MAX_IMAGE_BYTES), MAX_IMAGE_SIDE)  # before SDL allocates it
            if problem:
                return problem
            pygame.image.load(str(path))
    except (pygame.error, OSError, ValueError) as exc:
        return str(exc) or type(exc).__name__
    return None


# -- resolving a chain -----------------------------------------------------------------------------------
@dataclass
class ResolvedSkin:
    name: str
    values: dict[str, Any]
    chain: list[SkinFolder]  # root first
    warnings: list[Problem] = field(default_factory=list)
    overrides: dict[str, Any] | None = None  # the user's, kept for a reload

    @property
    def files(self) -> list[Path]:
        return [f for folder in self.chain for f in folder.files]

    def theme(self, screen: str | None = None) -> Theme:
        """The Theme a screen draws with: the skin's widget values with the screen's overrides on top."""
        widgets = _merge(self.values["widgets"], self.values.get("screens", {}).get(screen or "", {}))
        c = self.values["colours"]
        kwargs: dict[str, Any] = {name: rgb(c[name]) for name in PLAIN_COLOURS}
        kwargs["genre_colours"] = tuple((g, rgb(c[f"genre_{g}"])) for g in GENRES)
        kwargs["colour_keys"] = tuple(rgb(c[f"key_{k}"]) for k in KEYS)
        kwargs |= {name: widgets[widget][key] for name, (widget, key) in WIDGET_FIELDS.items()}
        kwargs["logo_size"] = (widgets["banner"]["logo_width"], widgets["banner"]["logo_height"])
        kwargs["fonts"] = tuple(sorted((f, p) for f, p in self.values["fonts"].items() if p))
        kwargs["brand_logo"] = self.values["images"].get("brand_logo")
        kwargs["skin"] = self.name
        layouts = expand(self.values.get("layouts", {}), self.values.get("templates", {}))
        kwargs["layouts"] = tuple((name, tuple((w, tuple(sorted(spec.items()))) for w, spec in sorted(widgets.items())))
                                  for name, widgets in sorted(layouts.items()))  # fmt: skip
        return replace(Theme(), **kwargs)


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def read_chain(name: str) -> tuple[list[SkinFolder], list[Problem]]:
    """The skin and its parents, root first, with every problem found on the way."""
    chain: list[SkinFolder] = []
    problems: list[Problem] = []
    seen: list[str] = []
    current: str | None = name
    while current is not None:
        if current in seen:
            problems.append(Problem(f"skin {seen[-1]!r}: $.extends", f"extends loop: {' → '.join([*seen, current])}"))
            break
        if len(seen) >= MAX_CHAIN:
            problems.append(Problem(f"skin {name!r}", f"more than {MAX_CHAIN} skins deep"))
            break
        directory = find_skin(current)
        if directory is None:
            where = f"skin {seen[-1]!r}: $.extends" if seen else f"skin {current!r}"
            problems.append(Problem(where, f"no skin named {current!r} in {', '.join(map(str, skin_dirs()))}"))
            break
        seen.append(current)
        folder = read_folder(directory)
        chain.insert(0, folder)
        problems += folder.problems
        current = folder.manifest.extends if folder.manifest else None
    return chain, problems


def root_gaps(folder: SkinFolder) -> list[Problem]:
    """A skin that extends nothing is a root: it must state every token and widget value itself."""
    gaps = []
    colours = folder.values.get("colours", {})
    gaps += [f"$.colours.{name}" for name in Colours.model_fields if name not in colours]
    widgets = folder.values.get("widgets", {})
    for widget, model in Widgets.model_fields.items():
        args = get_args(model.annotation)
        keys = args[0].model_fields if args else {}
        gaps += [f"$.widgets.{widget}.{key}" for key in keys if key not in widgets.get(widget, {})]
    return [Problem(f"{folder.directory / MANIFEST}: {where}", "missing in a root skin (one that extends nothing)")
            for where in gaps]  # fmt: skip


def include_problems(chain: list[SkinFolder]) -> list[Problem]:
    """Templates a layout includes must exist somewhere in the chain, and hold only that layout's widgets."""
    if not chain:
        return []
    values = chain_values(chain)
    found = name_problems(values.get("layouts", {}), values.get("templates", {}))
    found = [(where, message) for where, message in found if ".include" in where or where.startswith("$.templates")]
    return [Problem(f"{_stating(chain, where) / MANIFEST}: {where}", message) for where, message in found]


def _stating(chain: list[SkinFolder], where: str) -> Path:
    """The folder whose file states the value at JSON path ``where`` (the nearest to the skin), for messages."""
    keys = where.removeprefix("$.").split(".")
    for folder in reversed(chain):
        node: Any = folder.values
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        if node is not None:
            return folder.directory
    return chain[-1].directory


def resolve(name: str, user_overrides: dict[str, Any] | None = None) -> ResolvedSkin:
    """The skin ``name`` ready to draw with, or SkinError listing why not."""
    chain, problems = read_chain(name)
    if chain and chain[0].manifest is not None and chain[0].manifest.extends is None:
        problems += root_gaps(chain[0])
    problems += include_problems(chain)
    errors = [p for p in problems if p.severity == "error"]
    if errors or not chain:
        raise SkinError(name, errors)
    values = chain_values(chain, user_overrides)
    return ResolvedSkin(name, values, chain, [p for p in problems if p.severity != "error"], user_overrides)


def chain_values(chain: list[SkinFolder], user_overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Built-in values ← each folder, root first ← the user's overrides (an asset that failed is left out)."""
    values = builtin_values()
    for folder in chain:
        values = _merge(values, {k: {kk: vv for kk, vv in v.items() if vv is not None} if isinstance(v, dict) else v
                                 for k, v in folder.values.items()})  # fmt: skip
    return _merge(values, user_overrides) if user_overrides else values


def user_overrides_path() -> Path:
    from stb.config import config_dir

    return config_dir() / "skin-overrides.json"


def read_user_overrides(path: Path) -> dict[str, Any]:
    """The user's token/widget overrides; SkinError naming the entry when the file is wrong."""
    from stb.skin.manifest import Overrides

    try:
        data = parse_json_bytes(path.read_bytes())
        overrides = Overrides.model_validate(data)
    except OSError as exc:
        raise SkinError("user overrides", [Problem(str(path), f"cannot read: {exc.strerror or exc}")]) from None
    except ValueError as exc:  # bad JSON, or pydantic's ValidationError (a ValueError)
        problems = (
            [Problem(f"{path}: {json_path(e['loc'])}", e["msg"]) for e in exc.errors()]
            if isinstance(exc, ValidationError)
            else [Problem(str(path), str(exc))]
        )
        raise SkinError("user overrides", problems) from None
    values = overrides.model_dump(exclude_none=True)
    unknown = name_problems(values.get("layouts", {}), values.get("templates", {}))
    if unknown:
        raise SkinError("user overrides", [Problem(f"{path}: {where}", message) for where, message in unknown])
    return values


def resolve_with_fallback(name: str) -> tuple[ResolvedSkin | None, str | None]:
    """The skin to draw with and a notice for the TV: ``name``, else the default skin, else None
    (the built-in look). Every problem goes to the log; the TV gets one line."""
    import logging

    log = logging.getLogger(__name__)
    overrides: dict[str, Any] | None = None
    notice = None
    path = user_overrides_path()
    if path.exists():
        try:
            overrides = read_user_overrides(path)
        except SkinError as exc:
            log.warning("%s", exc)
            notice = f"Your skin overrides were not used: {exc.problems[0]}"
    for candidate in dict.fromkeys([name, DEFAULT_SKIN]):
        try:
            return resolve(candidate, overrides), notice
        except SkinError as exc:
            for problem in exc.problems:
                log.warning("skin %r: %s", candidate, problem)
            notice = notice or f"Skin {candidate!r} could not be used ({exc.problems[0].message}); using the default"
    return None, notice or "No skin could be read; using the built-in look"
