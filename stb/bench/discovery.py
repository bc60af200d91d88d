"""`stb bench discovery`: how fast boxes are found on the LAN, stb's discovery against bare python-zeroconf.

All mDNS runs on a throw-away LAN of network namespaces made here (``stb.netns``) and removed at the
end, on an error or Ctrl-C too; nothing multicasts on the machine's real interfaces. Each actor is
its own process in its own namespace host (``stb.bench.mdns_actors``): two browser hosts, one running
stb's discovery (``stb.lan.discovery.async_discover``), the other the library floor (a bare
``AsyncServiceBrowser`` resolving each name with ``AsyncServiceInfo.async_request``), a host for the
new box of part (a), and the N boxes of part (b), a few real ``Announcer``s per host.

(a) registration → seen: both browsers already browsing, a new box's ``Announcer.async_start`` is
    called; time until each browser has the box resolved with its TXT, counted from the call and
    from the end of probing (when the first announcement goes out).
(b) browse with N boxes up: every box registered and quiet; a fresh browser (new sockets, empty
    cache) starts; time to the first box and to all N, TXT resolved. The two browsers take turns,
    with a pause between browses so one browse's answers cannot help the next. A listener host
    notes when each browser's first query goes out: python-zeroconf waits a random 20–120 ms
    before it (RFC 6762 §5.2), which is most of the total, so the figures from that query show
    the discovery layers' own cost.

Times come from ``time.monotonic()`` in each process, one clock for the whole machine. The
figures that matter are the ratios stb / bare, measured in the same run on the same LAN.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from stb.bench import mdns_actors
from stb.errors import StbError
from stb.netns import Host, netns_lan, remove_stale, require_netns, wait_for_addresses

TARGET_MS = 100.0  # the target: a box that is already up is found within this
MAX_BOXES = 64
BOXES_PER_HOST = 4  # several Announcers per host process: 20 boxes are 5 hosts, not 20 Python processes
NS_PREFIX = "stbb"  # namespaces stbb-<pid>-…: remove_stale only ever touches these
SUBNET_PREFIX = "10.124"
SETTLE_S = 1.5  # past python-zeroconf's one-second multicast rate limit, so a round never helps the next
READY_TIMEOUT_S = 30.0
REGISTER_TIMEOUT_S = 20.0
SEEN_TIMEOUT_S = 10.0
BROWSE_TIMEOUT_S = 10.0
BROWSERS = {"product": "stb discovery", "bare": "bare zeroconf"}


class _Actor:
    """One ``stb.bench.mdns_actors`` process in a namespace host: JSON commands in, events out."""

    def __init__(self, host: Host, label: str, args: list[str], logs: Path) -> None:
        self.label = label
        self._log = logs / f"{label.replace(' ', '-')}.err"
        env = {**os.environ, mdns_actors.LAUNCHER_NETNS: str(mdns_actors.netns_id())}  # where it must not run
        with open(self._log, "w") as stderr:
            self.process = host.popen(
                [sys.executable, "-m", "stb.bench.mdns_actors", *args],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env,
                start_new_session=True,  # a Ctrl-C reaches only the benchmark, which then tears down in order
            )  # fmt: skip
        self.events: list[dict] = []
        self._ended = False
        self._changed = threading.Condition()
        threading.Thread(target=self._read, name=f"bench {label}", daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            with self._changed:
                self.events.append(event)
                self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def send(self, cmd: str, **fields) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"cmd": cmd, **fields}) + "\n")
        self.process.stdin.flush()

    def wait(
        self,
        timeout: float,
        event: str,
        *,
        required: bool = True,
        match: Callable[[dict], bool] | None = None,
        **fields,
    ) -> dict | None:
        """The first ``event`` with these fields (and ``match``) said so far or within ``timeout`` s.

        None after ``timeout`` when not ``required``; an error said by the actor is raised at once.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for said in self.events:
                    if said["event"] == "error":
                        raise StbError(f"discovery benchmark: {self.label}: {said['message']}")
                    fits = said["event"] == event and all(said.get(k) == v for k, v in fields.items())
                    if fits and (match is None or match(said)):
                        return said
                if self._ended:
                    raise StbError(f"discovery benchmark: {self.label} ended early: {self.last_error()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    if required:
                        raise StbError(f"discovery benchmark: {self.label} said no {event} {fields} in {timeout} s")
                    return None
                self._changed.wait(left)

    def last_error(self) -> str:
        lines = [line for line in self._log.read_text(errors="replace").splitlines() if line.strip()]
        return lines[-1].strip() if lines else "no message"

    def close(self) -> None:
        """End of input: the actor sends its goodbyes and exits by itself."""
        with contextlib.suppress(OSError):
            if self.process.stdin is not None:
                self.process.stdin.close()


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so the namespaces are removed either way."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _stats(samples: list[float]) -> dict:
    """n, p50, p95 (nearest rank) and max in ms; None figures when there are no samples."""
    if not samples:
        return {"n": 0, "p50_ms": None, "p95_ms": None, "max_ms": None, "samples_ms": []}
    ordered = sorted(samples)
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": p95,
        "max_ms": ordered[-1],
        "samples_ms": samples,  # in round order
    }


