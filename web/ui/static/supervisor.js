// The supervisor console: live calls, most urgent first, updated from the event
// stream; listen in on a browser call (audio to the supervisor only, audited).
"use strict";
(() => {
  const $ = id => document.getElementById(id);
  const levels = ["calm", "mild", "moderate", "severe"];
  const calls = new Map(); // id → call summary from GET /v1/calls/live, updated by events
  let listening = null, listenConn = null, stopStats = null;

  $("sup-name").value = localStorage.getItem("calmline.supervisor") || "";
  $("sup-name").addEventListener("change", () => localStorage.setItem("calmline.supervisor", $("sup-name").value.trim()));

  function status(key, vars, err) {
    $("sup-status").textContent = key ? I18N.t(key, vars) : "";
    $("sup-status").classList.toggle("error", !!err);
  }

  async function refresh() {
    try {
      const r = await Staff.fetch("/v1/calls/live", { headers: { "Accept": "application/json" } });
      if (r.status === 401 || r.status === 403) { status("sup.denied", { reason: (await r.text()).trim() }, true); return; }
      if (!r.ok) return;
      const list = await r.json();
      calls.clear();
      (list || []).forEach(c => calls.set(c.id, c));
      render();
    } catch (e) { /* server restarting: try again on the next tick */ }
    try {
      const r = await Staff.fetch("/v1/agents");
      if (r.ok) renderAgents(await r.json());
    } catch (e) { /* optional */ }
  }

  function order(a, b) {
    return (b.urgency || 0) - (a.urgency || 0) || levels.indexOf(b.level) - levels.indexOf(a.level) ||
      (b.arousal || 0) - (a.arousal || 0) || String(a.started).localeCompare(String(b.started));
  }

  function since(t) {
    const s = Math.max(0, Math.round((Date.now() - Date.parse(t)) / 1000));
    return isNaN(s) ? "" : Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  let lastRender = "";
  // render redraws the table only when something shown changed, so a click is
  // never lost to a redraw.
  function render() {
    const body = $("calls");
    const list = [...calls.values()].sort(order);
    const sig = JSON.stringify([list, listening, I18N.lang()]);
    if (sig === lastRender) return;
    lastRender = sig;
    body.innerHTML = "";
    $("no-calls").classList.toggle("hidden", list.length > 0);
    for (const c of list) {
      const tr = document.createElement("tr");
      tr.dataset.id = c.id;
      tr.classList.toggle("listening", listening === c.id);
      const cell = v => { const td = document.createElement("td"); td.textContent = v == null ? "" : v; tr.appendChild(td); return td; };
      cell(c.caller_id || c.id);
      cell(c.channel);
      const st = cell(since(c.started));
      st.className = "since";
      st.dataset.started = c.started;
      const lvl = levels.includes(c.level) ? c.level : "calm";
      const pill = document.createElement("span");
      pill.className = "pill lvl-" + lvl;
      pill.textContent = I18N.t("cat." + (c.category || "neutral")) + " · " + I18N.t("lvl." + lvl);
      cell("").appendChild(pill);
      cell(typeof c.arousal === "number" ? Math.round(c.arousal * 100) + "%" : "");
      cell(typeof c.urgency === "number" ? c.urgency.toFixed(2) : "");
      cell(c.short || "");
      const td = cell("");
      if (c.channel === "webrtc") {
        const b = document.createElement("button");
        b.className = "listen";
        b.textContent = I18N.t(listening === c.id ? "sup.stop" : "sup.listen");
        b.addEventListener("click", () => listening === c.id ? stop() : listen(c.id));
        td.appendChild(b);
      }
      body.appendChild(tr);
    }
  }

  function renderAgents(list) {
    const ul = $("agents");
    ul.innerHTML = "";
    (list || []).forEach(a => { const li = document.createElement("li"); li.textContent = a.name + " · " + a.state + (a.call_id ? " · " + a.call_id : ""); ul.appendChild(li); });
  }

  // onEvent applies a call event from the stream: emotion updates the row in place,
  // anything that starts or ends a call refreshes the list.
  function onEvent(ev) {
    if (!ev || !ev.call_id) return;
    const c = calls.get(ev.call_id);
    if (ev.type === "emotion" && c) {
      const d = ev.data || {};
      const r = d.current || d.reading || d;
      if (r.category) c.category = r.category;
      if (r.level) c.level = r.level;
      if (typeof r.arousal === "number") c.arousal = r.arousal;
      if (typeof d.urgency === "number") c.urgency = d.urgency;
      else if (d.trajectory && typeof d.trajectory.escalation_risk === "number") c.urgency = d.trajectory.escalation_risk;
      render();
    } else if (!c || ev.type === "hangup" || ev.type === "state" || ev.type === "ended" || ev.type === "call.ended") {
      refresh();
    }
    if (ev.type === "hangup" && ev.call_id === listening) stop();
  }

  async function listen(id) {
    const name = $("sup-name").value.trim();
    if (!name) { status("sup.needname", null, true); $("sup-name").focus(); return; }
    await stop();
    try {
      listenConn = await RTC.connect({
        url: "/v1/supervisor/calls/" + encodeURIComponent(id) + "/listen?supervisor=" + encodeURIComponent(name),
        stream: null, headers: Staff.headers(),
        onTrack: s => { const a = $("listen-audio"); a.srcObject = s; a.play().catch(() => {}); },
        onState: st => { if (st === "failed" || st === "closed") stop(); },
      });
    } catch (e) { status("", null); $("sup-status").textContent = e.message; $("sup-status").classList.add("error"); return; }
    listening = id;
    status("sup.listening", { id });
    stopStats = RTC.watchInbound(listenConn.pc, p => { $("stats").dataset.packets = p; $("stats").textContent = "audio in: " + p + " packets"; });
    render();
  }

  async function stop() {
    if (stopStats) { stopStats(); stopStats = null; }
    if (listenConn) { const c = listenConn; listenConn = null; await c.hangup(); }
    if (listening) { listening = null; status(""); render(); }
  }

  function start(me) {
    if (me.name) { $("sup-name").value = me.name; $("sup-name").readOnly = true; }
    document.querySelectorAll("section.console").forEach(s => s.classList.remove("hidden"));
    if (me.auth && me.role !== "supervisor") { status("staff.supervisors", { name: me.name }, true); return; }
    I18N.onChange(render);
    Staff.events("/v1/events", es => {
      es.onmessage = m => { try { onEvent(JSON.parse(m.data)); } catch (e) { /* not an event */ } };
      ["emotion", "state", "hangup", "transcript"].forEach(t => es.addEventListener(t, m => { try { onEvent(JSON.parse(m.data)); } catch (e) { /* ignore */ } }));
    }, st => {
      // The list still refreshes every 5 s; say that emotion no longer moves live.
      $("calls").dataset.stream = st;
      $("live-paused").classList.toggle("hidden", st !== "closed");
    });
    refresh();
    setInterval(refresh, 5000);
    Dashboard.start();
    setInterval(() => document.querySelectorAll("#calls td.since").forEach(td => { td.textContent = since(td.dataset.started); }), 1000);
    window.addEventListener("pagehide", stop);
  }
  Staff.gate().then(start);
})();
