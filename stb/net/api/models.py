"""The API's request bodies and answers, as pydantic models: FastAPI checks requests and answers against
them and writes them into the OpenAPI document."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag, field_validator
from pydantic_core import PydanticCustomError

from stb.actions import ACTIONS
from stb.guide.query import Programme as GuideProgramme
from stb.net.signed import DEFAULT_LIFETIME_S, MAX_LIFETIME_S, STREAM_PATH_PATTERN, scope_of
from stb.streams import TITLE_MAX, TITLE_PATTERN, URL_PATTERN, fling_problem


# -- request bodies ----------------------------------------------------------------------------------------
def _whole(value: Any) -> Any:
    """JSON Schema counts 5.0 as an integer; strict pydantic would not (it still refuses "5" and true)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# An integer in a strict body: ``Annotated[int, Field(ge=…, le=…), WHOLE]``, bounds before the validator
# (after it, pydantic would write them into the document as unknown "ge"/"le" keys inside ``| None``).
WHOLE = BeforeValidator(_whole)


class _Body(BaseModel):
    """Strict, closed bodies: ``"muted": 0`` or an unknown field is a 422, as the document says, not a guess."""

    model_config = ConfigDict(strict=True, extra="forbid")


class PairRequest(_Body):
    # A visible character, as the document says: the box refuses a name of only spaces (the TV would list nothing).
    name: str = Field(min_length=1, max_length=60, pattern=r"\S", description="How the TV lists this device.")


class PairCode(_Body):
    code: str = Field(pattern=r"^\s*([0-9]{6})?\s*$", description="The 6 digits on the TV; empty once the box's "
                      "owner approved this request (`stb pairing approve`).")  # fmt: skip


class ZapById(_Body):
    id: str = Field(min_length=1, max_length=128)


class ZapByNumber(_Body):
    number: Annotated[int, Field(ge=1, le=99999), WHOLE]


class Play(_Body):
    url: str = Field(max_length=2048, pattern=URL_PATTERN,
                     description="A line-up channel's stream URL (zaps to it), or any other http, https, udp or rtp "
                     "stream, played until the next zap and never saved.")  # fmt: skip
    title: str | None = Field(None, max_length=TITLE_MAX, pattern=TITLE_PATTERN,
                              description="The banner's title for a stream not in the line-up; "
                              "left out: the URL's last path part or host.")  # fmt: skip

    @field_validator("url", mode="before")
    @classmethod
    def _stream_url(cls, value: Any) -> Any:
        """The scheme named in one sentence, rather than the pattern."""
        problem = fling_problem(value) if isinstance(value, str) else None
        if problem is not None:
            raise PydanticCustomError("stream_url", problem)
        return value


class PlayArchive(_Body):
    channel: str = Field(min_length=1, max_length=128, description="The line-up channel with catch-up")
    start: Annotated[int, Field(ge=0, le=2**34), WHOLE] = Field(description="The programme's start (UTC seconds)")


class Handoff(_Body):
    channel: str | None = Field(None, min_length=1, max_length=128,
                                description="The channel id this device took; when the TV shows another one by "
                                "now, it stays on.")  # fmt: skip
    recording: str | None = Field(None, min_length=1, max_length=64,
                                  description="The recording id this device took (instead of a channel): the TV "
                                  "keeps where it was as the resume position, and stays on if it plays another "
                                  "by now.")  # fmt: skip


class StreamUrlRequest(_Body):
    path: str = Field(max_length=300, pattern=STREAM_PATH_PATTERN, description="/stream/live, /stream/channel/ID, "
                      "/hls/live/index.m3u8, /hls/channel/ID/index.m3u8, /stream/recording/ID, /stream/timeshift/ID or "
                      "/hls/recording/ID/index.m3u8 (a segment's path works too)")  # fmt: skip
    expires_in: Annotated[int, Field(ge=10, le=MAX_LIFETIME_S), WHOLE] = Field(
        DEFAULT_LIFETIME_S, description="Seconds to start playing it in."
    )

    @field_validator("path", mode="before")
    @classmethod
    def _a_stream(cls, value: Any) -> Any:
        """One short sentence instead of the whole pattern."""
        if isinstance(value, str) and scope_of(value) is None:
            raise PydanticCustomError("stream_path", "not a stream path: /stream/… or /hls/…/index.m3u8")
        return value


class ZapByDirection(_Body):
    direction: Literal["up", "down", "last"]


def _zap_kind(body: Any) -> str | None:
    """Which of the three a body means, so a mistake is reported against that one only."""
    if isinstance(body, dict):
        return next((key for key in ("id", "number", "direction") if key in body), None)
    return next((key for key in ("id", "number", "direction") if hasattr(body, key)), None)


# Exactly one of id, number, direction: three closed bodies, which JSON Schema can say (oneOf).
Zap = Annotated[
    Annotated[ZapById, Tag("id")] | Annotated[ZapByNumber, Tag("number")] | Annotated[ZapByDirection, Tag("direction")],
    Discriminator(_zap_kind, custom_error_type="zap", custom_error_message="give one of id, number, direction"),
]


