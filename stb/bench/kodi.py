"""`stb bench kodi`: the box's exports judged by the client they are written for, Kodi with IPTV Simple.

Kodi 20 and pvr.iptvsimple (Debian's ``kodi``, ``kodi-pvr-iptvsimple``) run headless under Xvfb with a
throw-away home, IPTV Simple set to the box's ``/playlist.m3u`` and ``/xmltv.xml`` (with a paired token,
as a household sets it), catch-up on. Kodi is driven over its JSON-RPC, and asked what it made of them:
channels (numbers, groups, logos, catch-up), guide entries and how far back they reach, live TV and a
past programme played through the box (the box's catch-up route is watched for the request Kodi makes).
Baseline in the same run: Kodi opening the head-end's own live and archive URLs directly, so the ratios
are what the box adds.

Kodi announces itself (zeroconf, UPnP, its event server, WS-Discovery): everything here runs in a
network namespace of its own (``unshare -n``), with those services off in its settings too. Kodi starts
its web server only when it sees a network interface other than loopback, so the namespace gets a veth
pair that leads nowhere. Needs root.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from stb.errors import StbError
from stb.lineup.catchup import archive_url, of_channel
from stb.lineup.model import Lineup
from stb.net import exports

KODI_PORT = 8080
BOX_PORT = 8600  # the TLS side takes the next port
HEADEND_PORT = 8610
START_TIMEOUT_S = 300.0  # Kodi's first start on two loaded cores takes minutes
PLAY_TIMEOUT_S = 60.0
FILE_ROUNDS = 3  # plays of each URL by Kodi's own player (p50)
FILE_PLAY_TIMEOUT_S = 30.0
ADDON = "pvr.iptvsimple"
ADDON_DIR = Path("/usr/share/kodi/addons") / ADDON
GUI_SETTINGS = {  # JSON-RPC over HTTP on, everything that announces or listens for others off
    "services.webserver": "true",
    "services.webserverport": str(KODI_PORT),
    "services.webserverauthentication": "false",
    "services.zeroconf": "false",
    "services.upnp": "false",
    "services.upnpserver": "false",
    "services.upnprenderer": "false",
    "services.upnpcontroller": "false",
    "services.esenabled": "false",
    "services.esallinterfaces": "false",
    "services.airplay": "false",
    "services.wsdiscovery": "false",
    "general.addonupdates": "2",
    "general.addonnotifications": "false",
}


def missing() -> str | None:
    """Why the check cannot run here, or None."""
    if os.geteuid() != 0:
        return "stb bench kodi needs root (it runs Kodi and the box in a network namespace of their own)"
    for tool in ("kodi", "xvfb-run", "unshare", "ip"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install kodi kodi-pvr-iptvsimple xvfb iproute2)"
    if not (ADDON_DIR / "addon.xml").exists():
        return "Kodi's IPTV Simple add-on is not installed (apt-get install kodi-pvr-iptvsimple)"
    return None


def run(log: Path | None = None) -> dict:
    """Run the check in a fresh network namespace (a child process); its report. ``log``: keep Kodi's log there."""
    if (why := missing()) is not None:
        raise StbError(why)
    with tempfile.TemporaryDirectory(prefix="stb-bench-kodi-") as tmp:
        out = Path(tmp) / "report.json"
        keep = [str(log.resolve())] if log is not None else []
        child = subprocess.run(["unshare", "-n", "--", sys.executable, "-m", "stb.bench.kodi", tmp, *keep],
                               capture_output=True, text=True, timeout=START_TIMEOUT_S + 600)  # fmt: skip
        if not out.exists():
            tail = " | ".join((child.stderr or child.stdout).strip().splitlines()[-4:])
            raise StbError(f"the Kodi check failed: {tail or f'exit {child.returncode}'}")
        report = json.loads(out.read_text())
    if "error" in report:
        raise StbError(f"the Kodi check failed: {report['error']}")
    return report


# -- inside the namespace ----------------------------------------------------------------------------


def _namespace_network() -> None:
    """``lo`` up, and a veth pair so Kodi sees a network and starts its web server (nothing is behind it)."""
    for args in (["link", "set", "lo", "up"], ["link", "add", "eth0", "type", "veth", "peer", "name", "eth1"],
                 ["addr", "add", "10.254.0.1/24", "dev", "eth0"], ["link", "set", "eth1", "up"],
                 ["link", "set", "eth0", "up"]):  # fmt: skip
        subprocess.run(["ip", *args], check=True, capture_output=True)


