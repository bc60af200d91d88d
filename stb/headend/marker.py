"""A corner block pattern that encodes the channel number, so tests can tell channels from pixels.

Top-left row of 10 square cells, each width/40 wide (16 px at 640): cell 0 white and cell 1 black
(sync, so a frame without a marker reads as None), then the 8 bits of the number, MSB first,
white for 1.
"""

from __future__ import annotations

CELLS = 10
BITS = 8


def cell_size(width: int) -> int:
    return max(4, width // 40)


def ffmpeg_filter(number: int, width: int = 640) -> str:
    """ffmpeg drawbox chain that paints the marker for ``number`` (1..255)."""
    if not 0 < number < 2**BITS:
        raise ValueError(f"marker holds 1..{2**BITS - 1}, not {number}")
    size = cell_size(width)
    colours = ["white", "black"] + ["white" if number >> (BITS - 1 - i) & 1 else "black" for i in range(BITS)]
    return ",".join(
        f"drawbox=x={i * size}:y=0:w={size}:h={size}:color={colour}:t=fill" for i, colour in enumerate(colours)
    )


def decode(buf, width: int, height: int, stride: int, bytes_per_pixel: int = 4) -> int | None:
    """Read the marker from a frame (RV32/BGRA/RGBA with 4 bytes per pixel, or RGB24 with 3).

    Samples a 3×3 patch at each cell centre; the three colour bytes are averaged, so the byte order
    does not matter. Returns None when the sync cells are not white then black.
    """
    size = cell_size(width)
    if height < size or width < CELLS * size:
        return None
    view = memoryview(buf).cast("B") if not isinstance(buf, memoryview) else buf
    centre_y = size // 2

    def lit(cell: int) -> bool:
        cx = cell * size + size // 2
        total = 0
        for dy in (-1, 0, 1):
            row = (centre_y + dy) * stride
            for dx in (-1, 0, 1):
                at = row + (cx + dx) * bytes_per_pixel
                total += view[at] + view[at + 1] + view[at + 2]
        return total > 9 * 3 * 128

    if not lit(0) or lit(1):
        return None
    value = 0
    for i in range(BITS):
        value = value << 1 | lit(2 + i)
    return value or None
