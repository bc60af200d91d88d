// The web companion: pairing, the remote, the guide and "watch here", all through the box's own API.
// No framework and no build step: one script the box serves as is. hls.js is loaded only when the
// phone first watches something (it is most of the page's weight).
"use strict";

const API = "/api/v1";
const TOKEN_KEY = "stb.token";
const NAME_KEY = "stb.deviceName";
const $ = (id) => document.getElementById(id);

const app = {
  token: localStorage.getItem(TOKEN_KEY),
  box: null,
  lineup: [],
  byId: new Map(),
  nowNext: {},
  tv: null, // the box's /state
  events: null,
  pairingId: null,
  watching: null, // {mode: "live"} or {mode: "channel", id}
  hls: null,
};

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// -- talking to the box ------------------------------------------------------------------------

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (app.token) headers.Authorization = "Bearer " + app.token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    link(false, "The box does not answer");
    throw new ApiError(0, "the box does not answer: is it on, and this device on the same network?");
  }
  link(true);
  if (res.status === 401 && app.token) {
    forget("This phone was removed from the TV's paired devices. Pair it again to use the remote.");
    throw new ApiError(401, "not paired any more");
  }
  if (!res.ok) {
    const problem = await res.json().catch(() => ({}));
    throw new ApiError(res.status, problem.detail || problem.title || res.statusText);
  }
  return res.status === 204 ? null : res.json();
}

function withToken(path) {
  return app.token ? path + (path.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(app.token) : path;
}

function link(ok, text) {
  const el = $("link");
  el.textContent = ok ? (app.tv && app.tv.standby ? "TV in standby" : "Connected") : text;
  el.classList.toggle("bad", !ok);
}

let toastTimer = 0;
function toast(text, bad = false) {
  const el = $("toast");
  el.textContent = text;
  el.classList.toggle("bad", bad);
  el.classList.add("show");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove("show"), 2500);
}

// -- pairing ------------------------------------------------------------------------------------

function forget(why) {
  app.token = null;
  localStorage.removeItem(TOKEN_KEY);
  if (app.events) app.events.close();
  app.events = null;
  stopWatching();
  showPairing(why);
}

function showPairing(why) {
  $("app").hidden = true;
  $("pair").hidden = false;
  $("pair-form").hidden = true;
  $("pair-start").hidden = false;
  $("pair-why").textContent = why || "The TV shows a 6-digit code. Typing it here proves you can see the TV.";
  $("pair-name").value = localStorage.getItem(NAME_KEY) || guessName();
  $("pair-start").focus();
  performance.mark("stb-interactive");
}

function guessName() {
  const ua = navigator.userAgent;
  const kind = /iPhone/.test(ua) ? "iPhone" : /iPad/.test(ua) ? "iPad" : /Android/.test(ua) ? "Android phone" : "Browser";
  return kind + " (web remote)";
}

async function startPairing() {
  $("pair-error").textContent = "";
  const name = $("pair-name").value.trim() || guessName();
  localStorage.setItem(NAME_KEY, name);
  try {
    const started = await api("POST", "/pairing", { name });
    app.pairingId = started.pairing_id;
    $("pair-start").hidden = true;
    $("pair-form").hidden = false;
    $("pair-expiry").textContent = `The code is valid for ${Math.round(started.expires_in / 60)} minutes.`;
    $("pair-code").value = "";
    $("pair-code").focus();
  } catch (err) {
    $("pair-error").textContent = err.message;
  }
}

async function completePairing(event) {
  event.preventDefault();
  $("pair-error").textContent = "";
  const code = $("pair-code").value.replace(/\s/g, "");
  if (!/^[0-9]{6}$/.test(code)) {
    $("pair-error").textContent = "The code is 6 digits.";
    return;
  }
  try {
    const paired = await api("POST", `/pairing/${encodeURIComponent(app.pairingId)}`, { code });
    app.token = paired.token;
    localStorage.setItem(TOKEN_KEY, paired.token);
    $("pair").hidden = true;
    await showApp();
    toast(`Paired as “${paired.name}”`);
  } catch (err) {
    $("pair-error").textContent = err.status === 410 || err.status === 404
      ? "That code has expired. Ask for a new one." : err.message;
    if (err.status === 410 || err.status === 404) {
      $("pair-form").hidden = true;
      $("pair-start").hidden = false;
    }
  }
}

