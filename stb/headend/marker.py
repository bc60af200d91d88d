"""A corner block pattern that encodes the channel number, so tests can tell channels from pixels.

Top-left row of 10 square cells, each width/40 wide (16 px at 640): cell 0 white and cell 1 black
(sync, so a frame without a marker reads as None), then the 8 bits of the number, MSB first,
white for 1. Big flat cells survive H.264 and scaling; reading them needs no image library.
"""

from __future__ import annotations

CELLS = 10
BITS = 8
SYNC_CELLS = 2


def cell_size(width: int) -> int:
    """Cell edge in pixels for a frame ``width`` wide (the marker scales with the picture)."""
    return max(4, width // 40)


def ffmpeg_filter(number: int, width: int = 640) -> str:
    """ffmpeg drawbox chain that paints the marker for ``number`` (1..255) on a ``width``-wide picture."""
    if not 0 < number < 2**BITS:
        raise ValueError(f"marker holds 1..{2**BITS - 1}, not {number}")
    size = cell_size(width)
    colours = ["white", "black"] + ["white" if number >> (BITS - 1 - i) & 1 else "black" for i in range(BITS)]
    return ",".join(
        f"drawbox=x={i * size}:y=0:w={size}:h={size}:color={colour}:t=fill" for i, colour in enumerate(colours)
    )


def decode(buf, width: int, height: int, stride: int, bytes_per_pixel: int = 4) -> int | None:
    """The channel number in a frame's marker, or None when the frame has no marker.

    Works on libVLC RV32 (B,G,R,X in memory), BGRA/RGBA (4 bytes per pixel) and RGB24 (3): a 3×3
    patch around each cell centre is averaged over the three colour bytes, so channel order does not
    matter, and compared with mid-grey. ``buf`` is anything with the buffer protocol (bytes,
    bytearray, memoryview, ctypes array). None when the sync cells are not white then black.
    """
    if bytes_per_pixel not in (3, 4):
        raise ValueError(f"bytes_per_pixel must be 3 or 4, not {bytes_per_pixel}")
    size = cell_size(width)
    if height < size or width < CELLS * size:
        return None
    view = memoryview(buf)
    if view.format != "B" or view.ndim != 1:
        view = view.cast("B")
    centre_y = size // 2
    spread = max(1, size // 4)
    if (centre_y + spread) * stride + CELLS * size * bytes_per_pixel > len(view):
        return None  # a truncated frame: reading it would raise
    offsets = [(dy * stride, dx * bytes_per_pixel) for dy in (-spread, 0, spread) for dx in (-spread, 0, spread)]
    threshold = len(offsets) * 3 * 128

    def lit(cell: int) -> bool:
        centre = centre_y * stride + (cell * size + size // 2) * bytes_per_pixel
        total = 0
        for row, col in offsets:
            at = centre + row + col
            total += view[at] + view[at + 1] + view[at + 2]
        return total > threshold

    if not lit(0) or lit(1):
        return None
    value = 0
    for i in range(BITS):
        value = value << 1 | lit(SYNC_CELLS + i)
    return value or None