def _ratio(ours: dict, floor: dict) -> float | None:
    if ours["p50_ms"] is None or not floor["p50_ms"]:
        return None
    return round(ours["p50_ms"] / floor["p50_ms"], 2)


def _registration(browsers: dict[str, _Actor], fresh: _Actor, rounds: int, deadline: float) -> dict:
    """Part (a): a new box starts while both browsers browse; when does each have it, TXT and all."""
    for browser in browsers.values():
        browser.send("watch")
    for browser in browsers.values():
        browser.wait(READY_TIMEOUT_S, "watching")
    time.sleep(SETTLE_S)  # the browsers' start-up queries are over: the LAN is quiet
    samples: dict[str, list[float]] = {"probing": [], "async_start": []}
    for name in browsers:
        samples[f"{name}_from_start"], samples[f"{name}_from_probed"] = [], []
    missed = {name: 0 for name in browsers}
    done = 0
    for number in range(1, rounds + 1):
        if number > 1 and time.monotonic() > deadline:  # one round at least, however short the cap
            break
        box_id = f"fresh-{number:02d}"
        fresh.send("start", id=box_id, name=f"Bench New {number:02d}", port=8080, channel="News 24")
        registered = fresh.wait(REGISTER_TIMEOUT_S, "registered", id=box_id)
        assert registered is not None
        samples["probing"].append(_ms(registered["t_probed"] - registered["t_call"]))
        samples["async_start"].append(_ms(registered["t_done"] - registered["t_call"]))
        for name, browser in browsers.items():
            seen = browser.wait(SEEN_TIMEOUT_S, "seen", required=False, id=box_id)
            if seen is None:
                missed[name] += 1
                continue
            samples[f"{name}_from_start"].append(_ms(seen["t"] - registered["t_call"]))
            samples[f"{name}_from_probed"].append(_ms(seen["t"] - registered["t_probed"]))
        fresh.send("stop", id=box_id)
        fresh.wait(REGISTER_TIMEOUT_S, "stopped", id=box_id)
        done += 1
        time.sleep(SETTLE_S)
    for browser in browsers.values():
        browser.send("unwatch")
    for browser in browsers.values():
        browser.wait(READY_TIMEOUT_S, "unwatched")
    result: dict = {
        "rounds": done,
        "probing": _stats(samples["probing"]),
        "async_start": _stats(samples["async_start"]),
    }
    for name in browsers:
        result[name] = {
            "from_start": _stats(samples[f"{name}_from_start"]),
            "from_probed": _stats(samples[f"{name}_from_probed"]),
            "missed": missed[name],
        }
    result["ratio_p50"] = {
        figure: _ratio(result["product"][figure], result["bare"][figure]) for figure in ("from_start", "from_probed")
    }
    return result