# Every keymap action but quit: the document lists them, so a client (and the fuzz) knows what a remote can press.
if TYPE_CHECKING:
    RemoteKey = str
else:
    RemoteKey = Literal[tuple(sorted(ACTIONS - {"quit"}))]


class Key(_Body):
    action: RemoteKey = Field(description="A keymap action, e.g. 'guide' or 'digit_5'.")

    @field_validator("action", mode="before")
    @classmethod
    def _known(cls, value: Any) -> Any:
        """One short sentence instead of pydantic's list of all 40 keys."""
        if value not in get_args(RemoteKey):
            raise PydanticCustomError("remote_key", "no remote key '{key}' (the document lists them)", {"key": value})
        return value


class Volume(_Body):
    volume: Annotated[int, Field(ge=0, le=100), WHOLE] | None = None
    delta: Annotated[int, Field(ge=-100, le=100), WHOLE] | None = Field(
        None, description="Ignored when volume is given."
    )
    muted: bool | None = None


class Standby(_Body):
    on: bool | None = Field(None, description="true: standby, false: wake up; left out: the other way round.")


# -- answers ------------------------------------------------------------------------------------------------
class StreamUrl(BaseModel):
    url: str = Field(description="The path with sig, exp and dev in its query; relative to the box's address.")
    expires: int = Field(description="Unix time by which a player must start with it (it then keeps working).")


class BoxInfo(BaseModel):
    id: str
    name: str
    model: str
    version: str
    api: str
    capabilities: list[str]
    pairing_required: bool
    tls_port: int | None = Field(
        None,
        description="Where the API is served over TLS with the box's own "
        "certificate, the one pinned at pairing: paired devices send tokens only there.",
    )
    fingerprint: str | None = Field(None, description="That certificate's fingerprint, as the TV shows it.")


class PairingStarted(BaseModel):
    pairing_id: str
    fingerprint: str | None = Field(None, description="The box's certificate, as the TV shows it next to the code.")
    expires_in: int = Field(description="Seconds the code stays valid (when queued: counting the turns ahead).")
    shown: bool = Field(True, description="False while other devices' codes are shown first (one request per "
                        "address, in turn).")  # fmt: skip


class Paired(BaseModel):
    token: str = Field(description="Shown once: send it as `Authorization: Bearer …` (or `?token=`).")
    device_id: str
    name: str


class PairedDevice(BaseModel):
    id: str
    name: str
    paired_at: float
    last_seen: float


class ChannelRef(BaseModel):
    id: str
    number: int
    name: str


class LineupChannel(ChannelRef):
    groups: list[str]
    radio: bool
    has_logo: bool
    archive_days: int | None = Field(None, description="Days back its catch-up archive reaches; null: none")


class Stream(BaseModel):
    """A stream flung to the TV that is not in the line-up (its URL is not repeated: it may carry credentials)."""

    title: str
    host: str


class RecordingRef(BaseModel):
    """A recording the TV plays, and where it is in it now."""

    id: str
    title: str
    position: float = Field(ge=0, description="Seconds into the recording.")
    remote: bool = Field(description="Another box's recording (multi-room): the id is that box's.")


class State(BaseModel):
    channel: ChannelRef | None = Field(description="The line-up channel on the TV; null for a flung stream.")
    stream: Stream | None = Field(None, description="A flung stream the TV plays instead of a line-up channel.")
    recording: RecordingRef | None = Field(None, description="A recording the TV plays (`stb take` continues it).")
    behind_s: float | None = Field(None, ge=0, description="The channel is watched from the timeshift buffer, this "
                                   "many seconds behind live (paused or rewound); null at live.")  # fmt: skip
    playback: Literal["idle", "connecting", "playing", "stalled", "failed"]
    volume: int = Field(ge=0, le=100)
    muted: bool
    locked: bool = Field(description="The parental lock hides this channel until the PIN is typed on the TV.")
    standby: bool = Field(description="Dark screen, nothing playing; a zap or standby off wakes the box.")


class HandedOff(BaseModel):
    standby: bool = Field(description="The TV is in standby now.")
    reason: str = Field(description="Why, in one sentence: the setting, or the TV moved on meanwhile.")
    state: State


class Programme(BaseModel):
    id: int
    channel: str
    start: int
    stop: int
    title: str
    sub_title: str | None
    description: str | None
    categories: list[str]
    episode_ns: str | None
    episode_onscreen: str | None
    icon: str | None
    rating_system: str | None
    rating: str | None
    star_rating: str | None
    is_new: bool
    previously_shown: bool
    language: str | None
    credits: list[tuple[str, str]] = Field(default=[], description='(role, name) pairs: ["director", "Ada Lee"]')
    date: str | None = Field(default=None, description="When it was made, as the guide says (XMLTV <date>)")


class NowNext(BaseModel):
    now: Programme | None
    next: Programme | None


def programme(found: GuideProgramme | None) -> Programme | None:
    return Programme(**found.as_dict()) if found is not None else None