def _settings_xml(values: dict[str, str], extra: str = "") -> str:
    rows = "".join(f'    <setting id="{k}">{escape(v)}</setting>\n' for k, v in values.items())
    return f'<settings version="2">\n{rows}{extra}</settings>\n'


def write_kodi_home(home: Path, playlist: str, guide: str) -> Path:
    """A throw-away Kodi home: settings, IPTV Simple's settings, a null ALSA device. Returns userdata."""
    userdata = home / ".kodi" / "userdata"
    addon_data = userdata / "addon_data" / ADDON
    addon_data.mkdir(parents=True)
    (userdata / "guisettings.xml").write_text(_settings_xml(GUI_SETTINGS, "    <resolutions />\n"))
    iptv = {"m3uPathType": "1", "m3uUrl": playlist, "m3uCache": "false", "epgPathType": "1", "epgUrl": guide,
            "epgCache": "false", "catchupEnabled": "true"}  # fmt: skip
    (addon_data / "settings.xml").write_text(_settings_xml(iptv))
    (home / ".asoundrc").write_text("pcm.!default {\n  type null\n}\n")  # Kodi's audio engine wants a device
    return userdata


def _no_core_files() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class Kodi:
    """Kodi under Xvfb in its own process group, and its JSON-RPC."""

    def __init__(self, home: Path) -> None:
        import httpx

        self.home = home
        self.log = home / ".kodi" / "temp" / "kodi.log"
        env = {**os.environ, "HOME": str(home), "KODI_AE_SINK": "ALSA"}
        self.process = subprocess.Popen(
            ["xvfb-run", "-a", "-s", "-screen 0 1280x720x24", "kodi", "--standalone", "--windowing=x11"],
            env=env, cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            preexec_fn=_no_core_files,
        )  # fmt: skip
        self.http = httpx.Client(timeout=60)

    def rpc(self, method: str, params: dict | None = None) -> Any:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}
        answer = self.http.post(f"http://127.0.0.1:{KODI_PORT}/jsonrpc", json=body).json()
        if "error" in answer:
            raise StbError(f"Kodi's {method}: {answer['error'].get('message')}")
        return answer["result"]

    def wait_up(self) -> float:
        """Seconds until JSON-RPC answers."""
        t0 = time.monotonic()
        while True:
            if self.process.poll() is not None:
                raise StbError(f"Kodi exited ({self.process.returncode}) before its JSON-RPC answered")
            try:
                self.rpc("JSONRPC.Ping")
                return time.monotonic() - t0
            except (OSError, ValueError, StbError, Exception) as exc:  # httpx.ConnectError and friends
                if time.monotonic() - t0 > START_TIMEOUT_S:
                    raise StbError(f"Kodi's JSON-RPC did not answer in {START_TIMEOUT_S:.0f} s: {exc}") from None
            time.sleep(1)

    def log_lines(self, marker: str) -> list[str]:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return []
        return [line.split(" - ", 2)[-1].strip() for line in text.splitlines() if marker in line]

    def close(self) -> None:
        with contextlib.suppress(Exception):  # asked first: Kodi 20 often dumps core on SIGTERM
            self.rpc("Application.Quit")
            self.process.wait(timeout=30)
        self.http.close()
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def _until(what: str, check, timeout: float = PLAY_TIMEOUT_S, every: float = 0.25):
    end = time.monotonic() + timeout
    last = ""
    while True:
        try:
            value = check()
        except StbError as exc:  # Kodi refuses PVR calls until its PVR manager has started
            value, last = None, f" (last: {exc})"
        if value:
            return value
        if time.monotonic() > end:
            raise StbError(f"{what} did not happen in {timeout:.0f} s{last}")
        time.sleep(every)


def _seconds(t: dict) -> float:
    return t["hours"] * 3600 + t["minutes"] * 60 + t["seconds"] + t["milliseconds"] / 1000


