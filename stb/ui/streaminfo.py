"""The stream info overlay and the audio/subtitle track choice, for the live screen.

Pure functions turn the player's figures into lines and pick the next track, so they are tested
without libVLC; LiveScreen only draws the lines and calls the player.
"""

from __future__ import annotations

from stb.player.engine import PlaybackState, StreamStats

OFF = -1  # libVLC's id for "no subtitles"


def describe(
    stats: StreamStats, state: PlaybackState, pretuned: int, relay: tuple[int, ...] | None = None
) -> list[str]:
    """What the info overlay says, one line each; ``relay`` is (channels read, clients[, of them HLS]) when it runs."""
    size = f"{stats.width}×{stats.height}" if stats.width and stats.height else "size unknown"
    codecs = " / ".join(c for c in (stats.video_codec, stats.audio_codec) if c) or "codecs unknown"
    rate = f"{stats.bitrate_kbps / 1000:.1f} Mbit/s" if stats.bitrate_kbps else "bit rate unknown"
    return [
        f"{state.value.capitalize()} · {size} · {codecs}",
        f"{rate} · {stats.decoded} pictures decoded · {stats.dropped} lost",
        (
            f"{pretuned} channel{'s' if pretuned != 1 else ''} ready for instant zaps"
            if pretuned
            else "No channels pre-tuned"
        ),
    ] + ([] if relay is None else [_relay_line(*relay)])


def _relay_line(upstreams: int, clients: int, hls: int = 0) -> str:
    if not clients:
        return "No other screens watching"
    screens = "1 other screen" if clients == 1 else f"{clients} other screens"
    if hls:
        screens += f" ({hls} HLS)"
    return f"{screens} · relaying {upstreams} channel{'s' if upstreams != 1 else ''}"


def next_track(tracks: list[tuple[int, str]], current: int, with_off: bool) -> tuple[int, str] | None:
    """The track after ``current`` (wrapping; through "off" when ``with_off``), or None if nothing to choose."""
    choices = ([(OFF, "Off")] if with_off else []) + tracks
    if len(choices) < 2:
        return None
    ids = [track for track, _ in choices]
    at = ids.index(current) if current in ids else -1
    return choices[(at + 1) % len(choices)]