// -- the TV's state -----------------------------------------------------------------------------

async function showApp() {
  $("pair").hidden = true;
  $("app").hidden = false;
  const [lineup, tv, nowNext] = await Promise.all([api("GET", "/lineup"), api("GET", "/state"), api("GET", "/guide/now")]);
  app.lineup = lineup;
  app.byId = new Map(lineup.map((c) => [c.id, c]));
  app.tv = tv;
  Object.assign(app.nowNext, nowNext);
  fillChannelPicker();
  renderGuideIfListing();
  renderNow();
  listen();
  performance.mark("stb-interactive"); // what `stb bench web` times: the remote works from here
}

function listen() {
  if (app.events) app.events.close();
  const events = new EventSource(withToken(API + "/events"));
  app.events = events;
  const on = (kind, handler) => events.addEventListener(kind, (e) => handler(JSON.parse(e.data)));
  on("channel", (channel) => {
    app.tv = { ...app.tv, channel, stream: null, standby: false };
    renderNow();
    renderGuideIfListing();
    refreshNowNext([channel.id]);
  });
  on("stream", (stream) => {
    // a stream URL flung to the TV, outside the line-up: no channel, a title and the host it comes from
    app.tv = { ...app.tv, channel: null, stream, standby: false };
    renderNow();
  });
  on("volume", (v) => {
    app.tv = { ...app.tv, volume: v.volume, muted: v.muted };
    renderNow();
  });
  on("playback", (p) => {
    app.tv = { ...app.tv, playback: p.state };
    renderNow();
  });
  on("standby", (s) => {
    app.tv = { ...app.tv, standby: s.standby };
    renderNow();
  });
  on("guide", () => refreshGuide());
  for (const kind of ["recording_started", "recording_stopped", "recording_failed"]) on(kind, recordingsChanged);
  events.onopen = () => link(true);
  events.onerror = () => {
    // EventSource retries by itself; a state request tells a revoked token (401) from a box that went away.
    link(false, "Reconnecting…");
    api("GET", "/state").then((tv) => { app.tv = tv; renderNow(); }).catch(() => {});
  };
}

function renderNow() {
  const tv = app.tv;
  if (!tv) return;
  const channel = tv.channel;
  const programme = channel && app.nowNext[channel.id] && app.nowNext[channel.id].now;
  const stream = !channel && tv.stream;
  $("now-channel").textContent = tv.standby ? "Standby"
    : channel ? `${channel.number}  ${channel.name}` : stream ? `▶  ${stream.title}` : "Nothing on";
  $("now-title").textContent = tv.standby ? "The TV is off; Power or a channel wakes it"
    : programme ? programme.title : stream ? `A stream from ${stream.host}` : "";
  $("now-volume").textContent = tv.muted ? "Muted" : `${tv.volume}%`;
  const known = channel && app.byId.get(channel.id);
  const logo = known && !tv.standby ? logoFor(known) : el("span", "logo", tv.standby ? "" : "TV");
  logo.id = "now-logo";
  logo.setAttribute("aria-hidden", "true");
  const shown = $("now-logo");
  if (shown.dataset.channel !== (known ? known.id : "")) shown.replaceWith(logo); // the same logo is not fetched again
  logo.dataset.channel = known ? known.id : "";
  setProgress($("now-progress"), tv.standby ? null : programme);
  link(true);
  if (app.watching && app.watching.mode === "live") $("watch-label").textContent = watchLabel();
}

function setProgress(bar, programme) {
  const now = Date.now() / 1000;
  bar.hidden = !programme;
  if (programme) bar.value = Math.min(1, Math.max(0, (now - programme.start) / (programme.stop - programme.start)));
}

// -- remote -------------------------------------------------------------------------------------

async function press(button) {
  const action = button.dataset.key;
  button.classList.remove("sent", "failed");
  try {
    if (navigator.vibrate) navigator.vibrate(10);
    const tv = await api("POST", "/actions/key", { action });
    app.tv = tv;
    renderNow();
    flash(button, "sent");
  } catch (err) {
    flash(button, "failed");
    if (err.status !== 401) toast(err.message, true);
  }
}

