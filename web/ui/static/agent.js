// The agent console: log in, keep one WebRTC connection to calmline, accept
// handed-off callers, see their emotion report and live emotion while talking.
"use strict";
(() => {
  const $ = id => document.getElementById(id);
  let conn = null, mic = null, token = null, ringing = null, callId = null, statusKey = "agent.waiting", statusVars = {};
  const categories = ["neutral", "satisfied", "confused", "anxious", "sad", "angry"];

  // correction lets the agent file what the caller really felt at a turn
  // (POST /v1/feedback); `calmline emotion refit` learns from these labels.
  function correction(seq, r) {
    const wrap = document.createElement("div"); wrap.className = "correct";
    if (r) wrap.appendChild(Emotion.meter(r));
    const open = document.createElement("button"); open.type = "button"; open.className = "link"; open.textContent = I18N.t("agent.correct");
    const form = document.createElement("span"); form.className = "hidden";
    const pick = (values, prefix, chosen) => {
      const sel = document.createElement("select");
      values.forEach(v => { const o = document.createElement("option"); o.value = v; o.textContent = I18N.t(prefix + v); o.selected = v === chosen; sel.appendChild(o); });
      return sel;
    };
    const cat = pick(categories, "cat.", r && r.category), lvl = pick(Emotion.levels, "lvl.", r && r.level);
    const save = document.createElement("button"); save.type = "button"; save.textContent = I18N.t("agent.save");
    const note = document.createElement("span"); note.className = "stats";
    form.append(cat, lvl, save);
    open.addEventListener("click", () => { form.classList.toggle("hidden"); });
    save.addEventListener("click", async () => {
      try {
        const res = await Staff.fetch("/v1/feedback", {
          method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ call_id: callId, turn_seq: seq, category: cat.value, level: lvl.value, who: $("me").textContent || "agent" }),
        });
        if (!res.ok) throw new Error(((await res.json().catch(() => ({}))).error) || res.status);
        note.textContent = I18N.t("agent.saved"); note.classList.remove("error"); form.classList.add("hidden");
        wrap.dataset.corrected = cat.value + "/" + lvl.value;
      } catch (e) { note.textContent = I18N.t("agent.savefailed") + " " + e.message; note.classList.add("error"); }
    });
    wrap.append(open, form, note);
    return wrap;
  }

  function setStatus(key, vars, state) {
    statusKey = key; statusVars = vars || {};
    $("desk-status").textContent = I18N.t(key, statusVars);
    if (state) $("desk-status").dataset.state = state;
  }
  I18N.onChange(() => { if (token) setStatus(statusKey, statusVars); });

  async function login() {
    const name = $("name").value.trim();
    if (!name) return;
    const queues = $("queues").value.split(",").map(s => s.trim()).filter(Boolean);
    try {
      const r = await Staff.fetch("/v1/agents/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name, queues }) });
      if (!r.ok) throw new Error((await r.text()).trim());
      const a = await r.json();
      token = a.token;
      $("me").textContent = a.name;
      mic = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
      await connect();
      $("login").classList.add("hidden");
      $("desk").classList.remove("hidden");
      setStatus("agent.waiting", null, "waiting");
    } catch (e) {
      $("login-status").textContent = e.message;
      $("login-status").classList.add("error");
    }
  }

  async function connect() {
    conn = await RTC.connect({
      url: "/v1/agents/offer", headers: { "Authorization": "Bearer " + token }, stream: mic,
      onTrack: s => { const a = $("remote"); a.srcObject = s; a.play().catch(() => {}); },
      onMessage: onMessage,
      onState: st => { if (st === "failed") setTimeout(reconnect, 2000); },
    });
  }

  async function reconnect() {
    try { if (conn) conn.pc.close(); await connect(); } catch (e) { setTimeout(reconnect, 5000); }
  }

  function addTurn(role, text) {
    const li = document.createElement("li");
    li.className = "turn " + role;
    const who = document.createElement("div"); who.className = "who"; who.textContent = I18N.t("agent.who." + role); // the agent is "you" here, the caller is not
    const body = document.createElement("div"); body.className = "text"; body.textContent = text;
    li.append(who, body);
    $("turns").appendChild(li);
    return li;
  }

  function showVars(m) {
    const dl = $("vars");
    dl.innerHTML = "";
    const tr = m.transfer || {};
    const rows = Object.assign({}, m.call ? { caller: m.call.caller_id || "", lang: m.call.lang || "" } : {},
      tr.queue ? { queue: tr.queue } : {}, tr.vars || {});
    for (const [k, v] of Object.entries(rows)) {
      const dt = document.createElement("dt"); dt.textContent = k;
      const dd = document.createElement("dd"); dd.textContent = v;
      dl.append(dt, dd);
    }
    const link = $("report-link");
    if (tr.report_url) { const u = ownServer(tr.report_url); link.href = u; link.classList.remove("hidden"); loadReport(u); }
    else { link.classList.add("hidden"); $("report-body").innerHTML = ""; }
    $("report").classList.remove("hidden");
  }

  // ownServer points a calmline API link at the server this page came from. The
  // report link is built from public_url (the name phones and CRMs use), which
  // may differ from the address the agent opened (a proxy name, http vs https):
  // fetched from there the report would be blocked as cross-origin, and the
  // agent is signed in here anyway.
  function ownServer(u) {
    try {
      const x = new URL(u, location.href);
      return x.pathname.startsWith("/v1/") ? x.pathname + x.search : u;
    } catch (e) { return u; }
  }

  // loadReport shows the emotion report: trajectory, cues, transcript and suggested
  // compensation when the JSON has them, otherwise the JSON itself.
  async function loadReport(url) {
    const box = $("report-body");
    box.innerHTML = "";
    let rep;
    try {
      const r = await Staff.fetch(url, { headers: { "Accept": "application/json" } });
      if (!r.ok) return;
      rep = await r.json();
    } catch (e) { return; }
    const section = (key, el) => { const h = document.createElement("h3"); h.textContent = I18N.t(key); box.append(h, el); };
    const traj = rep.trajectory || rep.emotion;
    if (traj) {
      const hist = traj.history || (traj.current ? [traj.current] : []);
      const ol = document.createElement("ol"); ol.className = "turns";
      hist.forEach(r => { const li = document.createElement("li"); li.appendChild(Emotion.meter(Emotion.reading(r))); ol.appendChild(li); });
      section("agent.trajectory", ol);
      const cues = (traj.current && traj.current.cues) || [];
      if (cues.length) {
        const ul = document.createElement("ul");
        cues.forEach(c => { const li = document.createElement("li"); li.textContent = (c.kind || "") + ": " + (c.text || "") + (c.weight ? " (" + c.weight.toFixed(2) + ")" : ""); ul.appendChild(li); });
        section("agent.cues", ul);
      }
    }
    if (Array.isArray(rep.transcript)) {
      const ol = document.createElement("ol"); ol.className = "turns";
      rep.transcript.forEach(t => {
        const li = document.createElement("li");
        li.className = "turn " + (t.role || t.speaker || "caller");
        li.textContent = t.text || t.transcript || JSON.stringify(t);
        if (t.turn && callId) { li.dataset.turn = t.turn; li.appendChild(correction(t.turn, t.reading ? Emotion.reading(t.reading) : null)); }
        ol.appendChild(li);
      });
      section("transcript", ol);
    }
    if (rep.compensation) {
      const p = document.createElement("p");
      p.textContent = typeof rep.compensation === "string" ? rep.compensation : JSON.stringify(rep.compensation);
      section("agent.compensation", p);
    }
    if (!traj && !rep.transcript && !rep.compensation) {
      const pre = document.createElement("pre"); pre.textContent = JSON.stringify(rep, null, 2); box.appendChild(pre);
    }
  }

  function onMessage(m) {
    switch (m.type) {
      case "ring":
        ringing = m.call_id;
        callId = m.call_id;
        showVars(m);
        $("ring").classList.remove("hidden");
        setStatus("agent.ringing", null, "ringing");
        break;
      case "connected":
        $("ring").classList.add("hidden");
        $("incall").classList.remove("hidden");
        $("turns").innerHTML = "";
        setStatus("agent.incall", { caller: (m.call && m.call.caller_id) || m.call_id }, "incall");
        break;
      case "call_event": {
        const ev = m.event || {};
        if (ev.type === "emotion") {
          const r = Emotion.reading(ev.data);
          if (r) Emotion.update($("live-meter"), r);
        } else if (ev.type === "transcript") {
          // A turn with no words says why instead of showing as a blank line: with the
          // offline recogniser what the caller says to you is read for its voice only.
          const d = ev.data || {};
          const li = addTurn("caller", d.text || I18N.t(d.voice_only ? "agent.voiceonly" : d.no_match ? "agent.nomatch" : "agent.nowords"));
          if (!d.text) li.classList.add("wordless");
          if (d.seq && callId) { li.dataset.turn = d.seq; li.appendChild(correction(d.seq, null)); }
        }
        break;
      }
      case "ended":
        ringing = null;
        $("ring").classList.add("hidden");
        $("incall").classList.add("hidden");
        setStatus("agent.ended", { reason: m.reason || "" }, "waiting");
        break;
    }
  }

  $("login-btn").addEventListener("click", login);
  Staff.gate().then(me => {
    if (me.name) { $("name").value = me.name; $("name").readOnly = true; }
    $("login").classList.remove("hidden");
  });
  $("accept").addEventListener("click", () => { if (conn && ringing) conn.send({ type: "accept", call_id: ringing }); });
  $("reject").addEventListener("click", () => { if (conn && ringing) conn.send({ type: "reject", call_id: ringing }); });
  $("hangup").addEventListener("click", () => { if (conn) conn.send({ type: "hangup" }); });
})();