def play(kodi: Kodi, item: dict, timeout: float = PLAY_TIMEOUT_S) -> dict:
    """``Player.Open`` → the video player's clock runs (its time moving): ms, and what Kodi says.

    Kodi reports no first frame over JSON-RPC; its clock moving is the nearest it says, and the baseline is
    measured the same way.
    """
    for active in kodi.rpc("Player.GetActivePlayers"):
        kodi.rpc("Player.Stop", {"playerid": active["playerid"]})
    _until("Kodi's player stopping", lambda: not kodi.rpc("Player.GetActivePlayers"))
    t0 = time.monotonic()
    kodi.rpc("Player.Open", {"item": item})
    props = ["time", "speed", "live", "currentvideostream"]
    first: dict = {}

    def running():
        active = kodi.rpc("Player.GetActivePlayers")
        if not active:
            return None
        p = kodi.rpc("Player.GetProperties", {"playerid": active[0]["playerid"], "properties": props})
        first["last"] = {k: p.get(k) for k in ("time", "speed")} | {"player": active[0]["type"]}
        if active[0]["type"] != "video" or p["speed"] != 1:  # a channel taken for audio does not count
            return None
        now, before = _seconds(p["time"]), first.get("previous")
        first.setdefault("at", now)
        first["previous"] = now  # Kodi's clock may step back once as the stream settles: moving is what counts
        return p | {"playerid": active[0]["playerid"]} if before is not None and now > before else None

    try:
        p = _until(f"Kodi playing {item}", running, timeout, every=0.05)
    except StbError as exc:
        raise StbError(f"{exc}; the player's last state: {first.get('last', 'none')}") from None
    ms = (time.monotonic() - t0) * 1000
    got = kodi.rpc("Player.GetItem", {"playerid": p["playerid"], "properties": ["title", "file"]})["item"]
    video = p.get("currentvideostream") or {}  # now and then Kodi names none though its video thread runs
    return {"start_ms": round(ms, 1), "live": p["live"], "position_s": round(first["at"], 1),
            "video": f"{video['codec']} {video['width']}x{video['height']}" if video.get("width") else "video",
            "title": got.get("title") or got.get("label"), "file": got.get("file", "")}  # fmt: skip


def _stamp(text: str) -> int:
    """Kodi's JSON times are UTC 'YYYY-MM-DD HH:MM:SS'."""
    import calendar

    return calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M:%S"))