function flash(el, cls) {
  el.classList.add(cls);
  setTimeout(() => el.classList.remove(cls), 400);
}

async function zapTo(channelId) {
  try {
    app.tv = await api("POST", "/actions/zap", { id: channelId });
    renderNow();
    const c = app.byId.get(channelId);
    toast(`On the TV: ${c ? c.name : channelId}`);
  } catch (err) {
    if (err.status !== 401) toast(err.message, true);
  }
}

async function playArchive(channel, p) {
  try {
    app.tv = await api("POST", "/actions/archive", { channel: channel.id, start: p.start });
    renderNow();
    toast(`On the TV from the archive: ${p.title}`);
  } catch (err) {
    if (err.status !== 401) toast(err.message, true);
  }
}

// -- guide --------------------------------------------------------------------------------------

async function refreshNowNext(ids) {
  const query = ids ? ids.map((id) => "channel=" + encodeURIComponent(id)).join("&") : "";
  const pairs = await api("GET", "/guide/now" + (query ? "?" + query : ""));
  Object.assign(app.nowNext, pairs);
  renderNow();
}

async function refreshGuide() {
  await refreshNowNext(null);
  renderGuideIfListing();
}

let guideMode = "list"; // "list", "day" or "search"

function renderGuideIfListing() {
  if (guideMode === "list") renderChannelList();
}

