// The supervisor's dashboard: when callers get upset (hour of day × channel,
// last 7 days) and which soothing-script variants calm them (A/B results),
// both from the store API, refreshed every minute.
"use strict";
const Dashboard = (() => {
  const $ = id => document.getElementById(id);
  const pct = x => (typeof x === "number" ? Math.round(x * 100) + "%" : "–");

  // localISO writes t as RFC 3339 with this browser's offset, so the server
  // buckets hours in the supervisor's own time zone.
  function localISO(t) {
    const off = -t.getTimezoneOffset(), sign = off >= 0 ? "+" : "-", a = Math.abs(off);
    const p = n => String(n).padStart(2, "0");
    return t.getFullYear() + "-" + p(t.getMonth() + 1) + "-" + p(t.getDate()) + "T" + p(t.getHours()) + ":" +
      p(t.getMinutes()) + ":" + p(t.getSeconds()) + sign + p(Math.floor(a / 60)) + ":" + p(a % 60);
  }

  function range() {
    const to = new Date(), from = new Date(to.getTime() - 7 * 24 * 3600 * 1000);
    return "from=" + encodeURIComponent(localISO(from)) + "&to=" + encodeURIComponent(localISO(to));
  }

  function heatmap(cells) {
    const table = $("heatmap");
    table.innerHTML = "";
    const channels = [...new Set(cells.map(c => c.channel))].sort();
    $("heatmap-empty").classList.toggle("hidden", channels.length > 0);
    if (!channels.length) return;
    const head = document.createElement("tr");
    head.appendChild(document.createElement("th"));
    for (let h = 0; h < 24; h++) { const th = document.createElement("th"); th.textContent = h; head.appendChild(th); }
    table.appendChild(head);
    for (const ch of channels) {
      const tr = document.createElement("tr");
      const th = document.createElement("th"); th.textContent = ch; tr.appendChild(th);
      for (let h = 0; h < 24; h++) {
        const td = document.createElement("td");
        td.className = "heat";
        const c = cells.find(x => x.channel === ch && x.hour === h);
        if (c && c.calls) {
          // Colour by the share of calls that reached moderate or severe anger.
          td.style.backgroundColor = "rgba(214, 58, 58, " + (0.08 + 0.92 * c.moderate_share).toFixed(2) + ")";
          td.textContent = c.calls;
          td.title = I18N.t("dash.cell", { calls: c.calls, share: pct(c.moderate_share), arousal: (c.mean_arousal || 0).toFixed(2) });
          td.dataset.share = c.moderate_share;
        }
        tr.appendChild(td);
      }
      table.appendChild(tr);
    }
  }

  function ab(rows) {
    const body = $("ab");
    body.innerHTML = "";
    $("ab-empty").classList.toggle("hidden", rows.length > 0);
    rows.sort((a, b) => a.line.localeCompare(b.line) || a.variant.localeCompare(b.variant));
    for (const r of rows) {
      const tr = document.createElement("tr");
      for (const v of [r.line, r.variant, r.calls, r.uses, pct(r.measured ? r.emotion_fell : null), pct(r.ended ? r.resolved_no_handoff : null)]) {
        const td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
      }
      body.appendChild(tr);
    }
  }

  async function load() {
    try {
      const [h, a] = await Promise.all([Staff.fetch("/v1/heatmap?" + range()), Staff.fetch("/v1/ab?" + range())]);
      if (h.ok) heatmap((await h.json()).cells || []);
      if (a.ok) ab((await a.json()) || []);
      $("dash-status").textContent = h.ok && a.ok ? "" : I18N.t("dash.unavailable");
    } catch (e) { /* server restarting: next tick */ }
  }

  function start() {
    load();
    setInterval(load, 60000);
  }
  return { start, load };
})();
