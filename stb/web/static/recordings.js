// The Recordings tab: what the box recorded, grouped by series; watch one here with a seek bar, from where
// any screen stopped (one resume position per recording, kept by the box); delete with a confirmation;
// record from the guide's day view. It uses app.js's helpers (api, el, row, clock, toast, loadHls, $).
"use strict";

const recs = {
  byId: new Map(),
  open: null, // the recording whose details show
  hls: null,
  saver: null, // the interval that stores the position while one plays
  saved: -1,
  timers: new Map(), // "channel|start" -> timer id, for the guide's record buttons
};
const SAVE_EVERY_MS = 10000;

function duration(seconds) {
  const minutes = Math.max(1, Math.round(seconds / 60));
  return minutes >= 60 ? `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min` : `${minutes} min`;
}

function position(seconds) {
  const s = Math.floor(seconds);
  const hms = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60];
  return (hms[0] ? `${hms[0]}:` : "") + hms.slice(1).map((n, i) => (i || hms[0] ? String(n).padStart(2, "0") : n)).join(":");
}

function dayOf(seconds) {
  return new Date(seconds * 1000).toLocaleDateString([], { weekday: "short", day: "numeric", month: "short" });
}

function bytes(n) {
  return n >= 1e9 ? `${(n / 1e9).toFixed(1)} GB` : `${Math.round(n / 1e6)} MB`;
}

function stateOf(r) {
  if (r.state === "recording") return "● Recording now";
  if (r.state === "failed") return "Failed" + (r.reason ? `: ${r.reason}` : "");
  if (r.watched) return "Watched";
  if (r.position > 0) return `Resume at ${position(r.position)}`;
  return "New";
}

// -- the list -------------------------------------------------------------------------------------

async function showRecordings() {
  closeRecording();
  const answer = await api("GET", "/recordings");
  recs.byId = new Map(answer.recordings.map((r) => [r.id, r]));
  const items = [];
  for (const group of answer.series) {
    const members = group.recordings.map((id) => recs.byId.get(id)).filter(Boolean);
    if (members.length > 1) {
      const newOnes = group.new ? `, ${group.new} new` : "";
      items.push(el("li", "group", `${group.title} (${members.length}${newOnes})`));
    }
    items.push(...members.map(recordingRow));
  }
  if (!items.length) {
    items.push(el("li", "empty", "No recordings yet. In the guide, open a channel's day and tap ● Rec."));
  }
  $("rec-list").replaceChildren(...items);
  $("rec-free").textContent = `Free on the box: ${bytes(answer.free_bytes)}`;
}

function recordingRow(r) {
  const episode = r.episode || r.sub_title;
  const cls = ["programme", "recording", r.state === "recording" ? "live" : "", r.new ? "new" : "", r.watched ? "past" : ""];
  const li = row([
    el("span", "when", dayOf(r.start)),
    el("span", "name", episode ? `${r.title}: ${episode}` : r.title),
    el("span", "sub", `${r.channel_name} · ${clock(r.start)} · ${duration(r.duration)}`),
    el("span", "state", stateOf(r)),
  ], () => openRecording(r.id), cls.filter(Boolean).join(" "));
  li.firstChild.setAttribute("aria-label", `${r.title}, ${dayOf(r.start)} ${clock(r.start)}: ${stateOf(r)}`);
  return li;
}

// A recording started, stopped or failed (the box's events): the list says so at once.
function recordingsChanged() {
  if (!$("view-recordings").hidden && !recs.open) showRecordings().catch(() => {});
}

// -- one recording --------------------------------------------------------------------------------

function openRecording(id) {
  const r = recs.byId.get(id);
  if (!r) return;
  recs.open = r;
  $("rec-browse").hidden = true;
  $("rec-detail").hidden = false;
  $("rec-title").textContent = r.title;
  const episode = r.episode || r.sub_title;
  $("rec-sub").textContent = [episode, `${r.channel_name} · ${dayOf(r.start)} ${clock(r.start)} · ${duration(r.duration)}`]
    .filter(Boolean).join(" — ");
  $("rec-description").textContent = r.description || "";
  $("rec-status").textContent = stateOf(r);
  $("rec-resume").textContent = r.position > 0 && !r.watched ? `Resume at ${position(r.position)}` : "Play";
  $("rec-start").hidden = !(r.position > 0 && !r.watched);
  $("rec-confirm").hidden = true;
  $("rec-delete").hidden = false;
  $("rec-title").focus();
}

function closeRecording() {
  stopRecording();
  recs.open = null;
  $("rec-detail").hidden = true;
  $("rec-browse").hidden = false;
}

async function playRecording(fromStart) {
  const r = recs.open;
  if (!r) return;
  stopRecording();
  const video = $("rec-video");
  video.muted = false; // a tap started this: the browser lets it play with sound
  performance.clearMarks("stb-recording");
  performance.clearMarks("stb-recording-frame");
  performance.mark("stb-recording");
  if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(() => performance.mark("stb-recording-frame"));
  $("rec-status").textContent = "Starting…";
  try {
    const urls = await api("POST", `/recordings/${encodeURIComponent(r.id)}/stream-urls`);
    const start = fromStart ? 0 : urls.position; // the box's position: another screen may have moved it
    const Hls = await loadHls().catch(() => null);
    if (Hls && Hls.isSupported()) {
      const hls = new Hls({ startPosition: start, enableWorker: true });
      recs.hls = hls;
      hls.on(Hls.Events.ERROR, (_event, data) => {
        if (data.fatal) {
          $("rec-status").textContent = `The recording stopped: ${data.details}`;
          stopRecording();
        }
      });
      hls.loadSource(urls.hls);
      hls.attachMedia(video);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = urls.hls; // Safari plays HLS itself
      video.addEventListener("loadedmetadata", () => { video.currentTime = start; }, { once: true });
    } else {
      throw new Error("this browser cannot play video");
    }
    video.hidden = false;
    await video.play().catch(() => {}); // refused autoplay: the controls still start it
    recs.saved = start;
    recs.saver = setInterval(savePosition, SAVE_EVERY_MS);
    $("rec-status").textContent = urls.growing ? "Still recording: the end grows as you watch." : "";
  } catch (err) {
    $("rec-status").textContent = err.message;
  }
}