// 24-hour times, as the TV shows them (the box formats HH:MM whatever the phone's locale).
const CLOCK = new Intl.DateTimeFormat([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
function clock(seconds) {
  return CLOCK.format(new Date(seconds * 1000));
}

function row(parts, onTap, cls) {
  const li = document.createElement("li");
  if (cls) li.className = cls;
  const button = document.createElement("button");
  button.type = "button";
  for (const part of parts) button.append(part);
  button.addEventListener("click", onTap);
  li.append(button);
  return li;
}

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function initials(name) {
  const words = name.split(/[\s-]+/).filter((w) => /^[\p{L}\p{N}]/u.test(w));
  return words.slice(0, 3).map((w) => w[0]).join("").toUpperCase() || "TV";
}

// A channel's logo on a plate that shows its initials until the picture loads, and keeps them when the
// channel has no logo or the picture fails (no empty slot, no broken-image icon).
function logoFor(channel) {
  const plate = el("span", "logo", initials(channel.name));
  if (!channel.has_logo) return plate;
  const img = el("img");
  img.alt = "";
  img.loading = "lazy";
  img.addEventListener("load", () => plate.classList.add("pic")); // the initials stay under it until then
  img.addEventListener("error", () => img.remove());
  img.src = withToken(`${API}/lineup/${encodeURIComponent(channel.id)}/logo`);
  plate.append(img);
  return plate;
}

function renderChannelList() {
  const list = $("guide-list");
  list.classList.add("channels"); // two columns on a tablet; a day or a search stays one list
  const current = app.tv && app.tv.channel && app.tv.channel.id;
  list.replaceChildren(...app.lineup.map((c) => {
    const pair = app.nowNext[c.id] || {};
    const now = pair.now, next = pair.next;
    const bar = el("progress");
    bar.max = 1;
    setProgress(bar, now);
    const label = `${c.number}  ${c.name}`;
    const li = row([
      logoFor(c),
      el("span", "name", label),
      el("span", "sub", now ? `${clock(now.start)}  ${now.title}` : "No guide"),
      el("span", "sub", next ? `Next ${clock(next.start)}  ${next.title}` : ""),
      bar,
    ], () => showDay(c), c.id === current ? "current" : "");
    li.firstChild.setAttribute("aria-label", `${label}: ${now ? now.title : "no guide"}. Show the day`);
    return li;
  }));
}

async function showDay(channel) {
  guideMode = "day";
  const midnight = new Date();
  midnight.setHours(0, 0, 0, 0);
  const start = midnight.getTime() / 1000;
  const [rows] = await Promise.all([
    api("GET", `/guide/window?channel=${encodeURIComponent(channel.id)}&start=${start}&hours=24`),
    refreshTimers().catch(() => {}), // which programmes already have a timer (● Set)
  ]);
  // the title changes with the list, not before it: a tap meanwhile would hit the channel list under a day's title
  $("guide-day").hidden = false;
  $("day-title").textContent = `${channel.number}  ${channel.name}`;
  const now = Date.now() / 1000;
  const programmes = rows[channel.id] || [];
  const list = $("guide-list");
  list.classList.remove("channels");
  if (!programmes.length) {
    list.replaceChildren(el("li", "empty", "No guide for this channel today."));
    return;
  }
  list.replaceChildren(...programmes.map((p) => {
    // a past programme the channel's catch-up archive holds: a ▶, and a tap plays it on the TV from there
    const archived = channel.archive_days && p.stop <= now && p.start >= now - channel.archive_days * 86400;
    const li = row([
      el("span", "when", clock(p.start)),
      el("span", "name", (archived ? "▶ " : "") + p.title),
      el("span", "sub", archived ? "Watch from the archive" : p.sub_title || p.description || ""),
    ], archived ? () => playArchive(channel, p) : () => zapTo(channel.id),
    "programme " + (archived ? "archive" : p.stop <= now ? "past" : p.start <= now ? "current" : ""));
    if (archived) li.firstChild.setAttribute("aria-label", `${p.title}: watch from the archive on the TV`);
    if (p.stop > now) {
      li.classList.add("recordable");
      li.append(recordButton(channel.id, p));
    }
    return li;
  }));
  const current = list.querySelector(".current button");
  if (current) current.scrollIntoView({ block: "center" });
}

function backToList() {
  guideMode = "list";
  $("guide-day").hidden = true;
  $("search-q").value = "";
  renderChannelList();
}

async function search(event) {
  event.preventDefault();
  const q = $("search-q").value.trim();
  if (!q) return backToList();
  guideMode = "search";
  $("guide-day").hidden = false;
  $("day-title").textContent = `Search: ${q}`;
  const found = await api("GET", `/guide/search?q=${encodeURIComponent(q)}&limit=50`);
  const list = $("guide-list");
  list.classList.remove("channels");
  if (!found.length) {
    list.replaceChildren(el("li", "empty", `Nothing found for “${q}”.`));
    return;
  }
  list.replaceChildren(...found.map((p) => {
    const c = app.byId.get(p.channel);
    const day = new Date(p.start * 1000).toLocaleDateString([], { weekday: "short" });
    return row([
      el("span", "when", `${day} ${clock(p.start)}`),
      el("span", "name", p.title),
      el("span", "sub", c ? `${c.number}  ${c.name}` : p.channel),
    ], () => zapTo(p.channel), "programme");
  }));
}

// -- watch here ---------------------------------------------------------------------------------

function fillChannelPicker() {
  $("watch-channel").replaceChildren(...app.lineup.filter((c) => !c.radio).map((c) => {
    const option = el("option", "", `${c.number}  ${c.name}`);
    option.value = c.id;
    return option;
  }));
}

function watchLabel() {
  if (!app.watching) return "";
  if (app.watching.mode === "live") {
    const c = app.tv && app.tv.channel;
    return `Watching what the TV shows${c ? `: ${c.number} ${c.name}` : ""}. It follows the TV's zaps.`;
  }
  const c = app.byId.get(app.watching.id);
  return `Watching ${c ? `${c.number} ${c.name}` : app.watching.id} here.`;
}

let hlsScript = null;
function loadHls() {
  if (window.Hls) return Promise.resolve(window.Hls);
  hlsScript = hlsScript || new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "/app/vendor/hls.light.min.js";
    script.onload = () => resolve(window.Hls);
    script.onerror = () => reject(new Error("could not load the video player"));
    document.head.append(script);
  });
  return hlsScript;
}