def check(kodi: Kodi, box_base: str, token: str, lineup: Lineup, archive_calls: list[tuple[str, int]]) -> dict:
    """Ask Kodi what it made of the box's exports, then play live and catch-up through it (and directly)."""
    report: dict[str, Any] = {}
    report["kodi_start_s"] = round(kodi.wait_up(), 1)
    version = kodi.rpc("Application.GetProperties", {"properties": ["version"]})["version"]
    addon = kodi.rpc("Addons.GetAddonDetails", {"addonid": ADDON, "properties": ["version"]})["addon"]
    report["kodi"] = f"{version['major']}.{version['minor']}"
    report["iptvsimple"] = addon["version"]
    kodi.rpc("Addons.SetAddonEnabled", {"addonid": ADDON, "enabled": True})  # a new add-on starts disabled
    props = ["channelnumber", "icon", "hasarchive"]
    asked = {"channelgroupid": "alltv", "properties": props}
    channels = _until("IPTV Simple's channels in Kodi",
                      lambda: kodi.rpc("PVR.GetChannels", asked).get("channels"), START_TIMEOUT_S)  # fmt: skip
    groups = [g["label"] for g in kodi.rpc("PVR.GetChannelGroups", {"channeltype": "tv"})["channelgroups"]]
    report["channels"] = len(channels)
    report["channel_numbers"] = [c["channelnumber"] for c in channels]
    report["groups"] = [g for g in groups if g != "All channels"]
    report["logos_through_box"] = sum(c["icon"].startswith(box_base + "/api/v1/lineup/") for c in channels)
    report["catchup_channels"] = sum(c["hasarchive"] for c in channels)
    first = next(c for c in channels if c["channelnumber"] == 1)

    def broadcasts(channel: dict) -> list[dict]:
        got = kodi.rpc("PVR.GetBroadcasts", {"channelid": channel["channelid"], "properties": ["title", "starttime",
                                                                                              "endtime"]})  # fmt: skip
        return got.get("broadcasts", [])

    # the guide is kept in Kodi's database a little after it is read: broadcast ids come then
    _until("the guide in Kodi's database", lambda: all("broadcastid" in b for b in broadcasts(first) or [{}]),
           START_TIMEOUT_S)  # fmt: skip
    entries = {c["channelid"]: broadcasts(c) for c in channels}
    report["epg_entries"] = sum(len(b) for b in entries.values())
    report["epg_channels"] = sum(bool(b) for b in entries.values())
    now = int(time.time())
    every = [b for rows in entries.values() for b in rows]
    report["epg_hours_back"] = round((now - min(_stamp(b["starttime"]) for b in every)) / 3600, 1) if every else 0
    past = [b for b in entries[first["channelid"]] if _stamp(b["endtime"]) <= now]
    recent = past[-2] if len(past) >= 2 else past[-1]
    oldest = past[0]  # beyond 6 h when the export reaches back as far as the archive
    report["playable_past"] = {
        "recent": kodi.rpc("PVR.GetBroadcastIsPlayable", {"broadcastid": recent["broadcastid"]}),
        "oldest": kodi.rpc("PVR.GetBroadcastIsPlayable", {"broadcastid": oldest["broadcastid"]}),
        "oldest_hours_back": round((now - _stamp(oldest["starttime"])) / 3600, 1),
    }
    report["live"] = play(kodi, {"channelid": first["channelid"]})
    opened = kodi.log_lines("GetChannelStreamProperties")
    report["live"]["url"] = opened[-1].split("URL: ", 1)[-1] if opened else ""
    report["live"]["through_box"] = report["live"]["url"].startswith(f"{box_base}/stream/channel/")
    catchups = []
    for b in (recent, oldest):
        before = len(archive_calls)
        played = play(kodi, {"broadcastid": b["broadcastid"]})
        start = _stamp(b["starttime"])
        starts = [s for _, s in archive_calls[before:]]
        played |= {"programme": b["title"], "programme_start": start, "box_requests": len(starts),
                   "box_starts": starts, "right_programme": start in starts and played["file"].startswith(
                       f"{box_base}/catchup/channel/") and f"start={start}&" in played["file"]}  # fmt: skip
        catchups.append(played)
    report["catchup"] = catchups
    # beside it, one player for both: Kodi's own (no add-on) opening the box's URL and the head-end's
    channel = next(c for c in lineup.channels if c.number == 1)
    rules = of_channel(channel.urls[0], channel.catchup, channel.attributes)
    if rules is None:
        raise StbError(f"the demo's channel 1 ({channel.name}) has no catch-up")
    start, end = _stamp(recent["starttime"]), _stamp(recent["endtime"])
    pairs = {
        "live": (exports.stream_url(box_base, channel.id, token), channel.urls[0]),
        "catchup": (exports.catchup_url(box_base, channel.id, start, end, token),
                    archive_url(rules, start, end, int(time.time()))),
    }  # fmt: skip
    for name, (ours, theirs) in pairs.items():
        box_ms: list[float | None] = []
        direct_ms: list[float | None] = []
        stalls: list[str] = []
        for _ in range(FILE_ROUNDS):  # alternating, so a busy moment does not fall on one side only
            for url, times in ((ours, box_ms), (theirs, direct_ms)):
                try:
                    times.append(play(kodi, {"file": url}, FILE_PLAY_TIMEOUT_S)["start_ms"])
                except StbError as exc:  # counted, not fatal: this part only compares the two URLs
                    times.append(None)
                    stalls.append(str(exc).replace(token, "T"))
        report[f"{name}_file"] = {"through_box_ms": _p50(box_ms), "direct_ms": _p50(direct_ms),
                                  "ratio_to_direct": _ratio(_p50(box_ms), _p50(direct_ms)),
                                  "through_box_each_ms": box_ms, "direct_each_ms": direct_ms, "stalls": stalls,
                                  "direct_url": theirs}  # fmt: skip
    for active in kodi.rpc("Player.GetActivePlayers"):
        kodi.rpc("Player.Stop", {"playerid": active["playerid"]})
    report["kodi_catchup_urls"] = kodi.log_lines("EPG Catchup URL:")[-2:]
    return report


def _p50(samples: list[float | None]) -> float | None:
    ran = [t for t in samples if t is not None]
    return round(statistics.median(ran), 1) if ran else None


def _ratio(ours: float | None, theirs: float | None) -> float | None:
    return round(ours / max(theirs, 1), 2) if ours is not None and theirs is not None else None


