"""The screens that named actions open over live TV (list, guide, Settings, tracks, Other screens), and their hooks.

Kept apart from the window's frame loop: each opener builds a screen from the TV core, the look and the
services it needs, or says on the live screen why there is nothing to open.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from stb.guide.query import Programme
from stb.guide.refresh import GuideRefresher
from stb.lan.auth import Auth
from stb.lan.discovery import FoundBox
from stb.lan.peers import Peers
from stb.lan.remote_recordings import RecordingTarget
from stb.lineup.model import Channel
from stb.skin.resolve import installed_skins
from stb.tv.catchup import oldest
from stb.tv.core import TvCore
from stb.tv.recordings import Conflict
from stb.ui.channellist import ChannelListScreen
from stb.ui.confirm import ConfirmDialog
from stb.ui.conflict import ConflictDialog
from stb.ui.details import DetailsScreen
from stb.ui.devices import DevicesScreen
from stb.ui.grid import GridScreen
from stb.ui.live import LiveScreen
from stb.ui.look import Look
from stb.ui.otherscreens import OtherScreensScreen, ScreensHooks
from stb.ui.recordings import RecordingsScreen
from stb.ui.screen import Screen, ScreenStack
from stb.ui.settings import Hooks, SettingsScreen
from stb.ui.tracks import TrackPicker


@dataclass
class Openers:
    """Builds the screens; ``use_skin`` and ``page_url`` come from the window, ``peers`` when the box is on a LAN."""

    tv: TvCore
    look: Look
    stack: ScreenStack
    live: LiveScreen
    auth: Auth
    refresher: GuideRefresher
    use_skin: Callable[[str], bool]
    page_url: Callable[[], str | None]
    peers: Callable[[], Peers | None]

    def for_action(self, action: str) -> Callable[[], Screen | None] | None:
        """The opener of a main screen for ``action``, or None when the action opens nothing."""
        table: dict[str, Callable[[], Screen | None]] = {
            "list": self.channel_list,
            "guide": self.guide,
            "audio_track": lambda: self.track_picker("audio_track"),
            "subtitles": lambda: self.track_picker("subtitles"),
            "menu": self.settings,
            "other_screens": self.other_screens,
            "record": self.record,
            "recordings": self.recordings,
        }
        return table.get(action)

    def channel_list(self) -> ChannelListScreen:
        return ChannelListScreen(self.tv.box, self.look.theme_for("list"), lambda: self.tv.guide, self.live.logos)

    def guide(self, cached: bool = True) -> GridScreen:
        return GridScreen(self.tv.box, self.look.theme_for("guide"), lambda: self.tv.guide, self.live.draw_video,
                          self.details, cached=cached, marked=self.tv.recordings.timer_starts,
                          record=self.record_programme, archived=oldest)  # fmt: skip

    def details(self, programme: Programme, channel: Channel) -> None:
        self.stack.push(DetailsScreen(programme, channel, self.look.theme_for("details"), self.watch,
                                      reminders=self.tv.box, logo=self.live.logos.get,
                                      recordings=self.tv.recordings, archive=self.play_archive))  # fmt: skip

    def play_archive(self, programme: Programme, channel: Channel) -> bool:
        """A past programme from the channel's archive, then back to the picture (its transport keys work)."""
        if not self.tv.catchup.play(programme, channel):
            return False
        self.stack.clear()
        return True

    def watch(self, channel: Channel) -> None:
        """Watch ``channel`` from a screen over live TV: tune it and go back to live TV."""
        self.tv.box.zap(channel.id)
        self.stack.clear()

    def record(self) -> None:
        """Record the channel on screen from now; on a channel being recorded, offer to stop (Cancel focused)."""
        tv, channel = self.tv, self.tv.box.current
        if channel is None:
            return None
        if tv.mirroring is not None or tv.box.is_flung(channel):
            self.live.say("Only this box's own channels can be recorded")
            return None
        timer = tv.recordings.recording_on(channel.id)
        if timer is None:
            tv.recordings.record_now(channel)
            return None

        def stop() -> None:
            tv.recordings.cancel(timer)

        self.stack.push(ConfirmDialog("Stop recording?", f"{timer.title} on {channel.name} is being recorded. "
                                      "What is recorded so far is kept.", "Stop recording",
                                      self.look.theme_for("pin"), stop))  # fmt: skip
        return None

    def record_programme(self, programme: Programme, channel: Channel) -> None:
        """The record key on a programme in the guide: record it (from now when it is on); on one with a timer,
        offer to drop it (the safe choice focused). A conflict is asked about (:meth:`conflict`)."""
        recordings = self.tv.recordings
        timer = recordings.timer_for(channel.id, programme.start)
        if timer is None:
            recordings.record_programme(programme, channel)
            return
        if timer.state == "recording":
            title, body, action = ("Stop recording?", f"{timer.title} on {channel.name} is being recorded. What is "
                                   "recorded so far is kept.", "Stop recording")  # fmt: skip
        else:
            title, body, action = "Cancel this recording?", f"{timer.title} on {channel.name} will be recorded.", (
                "Don't record")  # fmt: skip

        def drop() -> None:
            recordings.cancel(timer)

        self.stack.push(ConfirmDialog(title, body, action, self.look.theme_for("pin"), drop))

    def conflict(self, conflict: Conflict) -> None:
        """The recorder refused a timer for want of channels: the household chooses what to drop (over any screen)."""
        lineup = self.tv.box.lineup

        def name(channel_id: str) -> str:
            channel = lineup.by_id(channel_id)
            return channel.name if channel is not None else channel_id

        self.stack.push(ConflictDialog(conflict, self.look.theme_for("pin"), name, self.tv.recordings.resolve))

    def recordings(self) -> RecordingsScreen:
        return RecordingsScreen(self.tv.recordings, self.look.theme_for("list"), self.stack.push,
                                self.look.theme_for("pin"))  # fmt: skip

    def settings(self) -> SettingsScreen:
        box, refresher = self.tv.box, self.refresher
        return SettingsScreen(box, self.look.theme_for("settings"), Hooks(
            push=self.stack.push,
            set_pretuning=self.tv.zapper.set_pretuning,
            set_refresh_hours=lambda hours: setattr(refresher, "interval_s", hours * 3600.0),
            refresh_guide_now=refresher.refresh_now,
            use_skin=self.use_skin,
            devices=lambda: len(self.auth.devices()),
            open_recordings=lambda: self.stack.push(self.recordings()),
            open_devices=lambda: self.stack.push(DevicesScreen(self.auth, self.look.theme_for("devices"),
                                                               self.live.say, self.page_url, self.stack.push)),
            skins=lambda: [folder.name for folder in installed_skins()] or [box.settings.skin],
            current_skin=lambda: self.look.skin.name if self.look.skin else None,
        ))  # fmt: skip

    def track_picker(self, kind: str) -> TrackPicker | None:
        """The picker, or a notice when there is nothing to choose from."""
        player = self.tv.zapper.active
        if kind == "audio_track" and len(player.audio_tracks()) < 2:
            self.live.say("Only one audio track" if player.audio_tracks() else "No audio")
            return None
        if kind == "subtitles" and not player.subtitle_tracks():
            self.live.say("No subtitles on this channel")
            return None
        return TrackPicker(kind, player, self.look.theme_for("tracks"), time.monotonic())

    def other_screens(self) -> OtherScreensScreen | None:
        peers = self.peers()
        if peers is None:
            self.live.say("Other screens: this box is not on the network (stb run --listen 0.0.0.0)")
            return None
        box = self.tv.box

        def play_recording(found: FoundBox, target: RecordingTarget) -> None:
            """Another box's recording on this TV; where it stops goes back to that box, for every screen."""
            if self.tv.mirroring is not None:
                self.tv.leave_mirror()
            recording = target.recording

            def save(at: float, watched: bool | None) -> None:
                peers.save_position(found, recording.id, at, watched)

            self.tv.recordings.play_remote(recording, target.url, target.position, save)

        hooks = ScreensHooks(peers, lambda: box.lineup, lambda: box.settings.box_name, mirror=self.tv.start_mirror,
                             tune=self.tune_here, play_recording=play_recording)  # fmt: skip
        return OtherScreensScreen(self.look.theme_for("screens"), hooks)

    def tune_here(self, channel: Channel) -> None:
        """ "Tune the same channel": from our own line-up, leaving a mirror first (it may be our channel already)."""
        if self.tv.mirroring is not None:
            self.tv.leave_mirror()
        self.watch(channel)
