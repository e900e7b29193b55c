// Shared WebRTC plumbing for the pages: one RTCPeerConnection, a data channel for
// events, offer/answer over HTTP (WHIP-style, no trickle), hangup by DELETE.
"use strict";
const RTC = (() => {
  async function iceServers() {
    try {
      const r = await fetch("/v1/webrtc/config");
      if (!r.ok) return [];
      const c = await r.json();
      return c.ice_servers || [];
    } catch (e) { return []; }
  }

  function gathered(pc, ms) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise(resolve => {
      const done = () => { if (pc.iceGatheringState === "complete") { pc.removeEventListener("icegatheringstatechange", done); resolve(); } };
      pc.addEventListener("icegatheringstatechange", done);
      setTimeout(resolve, ms);
    });
  }

  // connect opens a call. opts: {url, headers, stream (to send) or null, recvOnly,
  // onTrack(stream), onMessage(obj), onState(state)}. Returns {pc, dc, hangup(), send(obj)}.
  async function connect(opts) {
    const pc = new RTCPeerConnection({ iceServers: await iceServers() });
    if (opts.stream) opts.stream.getAudioTracks().forEach(t => pc.addTrack(t, opts.stream));
    else pc.addTransceiver("audio", { direction: "recvonly" });
    const dc = pc.createDataChannel("events");
    dc.onmessage = ev => { try { opts.onMessage && opts.onMessage(JSON.parse(ev.data)); } catch (e) { /* not JSON: ignore */ } };
    pc.ontrack = ev => opts.onTrack && opts.onTrack(ev.streams[0] || new MediaStream([ev.track]));
    pc.onconnectionstatechange = () => opts.onState && opts.onState(pc.connectionState);
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc, 2000);
    const r = await fetch(opts.url, {
      method: "POST", body: pc.localDescription.sdp,
      headers: Object.assign({ "Content-Type": "application/sdp" }, opts.headers || {}),
    });
    const body = await r.text();
    if (r.status !== 201) {
      pc.close();
      const e = new Error(body.trim() || r.statusText);
      e.status = r.status;
      e.busy = r.status === 503 && /busy/.test(body);
      throw e;
    }
    const location = r.headers.get("Location");
    await pc.setRemoteDescription({ type: "answer", sdp: body });
    let closed = false;
    return {
      pc, dc, location,
      send(obj) { if (dc.readyState === "open") dc.send(JSON.stringify(obj)); },
      async hangup() {
        if (closed) return;
        closed = true;
        try { if (location) await fetch(location, { method: "DELETE" }); } catch (e) { /* server gone */ }
        pc.close();
      },
    };
  }

  // watchInbound reports inbound audio packets and energy every 500 ms.
  function watchInbound(pc, cb) {
    const id = setInterval(async () => {
      if (pc.connectionState === "closed") { clearInterval(id); return; }
      const stats = await pc.getStats();
      stats.forEach(s => {
        if (s.type === "inbound-rtp" && s.kind === "audio") cb(s.packetsReceived || 0, s.totalAudioEnergy || 0);
      });
    }, 500);
    return () => clearInterval(id);
  }

  return { connect, watchInbound };
})();

// Emotion display shared by the pages: levels map to a bar, names are translated.
const Emotion = (() => {
  const levels = ["calm", "mild", "moderate", "severe"];
  // reading accepts an emotion.Reading, a Trajectory ({current: Reading}) or a flat object.
  function reading(d) {
    if (!d) return null;
    const r = d.current || d.reading || d;
    return { category: r.category || "neutral", level: r.level || "calm", arousal: typeof r.arousal === "number" ? r.arousal : null, cues: r.cues || [] };
  }
  function meter(r) {
    const el = document.createElement("div");
    update(el, r);
    return el;
  }
  function update(el, r) {
    const i = Math.max(0, levels.indexOf(r.level));
    el.className = "meter lvl-" + levels[i];
    el.dataset.level = levels[i];
    el.dataset.category = r.category;
    el.dataset.arousal = r.arousal === null ? "" : String(r.arousal);
    el.innerHTML = "";
    const bar = document.createElement("span"); bar.className = "bar";
    const fill = document.createElement("span"); fill.className = "fill"; fill.style.display = "block";
    fill.style.width = (25 * (i + 1)) + "%";
    bar.appendChild(fill);
    const label = document.createElement("span");
    label.textContent = I18N.t("cat." + r.category) + " · " + I18N.t("lvl." + levels[i]) +
      (r.arousal !== null ? " · " + Math.round(r.arousal * 100) + "%" : "");
    el.append(bar, label);
  }
  I18N.onChange(() => document.querySelectorAll(".meter[data-level]").forEach(el => update(el, {
    category: el.dataset.category, level: el.dataset.level,
    arousal: el.dataset.arousal === "" ? null : Number(el.dataset.arousal),
  })));
  return { reading, meter, update, levels };
})();