async function watch(what) {
  const video = $("video");
  video.muted = false; // a tap started this: the browser lets it play with sound
  stopWatching();
  performance.clearMarks("stb-watch");
  performance.clearMarks("stb-first-frame");
  performance.mark("stb-watch");
  if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(() => performance.mark("stb-first-frame"));
  app.watching = what;
  $("watch-label").textContent = "Starting…";
  $("video-idle").textContent = "Starting…";
  const path = what.mode === "live" ? "/hls/live/index.m3u8" : `/hls/channel/${encodeURIComponent(what.id)}/index.m3u8`;
  try {
    const signed = await api("POST", "/stream-urls", { path });
    const Hls = await loadHls().catch(() => null);
    if (Hls && Hls.isSupported()) {
      const hls = new Hls({ liveSyncDurationCount: 2, enableWorker: true });
      app.hls = hls;
      hls.on(Hls.Events.ERROR, (_event, data) => {
        if (data.fatal) {
          $("watch-label").textContent = `The stream stopped: ${data.details}`;
          stopWatching(false);
        }
      });
      hls.loadSource(signed.url);
      hls.attachMedia(video);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = signed.url; // Safari plays HLS itself
    } else {
      throw new Error("this browser cannot play live video");
    }
    await video.play().catch(() => {}); // refused autoplay: the controls still start it
    $("watch-label").textContent = watchLabel();
    $("send-to-tv").disabled = what.mode !== "channel";
  } catch (err) {
    app.watching = null;
    $("watch-label").textContent = err.message;
  }
}

function stopWatching(clearLabel = true) {
  if (app.hls) app.hls.destroy();
  app.hls = null;
  const video = $("video");
  video.pause();
  video.removeAttribute("src");
  video.load();
  video.hidden = true; // no empty native player: a line says what to do instead
  $("video-idle").hidden = false;
  $("video-idle").textContent = "Choose what to watch: the TV's programme, or another channel.";
  if (clearLabel) {
    app.watching = null;
    $("watch-label").textContent = "";
  }
  $("send-to-tv").disabled = true;
}

// -- tabs ---------------------------------------------------------------------------------------

function selectTab(tab) {
  for (const other of document.querySelectorAll('[role="tab"]')) {
    const selected = other === tab;
    other.setAttribute("aria-selected", String(selected));
    other.tabIndex = selected ? 0 : -1;
    $(other.getAttribute("aria-controls")).hidden = !selected;
  }
  if (tab.id === "tab-recordings") showRecordings().catch((err) => toast(err.message, true));
  else stopRecording(); // a recording playing in a hidden tab: stop it, its position kept
}

function tabKeys(event) {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const at = tabs.indexOf(event.target);
  const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
  if (!step) return;
  const next = tabs[(at + step + tabs.length) % tabs.length];
  next.focus();
  selectTab(next);
}

// -- start ----------------------------------------------------------------------------------------

async function boot() {
  for (const button of document.querySelectorAll("[data-key]")) button.addEventListener("click", () => press(button));
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    tab.addEventListener("click", () => selectTab(tab));
    tab.addEventListener("keydown", tabKeys);
  }
  $("pair-start").addEventListener("click", startPairing);
  $("pair-form").addEventListener("submit", completePairing);
  $("search").addEventListener("submit", search);
  $("day-back").addEventListener("click", backToList);
  $("watch-mirror").addEventListener("click", () => watch({ mode: "live" }));
  $("watch-channel-go").addEventListener("click", () => watch({ mode: "channel", id: $("watch-channel").value }));
  $("watch-stop").addEventListener("click", () => stopWatching());
  $("send-to-tv").addEventListener("click", () => app.watching && app.watching.id && zapTo(app.watching.id));
  $("video").addEventListener("playing", () => { $("video").hidden = false; $("video-idle").hidden = true; });
  initRecordings();
  setInterval(() => { if (app.tv) refreshGuide().catch(() => {}); }, 60000);

  try {
    app.box = await api("GET", "/box");
    $("box-name").textContent = app.box.name;
    document.title = `${app.box.name} · TV remote`;
  } catch (err) {
    return; // link() already says the box does not answer
  }
  if (app.token || !app.box.pairing_required) {
    try {
      await showApp();
      return;
    } catch (err) {
      if (err.status === 401) return; // forget() showed the pairing card
      toast(err.message, true);
      return;
    }
  }
  showPairing();
}

document.addEventListener("DOMContentLoaded", boot);