// The position goes to the box (one per recording, for every screen) while it plays, on pause, and on leaving.
function savePosition(final = false) {
  const r = recs.open, video = $("rec-video");
  if (!r || video.hidden || !Number.isFinite(video.currentTime)) return;
  const at = Math.floor(video.currentTime);
  if (Math.abs(at - recs.saved) < 1) return;
  recs.saved = at;
  r.position = at;
  const path = `/recordings/${encodeURIComponent(r.id)}/position`;
  if (final) { // the page may be going away: a request that outlives it
    const headers = { "Content-Type": "application/json", Authorization: "Bearer " + app.token };
    fetch(API + path, { method: "PUT", headers, body: JSON.stringify({ position: at }), keepalive: true }).catch(() => {});
    return;
  }
  api("PUT", path, { position: at }).then((out) => { if (recs.open && recs.open.id === out.id) recs.open = out; })
    .catch(() => {});
}

function stopRecording() {
  savePosition(true);
  clearInterval(recs.saver);
  recs.saver = null;
  if (recs.hls) recs.hls.destroy();
  recs.hls = null;
  const video = $("rec-video");
  video.pause();
  video.removeAttribute("src");
  video.load();
  video.hidden = true;
}

// "Play on the TV": from where this phone is in it, or (not watching here) where any screen stopped.
async function playOnTv() {
  const r = recs.open, video = $("rec-video");
  if (!r) return;
  const body = !video.hidden && Number.isFinite(video.currentTime) ? { position: Math.floor(video.currentTime) } : {};
  stopRecording();
  try {
    await api("POST", `/recordings/${encodeURIComponent(r.id)}/play-on-tv`, body);
    toast(`“${r.title}” is on the TV`);
  } catch (err) {
    toast(err.message, true);
  }
}

async function deleteRecording() {
  const r = recs.open;
  if (!r) return;
  stopRecording();
  try {
    await api("DELETE", `/recordings/${encodeURIComponent(r.id)}`);
    toast(`Deleted “${r.title}”`);
    await showRecordings();
  } catch (err) {
    toast(err.message, true);
  }
}

// -- recording from the guide -------------------------------------------------------------------

async function refreshTimers() {
  const answer = await api("GET", "/timers");
  recs.timers = new Map(answer.timers.filter((t) => t.state === "scheduled" || t.state === "recording")
    .map((t) => [`${t.channel}|${t.start}`, t.id]));
}

// A ● Rec button beside a programme that has not ended: a tap sets a timer, a second tap cancels it.
function recordButton(channelId, programme) {
  const button = el("button", "rec");
  button.type = "button";
  const key = `${channelId}|${programme.start}`;
  const show = () => {
    const set = recs.timers.has(key);
    button.textContent = set ? "● Set" : "● Rec";
    button.classList.toggle("sent", set);
    button.setAttribute("aria-label", `${set ? "Cancel the recording of" : "Record"} ${programme.title}`);
  };
  show();
  button.addEventListener("click", async () => {
    try {
      if (recs.timers.has(key)) {
        await api("DELETE", `/timers/${encodeURIComponent(recs.timers.get(key))}`);
        recs.timers.delete(key);
        toast(`Will not record “${programme.title}”`);
      } else {
        const made = await api("POST", "/timers", { what: "programme", channel: channelId, start: programme.start });
        recs.timers.set(key, made.timer.id);
        toast(`Will record “${programme.title}” at ${clock(programme.start)}`);
      }
    } catch (err) {
      toast(err.status === 409 ? `Cannot record: ${err.message}` : err.message, true);
    }
    show();
  });
  return button;
}

function initRecordings() {
  $("rec-back").addEventListener("click", () => showRecordings().catch((err) => toast(err.message, true)));
  $("rec-resume").addEventListener("click", () => playRecording(false));
  $("rec-start").addEventListener("click", () => playRecording(true));
  $("rec-tv").addEventListener("click", playOnTv);
  $("rec-delete").addEventListener("click", () => {
    $("rec-confirm-text").textContent = `Delete “${recs.open ? recs.open.title : ""}”? It cannot be undone.`;
    $("rec-confirm").hidden = false;
    $("rec-delete").hidden = true;
    $("rec-keep").focus();
  });
  $("rec-keep").addEventListener("click", () => { $("rec-confirm").hidden = true; $("rec-delete").hidden = false; });
  $("rec-delete-yes").addEventListener("click", deleteRecording);
  const video = $("rec-video");
  video.addEventListener("pause", () => savePosition());
  video.addEventListener("seeked", () => savePosition());
  video.addEventListener("ended", () => savePosition());
  document.addEventListener("visibilitychange", () => { if (document.hidden) savePosition(true); });
  window.addEventListener("pagehide", () => savePosition(true));
}