def _browse(
    browsers: dict[str, _Actor],
    addresses: dict[str, str],
    listener: _Actor,
    herds: list[_Actor],
    boxes: int,
    rounds: int,
    deadline: float,
) -> dict:
    """Part (b): N boxes up and quiet; a fresh browser starts; when does it have the first box, and all.

    Counted from the start, and from the browser's first query as the listener heard it.
    """
    ids = [f"bench-{i:02d}" for i in range(1, boxes + 1)]
    for i, box_id in enumerate(ids):
        herds[i // BOXES_PER_HOST].send(
            "start", id=box_id, name=f"Bench Box {i + 1:02d}", port=8000 + i + 1, channel=f"Channel {i + 1}"
        )
    for i, box_id in enumerate(ids):
        herds[i // BOXES_PER_HOST].wait(REGISTER_TIMEOUT_S, "registered", id=box_id)
    time.sleep(SETTLE_S)  # the boxes' announcements are over: the LAN is quiet
    figures = ("first_query", "first", "all", "first_from_query", "all_from_query")
    samples: dict[str, dict[str, list[float]]] = {name: {figure: [] for figure in figures} for name in browsers}
    missed = {name: 0 for name in browsers}
    done = 0
    for number in range(1, rounds + 1):
        if number > 1 and time.monotonic() > deadline:  # one round at least, however short the cap
            break
        order = list(browsers) if number % 2 else list(reversed(browsers))  # neither always goes first
        for name in order:
            browsers[name].send("browse", round=number, expect=ids, timeout=BROWSE_TIMEOUT_S)
            said = browsers[name].wait(BROWSE_TIMEOUT_S + READY_TIMEOUT_S, "browsed", round=number)
            assert said is not None
            t0 = said["t0"]
            query = listener.wait(
                1.0, "query", required=False, match=lambda e, a=addresses[name], t0=t0: e["src"] == a and e["t"] >= t0
            )
            waited = _ms(query["t"] - t0) if query is not None else None
            samples[name]["first_query"].extend([waited] if waited is not None else [])
            times = sorted(_ms(t - t0) for t in said["seen"].values())
            ends = {"first": times[:1], "all": [] if said["missing"] else times[-1:]}
            for figure, values in ends.items():
                samples[name][figure].extend(values)
                if waited is not None:
                    samples[name][f"{figure}_from_query"].extend(round(v - waited, 1) for v in values)
            missed[name] += len(said["missing"])
            time.sleep(SETTLE_S)
        done += 1
    result: dict = {"rounds": done}
    for name in browsers:
        result[name] = {figure: _stats(samples[name][figure]) for figure in figures}
        result[name]["missed"] = missed[name]
    result["ratio_p50"] = {figure: _ratio(result["product"][figure], result["bare"][figure]) for figure in figures}
    return result


def run(boxes: int = 20, rounds: int = 10, max_seconds: float = 300.0) -> dict:
    """Both parts on one namespace LAN, within about ``max_seconds``.

    Part (a) starts no round after half the time, part (b) none after all of it, though each part
    runs one round at least (a round under way finishes, bounded by its own time-outs); the report
    says when rounds were cut short.
    """
    if not 1 <= boxes <= MAX_BOXES:
        raise StbError(f"--boxes must be between 1 and {MAX_BOXES}")
    began = time.monotonic()
    deadline = began + max_seconds
    require_netns()  # before anything else: the one-line reason, and nothing touched
    remove_stale(NS_PREFIX)  # left by a run that was killed outright
    box_hosts = math.ceil(boxes / BOXES_PER_HOST)
    with (
        _sigterm_as_interrupt(),
        tempfile.TemporaryDirectory(prefix="stb-bench-discovery-") as logs,
        netns_lan(4 + box_hosts, prefix=NS_PREFIX, subnet_prefix=SUBNET_PREFIX) as lan,
    ):
        tv, laptop, new_box, ear, *box_lan = lan
        settled = wait_for_addresses(lan)
        actors: list[_Actor] = []

        def actor(host: Host, label: str, *args: str) -> _Actor:
            actors.append(_Actor(host, label, list(args), Path(logs)))
            return actors[-1]

        try:
            browsers = {
                "product": actor(tv, "stb discovery browser", "browser", "product"),
                "bare": actor(laptop, "bare zeroconf browser", "browser", "bare"),
            }
            fresh = actor(new_box, "new box", "boxes")
            listener = actor(ear, "listener", "listen", ear.address)
            herds = [actor(host, f"boxes host {i}", "boxes") for i, host in enumerate(box_lan, 1)]
            for started in actors:
                started.wait(READY_TIMEOUT_S, "ready")
            registration = _registration(browsers, fresh, rounds, began + max_seconds / 2)  # half for each part
            addresses = {"product": tv.address, "bare": laptop.address}
            browse = _browse(browsers, addresses, listener, herds, boxes, rounds, deadline)
        finally:
            for started in actors:
                started.close()
            for started in actors:  # goodbyes out and gone on their own; the LAN's teardown stops any straggler
                with contextlib.suppress(subprocess.TimeoutExpired):
                    started.process.wait(timeout=5)
    every = browse["product"]["all"]
    complete = browse["product"]["missed"] == 0
    return {
        "boxes": boxes,
        "rounds": rounds,
        "hosts": {"browsers": 2, "new_box": 1, "listener": 1, "boxes": box_hosts, "boxes_per_host": BOXES_PER_HOST},
        "ipv6_settled": settled,
        "registration": registration,
        "browse": browse,
        "target": {
            "ms": TARGET_MS,
            "figure": f"browse with {boxes} boxes up, stb discovery: time until every box is found",
            "p50_ms": every["p50_ms"],
            "p95_ms": every["p95_ms"],
            "met": complete and every["p50_ms"] is not None and every["p50_ms"] <= TARGET_MS,
            "met_at_p95": complete and every["p95_ms"] is not None and every["p95_ms"] <= TARGET_MS,
        },
        "capped": registration["rounds"] < rounds or browse["rounds"] < rounds,
        "max_seconds": max_seconds,
        "seconds": round(time.monotonic() - began, 1),
    }


def _times(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio}x"


def _row(label: str, s: dict) -> str:
    if s["n"] == 0:
        return f"{label} no samples"
    return f"{label} p50 {s['p50_ms']:7.1f}  p95 {s['p95_ms']:7.1f}  max {s['max_ms']:7.1f} ms"


def render(d: dict) -> str:
    reg, browse, target, n = d["registration"], d["browse"], d["target"], d["boxes"]
    h = d["hosts"]
    lines = [
        f"discovery benchmark: {d['boxes']} boxes on {h['boxes']} namespace host{'s' if h['boxes'] > 1 else ''} "
        f"(≤ {h['boxes_per_host']} per host), "
        f"browsers on hosts of their own; {d['seconds']} s"
        + (f" (stopped at the {d['max_seconds']:g} s cap)" if d["capped"] else ""),
        f" (a) registration → seen: a new box starts while both browsers browse ({reg['rounds']} rounds)",
        _row(f"  {'Announcer.async_start → end of probing':<48}", reg["probing"]),
        _row(f"  {'Announcer.async_start returns':<48}", reg["async_start"]),
    ]
    for name, label in BROWSERS.items():
        missed = f"  missed {reg[name]['missed']}" if reg[name]["missed"] else ""
        lines.append(_row(f"  {label + ': from async_start':<48}", reg[name]["from_start"]) + missed)
        lines.append(_row(f"  {label + ': from end of probing':<48}", reg[name]["from_probed"]))
    r = reg["ratio_p50"]
    lines.append(
        f"  stb / bare, p50: from async_start {_times(r['from_start'])}, from end of probing {_times(r['from_probed'])}"
    )
    lines.append(f" (b) browse with {d['boxes']} boxes up: a fresh browser each time ({browse['rounds']} rounds each)")
    for name, label in BROWSERS.items():
        missed = f"  missed {browse[name]['missed']} box sightings" if browse[name]["missed"] else ""
        lines.append(_row(f"  {label + ': its first query heard':<48}", browse[name]["first_query"]))
        lines.append(_row(f"  {label + ': first box':<48}", browse[name]["first"]))
        lines.append(_row(f"  {label + f': all {n}':<48}", browse[name]["all"]) + missed)
        lines.append(_row(f"  {label + ': first box, from its first query':<48}", browse[name]["first_from_query"]))
        lines.append(_row(f"  {label + f': all {n}, from its first query':<48}", browse[name]["all_from_query"]))
    r = browse["ratio_p50"]
    lines.append(
        f"  stb / bare, p50: first box {_times(r['first'])}, all {n} {_times(r['all'])}; from the first query: "
        f"first box {_times(r['first_from_query'])}, all {n} {_times(r['all_from_query'])}"
    )
    if target["p50_ms"] is None:
        lines.append(f" target ≤ {target['ms']:g} ms for a box already up: no complete browse, NOT met")
    else:
        lines.append(
            f" target ≤ {target['ms']:g} ms for a box already up ({target['figure']}): "
            f"p50 {target['p50_ms']} ms, {'met' if target['met'] else 'NOT met'}; "
            f"p95 {target['p95_ms']} ms, {'met' if target['met_at_p95'] else 'not met'}"
        )
    return "\n".join(lines)
