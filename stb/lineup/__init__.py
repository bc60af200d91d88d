"""The channel line-up: the `channels.json` model, its checks, and M3U import/export."""

from stb.lineup.check import Problem, check_lineup
from stb.lineup.load import load_lineup, save_lineup
from stb.lineup.m3u import M3UResult, parse_m3u, read_m3u_file
from stb.lineup.m3u_write import write_m3u
from stb.lineup.model import Channel, HeadendRef, Lineup, json_schema

__all__ = [
    "Channel",
    "HeadendRef",
    "Lineup",
    "M3UResult",
    "Problem",
    "check_lineup",
    "json_schema",
    "load_lineup",
    "parse_m3u",
    "read_m3u_file",
    "save_lineup",
    "write_m3u",
]
