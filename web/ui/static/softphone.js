// The softphone: call calmline from the browser, hear the bot, see the live
// transcript with an emotion meter per caller turn.
"use strict";
(() => {
  const $ = id => document.getElementById(id);
  let call = null, mic = null, stopStats = null, lastCallerTurn = null, statusKey = "status.idle", statusVars = {};

  function setStatus(key, vars, state) {
    statusKey = key; statusVars = vars || {};
    const el = $("status");
    el.textContent = I18N.t(key, statusVars);
    el.classList.toggle("error", key === "status.failed" || key === "status.nomic" || key === "status.busy");
    if (state) el.dataset.state = state;
  }
  I18N.onChange(() => setStatus(statusKey, statusVars));

  function addTurn(role, text) {
    const li = document.createElement("li");
    li.className = "turn " + role;
    const who = document.createElement("div"); who.className = "who"; who.dataset.i18n = "who." + role;
    who.textContent = I18N.t("who." + role);
    const body = document.createElement("div"); body.className = "text"; body.textContent = text;
    li.append(who, body);
    $("turns").appendChild(li);
    li.scrollIntoView({ block: "end" });
    return li;
  }

  // The keypad sends each key on the data channel as {"type":"dtmf","digit":"5"}
  // (the server treats it like a key pressed on a phone: a run of keys ends after a
  // short pause); the digits show under the keypad until the server hears them.
  function press(key) {
    if (!call || !/^[0-9*#]$/.test(key)) return;
    call.send({ type: "dtmf", digit: key });
    $("keyed").textContent += key;
    const b = document.querySelector('#keypad button[data-key="' + key + '"]');
    if (b) { b.classList.add("pressed"); setTimeout(() => b.classList.remove("pressed"), 150); }
  }
  $("keypad").addEventListener("click", ev => {
    const k = ev.target && ev.target.dataset && ev.target.dataset.key;
    if (k) press(k);
  });
  document.addEventListener("keydown", ev => {
    if (!call || ev.ctrlKey || ev.metaKey || ev.altKey || (ev.target && ev.target.tagName === "INPUT")) return;
    if (/^[0-9*#]$/.test(ev.key)) { press(ev.key); ev.preventDefault(); }
  });

  function text(d) { return typeof d === "string" ? d : (d && (d.text || d.say)) || ""; }

  function onEvent(ev) {
    const d = ev.data;
    switch (ev.type) {
      case "transcript": {
        const role = (d && d.role) || "caller";
        const li = addTurn(role === "caller" ? "caller" : role, text(d));
        if (role === "caller") lastCallerTurn = li;
        break;
      }
      case "dtmf":
        if (d && d.dtmf) {
          addTurn("caller", I18N.t("keys", { keys: d.dtmf }));
          lastCallerTurn = null;
          $("keyed").textContent = "";
        }
        break;
      case "reply":
        addTurn((d && d.role === "agent") ? "agent" : "bot", text(d));
        break;
      case "emotion": {
        const r = Emotion.reading(d);
        if (!r) break;
        if (!lastCallerTurn) lastCallerTurn = addTurn("caller", "…");
        let m = lastCallerTurn.querySelector(".meter");
        if (m) Emotion.update(m, r); else lastCallerTurn.appendChild(Emotion.meter(r));
        $("live").classList.remove("hidden");
        Emotion.update($("live-meter"), r);
        break;
      }
      case "state":
        if (d && d.state === "agent") setStatus("status.agent", { agent: d.agent || "" });
        break;
      case "hangup":
        end(d && d.reason === "server at capacity" ? "status.busy" : "status.ended");
        break;
    }
  }

  async function start() {
    $("call").disabled = true;
    setStatus("status.mic", null, "mic");
    try {
      mic = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
    } catch (e) {
      setStatus("status.nomic", { reason: e.message }, "failed");
      $("call").disabled = false;
      return;
    }
    setStatus("status.connecting", null, "connecting");
    const q = new URLSearchParams({ lang: I18N.lang() });
    const id = $("caller-id").value.trim();
    if (id) q.set("caller_id", id);
    try {
      call = await RTC.connect({
        url: "/v1/webrtc/offer?" + q, stream: mic,
        onTrack: s => { const a = $("remote"); a.srcObject = s; a.play().catch(() => {}); },
        onMessage: onEvent,
        onState: st => {
          if (st === "connected") { setStatus("status.connected", null, "connected"); $("keypad").classList.remove("hidden"); }
          if ((st === "failed" || st === "closed") && call) end("status.ended");
        },
      });
    } catch (e) {
      if (e.busy) setStatus("status.busy", null, "busy");
      else setStatus("status.failed", { reason: e.message }, "failed");
      release();
      $("call").disabled = false;
      return;
    }
    $("hangup").disabled = false;
    stopStats = RTC.watchInbound(call.pc, (packets, energy) => {
      const s = $("stats");
      s.dataset.packets = packets; s.dataset.energy = energy;
      s.textContent = "audio in: " + packets + " packets";
    });
  }

  function release() {
    if (mic) { mic.getTracks().forEach(t => t.stop()); mic = null; }
    if (stopStats) { stopStats(); stopStats = null; }
  }

  function end(key) {
    if (call) { const c = call; call = null; c.hangup(); }
    release();
    lastCallerTurn = null;
    $("keypad").classList.add("hidden");
    $("keyed").textContent = "";
    setStatus(key || "status.ended", null, "ended");
    $("call").disabled = false;
    $("hangup").disabled = true;
  }

  $("call").addEventListener("click", start);
  $("hangup").addEventListener("click", () => end("status.ended"));
  window.addEventListener("pagehide", () => { if (call) call.hangup(); });
  setStatus("status.idle", null, "idle");
})();
