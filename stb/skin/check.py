"""`stb skin check`: every problem of a skin folder with its place, and contrast warnings (WCAG AA).

A skin that passes here also resolves at start; the checks are the same code (`read_folder`, the
chain, root completeness), plus the contrast of the colour pairs the screens draw text with.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import get_args

from stb.lineup.check import Problem
from stb.skin.manifest import ScreenName
from stb.skin.resolve import (
    MANIFEST,
    ResolvedSkin,
    chain_values,
    include_problems,
    read_chain,
    read_folder,
    rgb,
    root_gaps,
)

AA = 4.5  # WCAG 2 AA for normal text
TEXT_PAIRS = (  # (text colour, what it is drawn on): the pairs the screens use
    ("text", "surface"), ("text_dim", "surface"), ("text", "background"), ("text_dim", "background"),
    ("text", "surface_raised"), ("text_dim", "surface_raised"), ("focus_text", "accent"), ("accent", "surface"),
    ("warning", "surface"), ("accent", "background"),
)  # fmt: skip


def luminance(colour: tuple[int, int, int]) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""

    def linear(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def contrast_warnings(colours: dict[str, str], where: str) -> list[Problem]:
    warnings = []
    for fg, bg in TEXT_PAIRS:
        ratio = contrast(rgb(colours[fg]), rgb(colours[bg]))
        if ratio < AA:
            warnings.append(Problem(f"{where}: $.colours", f"{fg} on {bg} has contrast {ratio:.2f}:1, below WCAG AA "
                                    f"({AA}:1)", "warning"))  # fmt: skip
    return warnings


def check_skin_dir(directory: Path, layout: Callable[[ResolvedSkin], list[Problem]] | None = None) -> list[Problem]:
    """Every problem of the skin in ``directory`` (its parents found by name), errors and warnings.

    ``layout`` judges the skin's screens as drawn (``stb.ui.layoutcheck.layout_warnings``, given by the CLI:
    drawing is the views' business, below which this module sits)."""
    if not (directory / MANIFEST).is_file():
        return [Problem(str(directory), f"no {MANIFEST} here: a skin is a folder with a {MANIFEST}")]
    folder = read_folder(directory)
    problems = list(folder.problems)
    chain = [folder]
    if folder.manifest is not None and folder.manifest.extends:
        parents, parent_problems = read_chain(folder.manifest.extends)
        problems += parent_problems
        chain = [*parents, folder]
    elif folder.manifest is not None:
        problems += root_gaps(folder)
    problems += include_problems(chain)
    if any(p.severity == "error" for p in problems):
        return problems
    values = chain_values(chain)
    resolved = ResolvedSkin(directory.name, values, chain)
    for screen in (None, *get_args(ScreenName)):
        resolved.theme(screen)  # every screen's Theme builds (a bad override would raise here)
    problems += contrast_warnings(values["colours"], str(directory / MANIFEST))
    return problems + (layout(resolved) if layout is not None else [])