def inside(tmp: Path, log: Path | None = None) -> None:
    """The check itself, in the namespace: head-end, box, Kodi; the report written to ``tmp/report.json``."""
    import httpx

    from stb.assembly import build_app
    from stb.config import StateStore
    from stb.guide.store import import_sources
    from stb.headend.catalog import demo_lineup
    from stb.headend.process import start_headend_process, wait_until_ready
    from stb.net.api import catchup as catchup_route

    report: dict[str, Any] = {}
    archive_calls: list[tuple[str, int]] = []
    real = catchup_route.archive_url

    def watched(rules, start, end, now, **kw):  # the box's catch-up route builds the archive's URL here
        url = real(rules, start, end, now, **kw)
        archive_calls.append((url, start))
        return url

    catchup_route.archive_url = watched  # type: ignore[assignment]
    _namespace_network()
    headend = start_headend_process("127.0.0.1", HEADEND_PORT)
    app = kodi = None
    try:
        wait_until_ready(headend, "127.0.0.1", HEADEND_PORT)
        lineup = demo_lineup("127.0.0.1", HEADEND_PORT)
        import_sources(tmp / "g.db", lineup.guide_sources)
        app = build_app(lineup, headless=True, store=StateStore(tmp / "state"), guide_db=tmp / "g.db", pretune=0,
                        api_port=BOX_PORT)  # fmt: skip
        app.start()
        box = f"http://127.0.0.1:{BOX_PORT}"
        result: dict[str, Any] = {}

        def driver() -> None:
            nonlocal kodi
            try:
                with httpx.Client(timeout=30) as c:  # pair as the household would, the code read off the TV
                    asked = c.post(f"{box}/api/v1/pairing", json={"name": "Kodi"}).json()
                    code = _until("the pairing code", lambda: app.auth.pending and app.auth.pending.code, 30)
                    token = c.post(f"{box}/api/v1/pairing/{asked['pairing_id']}", json={"code": code}).json()["token"]
                write_kodi_home(tmp / "home", f"{box}/playlist.m3u?token={token}", f"{box}/xmltv.xml?token={token}")
                kodi = Kodi(tmp / "home")
                result["report"] = check(kodi, box, token, lineup, archive_calls)
            except BaseException as exc:  # reported, not raised, from this thread
                result["error"] = f"{type(exc).__name__}: {exc}"

        thread = threading.Thread(target=driver, daemon=True)
        thread.start()
        while thread.is_alive():
            app.step()
            time.sleep(1 / 60)
        report = result.get("report") or {"error": result.get("error", "no report")}
    except BaseException as exc:
        report = {"error": f"{type(exc).__name__}: {exc}"}
    finally:
        if kodi is not None:
            kodi.close()
            if log is not None and kodi.log.exists():
                shutil.copyfile(kodi.log, log)
        if app is not None:
            app.close()
        headend.terminate()
        headend.wait(timeout=15)
    (tmp / "report.json").write_text(json.dumps(report))


def render(report: dict) -> str:
    def yes(flag: bool) -> str:
        return "yes" if flag else "NO"

    live, catchup = report["live"], report["catchup"]
    lines = [
        f"Kodi {report['kodi']} + pvr.iptvsimple {report['iptvsimple']} (headless, Xvfb, own network namespace), "
        f"JSON-RPC up after {report['kodi_start_s']} s",
        f"channels: {report['channels']} (numbers {report['channel_numbers'][0]}–{report['channel_numbers'][-1]}), "
        f"{len(report['groups'])} groups, {report['logos_through_box']} logos through the box, "
        f"{report['catchup_channels']} with catch-up",
        f"guide: {report['epg_entries']} entries on {report['epg_channels']} channels, "
        f"reaching {report['epg_hours_back']} h back; past programmes playable: recent "
        f"{yes(report['playable_past']['recent'])}, {report['playable_past']['oldest_hours_back']} h back "
        f"{yes(report['playable_past']['oldest'])}",
        f"live through the box: {yes(live['through_box'])}, plays {live['video']}, "
        f"clock running after {live['start_ms']:.0f} ms",
    ]
    for c in catchup:
        lines.append(
            f"catch-up '{c['programme']}' ({c['programme_start']}): plays {c['video']}, clock running after "
            f"{c['start_ms']:.0f} ms, {c['box_requests']} request(s) to the box's catch-up route, "
            f"right programme {yes(c['right_programme'])}"
        )
    for name in ("live", "catchup"):
        f = report[f"{name}_file"]

        def ms(value: float | None) -> str:
            return "never ran" if value is None else f"{value:.0f} ms"

        stalled = sum(t is None for t in f["through_box_each_ms"] + f["direct_each_ms"])
        lines.append(f"Kodi's own player, {name}: the box's URL {ms(f['through_box_ms'])}, the head-end's "
                     f"{ms(f['direct_ms'])} (×{f['ratio_to_direct']}, p50 of {FILE_ROUNDS} each"
                     f"{f', {stalled} stalled' if stalled else ''})")  # fmt: skip
    return "\n".join(lines)


if __name__ == "__main__":  # run by `run()` inside `unshare -n`
    inside(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
