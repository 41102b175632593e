// The live site map (sipdect.app.map): the feed's snapshot and deltas into a model, drawn on
// one canvas once per animation frame; a trainer's drags and clicks go to the control API.
"use strict";

(() => {
  const FEED = "/_emu/map/feed";
  const API = "/_emu";
  const FLASH_MS = 2500;           // how long a handover or an RFP failure is highlighted
  const HIT_PX = 12;               // how near a pointer must be to pick a handset or an RFP
  const MARGIN_M = 12;             // metres of floor round what is on it
  const LABELS_UP_TO = 64;         // names are drawn while at most this many things show
  const NARRATIVE_SHOWN = 200;
  const STATS_EVERY_MS = 5000;     // a selected RFP's statistics are read again this often
  const COLORS = {
    Synchronous: "#2e7d32", Searching: "#ef8f00", Inactive: "#8a949c", "Not connected": "#c62828",
    idle: "#1565c0", call: "#2e7d32", ringing: "#ef8f00", off: "#8a949c", grid: "#eceff1",
    gridText: "#9aa4ab", sync: "#b0bec5", handover: "#ef8f00", failure: "#c62828",
    farEnd: "#6a1b9a",
  };

  const canvas = document.getElementById("map");
  const ctx = canvas.getContext("2d");
  const body = document.body;
  const model = { rfps: new Map(), handsets: new Map(), calls: new Map(), coverage: [], seq: -1 };
  const pending = [];                // deltas waiting for the next frame
  const flashes = new Map();         // "r:id" / "h:id" -> {until, color}
  const drawn = new Map();           // "r:id" / "h:id" -> [px, py] as last drawn
  const drawnListeners = [];
  let view = { scale: 10, x0: 0, y0: 0, bounds: null };
  let scheduled = false;
  let selected = null;               // the handset a call starts from
  let selectedRfp = null;            // the RFP whose details show (its air id, a string)
  let statsTimer = null;
  let answerFor = null;              // a handset to answer once it rings (the page's call)
  let dragging = null;
  const stats = { draws: 0, drawMs: 0, deltas: 0 };  // for `sipdect bench web`

  // -- the feed --------------------------------------------------------------------------------
  function connect() {
    const source = new EventSource(FEED);
    source.addEventListener("open", () => setFeed("live", "live"));
    source.addEventListener("error", () => setFeed("lost", "reconnecting\u2026"));
    source.addEventListener("snapshot", (e) => {
      pending.length = 0;
      pending.push({ snapshot: JSON.parse(e.data) });
      schedule();
    });
    source.addEventListener("delta", (e) => {
      pending.push(JSON.parse(e.data));
      stats.deltas += 1;
      schedule();
    });
  }

  function setFeed(state, text) {
    body.dataset.feed = state;
    document.getElementById("feed-state").textContent = text;
  }

  function byId(list) { return new Map(list.map((r) => [String(r.id), r])); }

  function applySnapshot(s) {
    model.rfps = byId(s.rfps);
    model.handsets = byId(s.handsets);
    model.calls = byId(s.calls);
    model.coverage = s.coverage;
    model.seq = s.seq;
    document.getElementById("narrative").replaceChildren();
    tell(s.narrative, false);
    view.bounds = null;
  }

  function applyDelta(d) {
    const now = performance.now();
    for (const r of d.rfps || []) {
      const old = model.rfps.get(String(r.id));
      if (old && old.state !== "Not connected" && r.state === "Not connected") {
        flashes.set("r:" + r.id, { until: now + FLASH_MS, color: COLORS.failure });
      }
      model.rfps.set(String(r.id), r);
      if (selectedRfp === String(r.id)) showRfp();
    }
    for (const h of d.handsets || []) {
      const old = model.handsets.get(String(h.id));
      if (old && old.rfp !== null && h.rfp !== null && old.rfp !== h.rfp) {
        flashes.set("h:" + h.id, { until: now + FLASH_MS, color: COLORS.handover });
      }
      if (!(dragging && dragging.id === h.id && dragging.moved)) {
        model.handsets.set(String(h.id), h);
      } else {
        dragging.latest = h;
      }
      if (answerFor === h.id && h.call === "incoming") {
        answerFor = null;
        act(`handsets/${h.id}/answer`, {});
      }
    }
    for (const c of d.calls || []) model.calls.set(String(c.id), c);
    const gone = d.gone || {};
    for (const id of gone.rfps || []) {
      model.rfps.delete(id);
      if (selectedRfp === id) selectRfp(null);
    }
    for (const id of gone.handsets || []) model.handsets.delete(id);
    for (const id of gone.calls || []) model.calls.delete(id);
    tell(d.narrative || [], true);
    model.seq = d.seq;
  }

  function tell(entries, fresh) {
    const list = document.getElementById("narrative");
    for (const e of entries) {
      const li = document.createElement("li");
      li.dataset.kind = e.kind;
      if (fresh) li.className = "new";
      const when = document.createElement("time");
      const at = new Date(e.t * 1000);
      when.dateTime = at.toISOString();
      when.textContent = at.toLocaleTimeString([], { hour12: false });
      const kind = document.createElement("b");
      kind.textContent = e.kind;
      li.append(when, kind, document.createTextNode(e.subject ? `${e.subject}: ${e.text}` : e.text));
      list.prepend(li);
    }
    while (list.children.length > NARRATIVE_SHOWN) list.lastElementChild.remove();
  }

  // -- drawing ---------------------------------------------------------------------------------
  function schedule() {
    if (!scheduled) { scheduled = true; requestAnimationFrame(frame); }
  }

  function frame() {
    scheduled = false;
    const started = performance.now();
    for (const item of pending.splice(0)) {
      if (item.snapshot) applySnapshot(item.snapshot); else applyDelta(item);
    }
    draw();
    stats.draws += 1;
    stats.drawMs += performance.now() - started;
    body.dataset.seq = String(model.seq);
    for (const listener of drawnListeners.splice(0)) listener(model.seq);
    if (flashes.size) schedule();
  }

  function resize() {
    const ratio = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(canvas.clientWidth * ratio));
    const h = Math.max(1, Math.round(canvas.clientHeight * ratio));
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w; canvas.height = h; view.bounds = null;
    }
    return ratio;
  }

  function fit(ratio) {
    // The floor shown: everything on it plus a margin; it only grows while the page lives,
    // so the plan stays still while handsets move about inside it.
    let [x1, y1, x2, y2] = view.bounds || [Infinity, Infinity, -Infinity, -Infinity];
    let grew = !view.bounds;
    for (const map of [model.rfps, model.handsets]) {
      for (const t of map.values()) {
        if (t.x - MARGIN_M < x1) { x1 = t.x - MARGIN_M; grew = true; }
        if (t.y - MARGIN_M < y1) { y1 = t.y - MARGIN_M; grew = true; }
        if (t.x + MARGIN_M > x2) { x2 = t.x + MARGIN_M; grew = true; }
        if (t.y + MARGIN_M > y2) { y2 = t.y + MARGIN_M; grew = true; }
      }
    }
    if (!isFinite(x1)) { x1 = -MARGIN_M; y1 = -MARGIN_M; x2 = MARGIN_M; y2 = MARGIN_M; }
    if (!grew) return;
    view.bounds = [x1, y1, x2, y2];
    const scale = Math.min(canvas.width / (x2 - x1), canvas.height / (y2 - y1));
    view.scale = scale;
    view.x0 = x1 - (canvas.width / scale - (x2 - x1)) / 2;
    view.y0 = y1 - (canvas.height / scale - (y2 - y1)) / 2;
    view.ratio = ratio;
  }

  const px = (x) => (x - view.x0) * view.scale;
  const py = (y) => (y - view.y0) * view.scale;
  const farEnd = () => [canvas.width - 30 * (view.ratio || 1), 30 * (view.ratio || 1)];

  function place(node) {
    const [kind, id] = node;
    if (kind === "h") { const h = model.handsets.get(String(id)); return h && [px(h.x), py(h.y)]; }
    if (kind === "r") { const r = model.rfps.get(String(id)); return r && [px(r.x), py(r.y)]; }
    return farEnd();
  }

  function draw() {
    const ratio = resize();
    fit(ratio);
    const now = performance.now();
    const unit = ratio;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    drawGrid(unit);
    const edge = model.coverage.find((c) => c.name === "edge");
    const sync = model.coverage.find((c) => c.name === "sync");
    const up = [...model.rfps.values()].filter((r) => r.state !== "Not connected" && r.state !== "Inactive");
    if (edge) {
      ctx.fillStyle = "rgba(46, 125, 50, 0.05)";
      for (const r of up) {
        ctx.beginPath(); ctx.arc(px(r.x), py(r.y), edge.m * view.scale, 0, 2 * Math.PI); ctx.fill();
      }
    }
    if (sync) {
      ctx.strokeStyle = "rgba(46, 125, 50, 0.35)"; ctx.lineWidth = unit; ctx.setLineDash([4 * unit, 4 * unit]);
      ctx.beginPath();
      for (const r of up) {
        ctx.moveTo(px(r.x) + sync.m * view.scale, py(r.y));
        ctx.arc(px(r.x), py(r.y), sync.m * view.scale, 0, 2 * Math.PI);
      }
      ctx.stroke(); ctx.setLineDash([]);
    }
    // the sync tree: each synced RFP to the one it takes its timing from
    ctx.strokeStyle = COLORS.sync; ctx.lineWidth = unit; ctx.beginPath();
    for (const r of model.rfps.values()) {
      const parent = r.parent !== null ? model.rfps.get(String(r.parent)) : null;
      if (parent) { ctx.moveTo(px(r.x), py(r.y)); ctx.lineTo(px(parent.x), py(parent.y)); }
    }
    ctx.stroke();
    // each handset to the RFP it is locked to
    ctx.strokeStyle = "rgba(21, 101, 192, 0.25)"; ctx.beginPath();
    for (const h of model.handsets.values()) {
      const r = h.rfp !== null ? model.rfps.get(String(h.rfp)) : null;
      if (r) { ctx.moveTo(px(h.x), py(h.y)); ctx.lineTo(px(r.x), py(r.y)); }
    }
    ctx.stroke();
    drawCalls(unit);
    drawn.clear();
    const labels = model.rfps.size + model.handsets.size <= LABELS_UP_TO;
    ctx.font = `${12 * unit}px system-ui, sans-serif`;
    for (const r of model.rfps.values()) {
      const x = px(r.x), y = py(r.y), s = 7 * unit;
      ctx.fillStyle = COLORS[r.state] || COLORS.Inactive;
      ctx.fillRect(x - s, y - s, 2 * s, 2 * s);
      if (r.reference) { ctx.strokeStyle = "#1d2327"; ctx.lineWidth = 2 * unit; ctx.strokeRect(x - s - 2 * unit, y - s - 2 * unit, 2 * s + 4 * unit, 2 * s + 4 * unit); }
      if (selectedRfp === String(r.id)) { ctx.strokeStyle = "#1565c0"; ctx.lineWidth = 2 * unit; ctx.strokeRect(x - s - 5 * unit, y - s - 5 * unit, 2 * s + 10 * unit, 2 * s + 10 * unit); }
      flash("r:" + r.id, x, y, 16 * unit, now, unit);
      if (labels) { ctx.fillStyle = "#1d2327"; ctx.fillText(r.name, x + s + 3 * unit, y - s); }
      drawn.set("r:" + r.id, [x / ratio, y / ratio]);
    }
    for (const h of model.handsets.values()) {
      const x = px(h.x), y = py(h.y);
      ctx.fillStyle = handsetColor(h);
      ctx.beginPath(); ctx.arc(x, y, 5 * unit, 0, 2 * Math.PI); ctx.fill();
      if (selected === h.id) {
        ctx.strokeStyle = "#1d2327"; ctx.lineWidth = 2 * unit;
        ctx.beginPath(); ctx.arc(x, y, 9 * unit, 0, 2 * Math.PI); ctx.stroke();
      }
      flash("h:" + h.id, x, y, 14 * unit, now, unit);
      if (labels) { ctx.fillStyle = "#1d2327"; ctx.fillText(h.name, x + 8 * unit, y + 4 * unit); }
      drawn.set("h:" + h.id, [x / ratio, y / ratio]);
    }
  }

  function handsetColor(h) {
    if (h.state === "off" || h.state === "searching") return COLORS.off;
    if (h.call === "connected") return COLORS.call;
    if (h.call !== "idle") return COLORS.ringing;
    return COLORS.idle;
  }

  function flash(key, x, y, radius, now, unit) {
    const f = flashes.get(key);
    if (!f) return;
    if (f.until < now) { flashes.delete(key); return; }
    const left = (f.until - now) / FLASH_MS;
    ctx.strokeStyle = f.color; ctx.lineWidth = 3 * unit; ctx.globalAlpha = left;
    ctx.beginPath(); ctx.arc(x, y, radius * (1.6 - 0.6 * left), 0, 2 * Math.PI); ctx.stroke();
    ctx.globalAlpha = 1;
  }

  function drawCalls(unit) {
    for (const c of model.calls.values()) {
      const points = c.path.map(place).filter(Boolean);
      if (points.length < 2) continue;
      ctx.strokeStyle = c.state === "connected" ? COLORS.call : COLORS.ringing;
      ctx.lineWidth = 4 * unit;
      ctx.setLineDash(c.state === "connected" ? [] : [8 * unit, 6 * unit]);
      ctx.beginPath(); ctx.moveTo(...points[0]);
      for (const p of points.slice(1)) ctx.lineTo(...p);
      ctx.stroke(); ctx.setLineDash([]);
      if (c.b === null) {
        const [x, y] = farEnd();
        ctx.fillStyle = COLORS.farEnd; ctx.fillRect(x - 8 * unit, y - 8 * unit, 16 * unit, 16 * unit);
        ctx.fillText(`call server: ${c.far}`, x - 150 * unit, y + 24 * unit);
      }
    }
  }

  function drawGrid(unit) {
    // a line every 10 m (every 50 m, 100 m ... on a big floor), labelled in metres
    const widthM = canvas.width / view.scale;
    let step = 10;
    while (widthM / step > 20) step *= step % 25 === 0 ? 2 : 5;
    ctx.strokeStyle = COLORS.grid; ctx.lineWidth = unit; ctx.beginPath();
    ctx.fillStyle = COLORS.gridText; ctx.font = `${10 * unit}px system-ui, sans-serif`;
    const x1 = view.x0 + canvas.width / view.scale, y1 = view.y0 + canvas.height / view.scale;
    for (let x = Math.ceil(view.x0 / step) * step; x <= x1; x += step) {
      ctx.moveTo(px(x), 0); ctx.lineTo(px(x), canvas.height); ctx.fillText(`${x} m`, px(x) + 2 * unit, 12 * unit);
    }
    for (let y = Math.ceil(view.y0 / step) * step; y <= y1; y += step) {
      ctx.moveTo(0, py(y)); ctx.lineTo(canvas.width, py(y)); ctx.fillText(`${y} m`, 2 * unit, py(y) - 2 * unit);
    }
    ctx.stroke();
  }

  // -- the trainer's hands -----------------------------------------------------------------------
  function pick(event) {
    const rect = canvas.getBoundingClientRect();
    const x = event.clientX - rect.left, y = event.clientY - rect.top;
    let best = null, bestD = HIT_PX;
    for (const [key, [dx, dy]] of drawn) {
      const d = Math.hypot(dx - x, dy - y);
      if (d < bestD || (d === bestD && key[0] === "h")) { best = key; bestD = d; }
    }
    return { key: best, x, y };
  }

  function metres(x, y) {
    const ratio = view.ratio || 1;
    return [Math.round((x * ratio / view.scale + view.x0) * 10) / 10,
            Math.round((y * ratio / view.scale + view.y0) * 10) / 10];
  }

  async function act(path, body) {
    const message = document.getElementById("message");
    try {
      const answer = await fetch(`${API}/${path}`, {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body), credentials: "same-origin",
      });
      if (!answer.ok) {
        const why = await answer.json().catch(() => ({}));
        message.textContent = why.error || `${answer.status} ${answer.statusText}`;
      } else {
        message.textContent = "";
      }
      return answer.ok;
    } catch (err) {
      message.textContent = String(err);
      return false;
    }
  }

  canvas.addEventListener("pointerdown", (event) => {
    const { key, x, y } = pick(event);
    dragging = null;
    if (key && key[0] === "h") {
      dragging = { id: Number(key.slice(2)), from: [x, y], moved: false };
      canvas.setPointerCapture(event.pointerId);
    } else if (key && key[0] === "r") {
      const id = key.slice(2);
      selectRfp(selectedRfp === id ? null : id);
    } else {
      select(null);
      selectRfp(null);
    }
  });

  canvas.addEventListener("pointermove", (event) => {
    if (!dragging) return;
    const rect = canvas.getBoundingClientRect();
    const x = event.clientX - rect.left, y = event.clientY - rect.top;
    if (!dragging.moved && Math.hypot(x - dragging.from[0], y - dragging.from[1]) < 4) return;
    dragging.moved = true;
    const h = model.handsets.get(String(dragging.id));
    if (h) {
      const [mx, my] = metres(x, y);
      model.handsets.set(String(h.id), { ...h, x: mx, y: my });
      schedule();
    }
  });

  canvas.addEventListener("pointerup", (event) => {
    const drag = dragging;
    dragging = null;
    if (!drag) return;
    if (!drag.moved) { clickHandset(drag.id); return; }
    const rect = canvas.getBoundingClientRect();
    const [x, y] = metres(event.clientX - rect.left, event.clientY - rect.top);
    const walk = document.getElementById("walk").checked;
    if (drag.latest) model.handsets.set(String(drag.id), { ...drag.latest, x, y });
    act(`handsets/${drag.id}/${walk ? "walk" : "move"}`, { x, y });
  });

  function clickHandset(id) {
    const h = model.handsets.get(String(id));
    if (!h) return;
    if (selected === null || selected === id) { select(selected === id ? null : id); return; }
    const caller = model.handsets.get(String(selected));
    if (!h.number) {
      document.getElementById("message").textContent = `${h.name} has no number to call`;
      return;
    }
    answerFor = id;
    select(null);
    if (caller) act(`handsets/${caller.id}/call`, { number: h.number });
  }

  function select(id) {
    selected = id;
    if (id !== null) selectRfp(null);
    const h = id === null ? null : model.handsets.get(String(id));
    const text = document.getElementById("selected");
    const hangup = document.getElementById("hangup");
    document.getElementById("unselect").hidden = !h;
    hangup.hidden = !(h && h.call !== "idle");
    text.textContent = h ? `${h.name} (${h.number || "no number"}, ${h.ipei}): click the handset to call`
      : "Nothing selected.";
    schedule();
  }

  // -- a selected RFP: its state, where its SSH shells and SNMP agent listen, its statistics --
  function selectRfp(id) {
    selectedRfp = id;
    clearTimeout(statsTimer);
    statsTimer = null;
    if (id !== null && selected !== null) select(null);
    document.getElementById("rfp").hidden = id === null;
    document.getElementById("rfp-stats").replaceChildren();
    document.getElementById("rfp-stats-note").textContent = "";
    if (id !== null) { showRfp(); readStats(); }
    schedule();
  }

  function showRfp() {
    const r = model.rfps.get(selectedRfp);
    if (!r) return;
    const text = (name, value) => { document.getElementById(name).textContent = value; };
    text("rfp-name", r.name);
    text("rfp-state", r.state + (r.reference ? ", sync reference" : ""));
    text("rfp-omm", r.omm);
    const [sshHost, sshPort] = r.ssh ? r.ssh.split(":") : [];
    text("rfp-ssh", r.ssh ? `ssh -p ${sshPort} ${r.ssh_user}@${sshHost}` : "not listening");
    text("rfp-snmp", r.snmp ? `${r.snmp} (UDP, v1/v2c)` : "not listening");
    const power = document.getElementById("power");
    power.textContent = r.powered ? "Switch off" : "Switch on";
    power.dataset.on = String(!r.powered);
  }

  async function readStats() {
    const id = selectedRfp;
    const r = model.rfps.get(id);
    if (!r) return;
    const note = document.getElementById("rfp-stats-note");
    try {
      const answer = await fetch(`${API}/rfps/${encodeURIComponent(r.host)}/stats`,
                                 { credentials: "same-origin" });
      const data = await answer.json().catch(() => ({}));
      if (selectedRfp !== id) return;
      if (!answer.ok) {
        note.textContent = data.error || `${answer.status} ${answer.statusText}`;
      } else {
        showStats(data);
      }
    } catch (err) {
      if (selectedRfp === id) note.textContent = String(err);
    }
    if (selectedRfp === id) statsTimer = setTimeout(readStats, STATS_EVERY_MS);
  }

  function showStats(data) {
    // The counters that moved this week, by group; the rest are 0.
    const rows = [];
    let zero = 0;
    for (const [group, counters] of Object.entries(data.counters)) {
      for (const [name, value] of Object.entries(counters)) {
        if (!value) { zero += 1; continue; }
        const tr = document.createElement("tr");
        tr.dataset.counter = `${group}/${name}`;
        for (const [cell, content] of [["th", group], ["th", name], ["td", String(value)]]) {
          const c = document.createElement(cell);
          c.textContent = content;
          if (cell === "th") c.scope = "row";
          tr.append(c);
        }
        rows.push(tr);
      }
    }
    document.getElementById("rfp-stats").replaceChildren(...rows);
    document.getElementById("rfp-stats-note").textContent =
      `${zero} ${rows.length ? "other " : ""}counters at 0: this ${data.resolution}'s record at ${data.omm} (RFP id ${data.id}).`;
  }

  document.getElementById("power").addEventListener("click", (event) => {
    const r = model.rfps.get(selectedRfp);
    if (r) act(`rfps/${encodeURIComponent(r.host)}/power`, { on: event.target.dataset.on === "true" });
  });

  document.getElementById("hangup").addEventListener("click", () => {
    if (selected !== null) act(`handsets/${selected}/hangup`, {});
    select(null);
  });
  document.getElementById("unselect").addEventListener("click", () => select(null));
  window.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { select(null); selectRfp(null); }
  });
  window.addEventListener("resize", schedule);

  // For tests and `sipdect bench web`: what the map holds and where it drew things.
  window.siteMap = {
    model,
    seq: () => model.seq,
    drawnAt: (kind, id) => drawn.get(`${kind}:${id}`) || null,
    afterDraw: () => new Promise((resolve) => { drawnListeners.push(resolve); schedule(); }),
    nextDraw: () => new Promise((resolve) => { drawnListeners.push(resolve); }),
    stats,
  };
  connect();
})();
