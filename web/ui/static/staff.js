// Staff sign-in for the agent and supervisor consoles. The server says whether
// sign-in is on (config: staff) and who is signed in; the session itself is an
// HttpOnly cookie this script never sees, so every fetch and the event stream
// carry it without token handling here.
//
// A server with an API token and no console accounts guards the consoles with the
// token instead: the page asks for it once, keeps it for the tab
// (sessionStorage), and sends it with every request through Staff.fetch and
// Staff.headers. The event stream (Staff.events) never puts the token in its URL:
// EventSource cannot send headers, so the page trades the token for a ticket that
// opens only the stream, for a minute, and takes a new one when the stream drops.
"use strict";
const Staff = (() => {
  let apiToken = sessionStorage.getItem("calmline.token") || "";

  async function me() {
    try {
      const r = await fetch("/v1/staff/me", { headers: { "Accept": "application/json" } });
      const b = await r.json();
      return { auth: !!b.auth, token: !!b.token, name: r.ok ? b.name || "" : "", role: r.ok ? b.role || "" : "" };
    } catch (e) { return { auth: false, token: false, name: "", role: "" }; }
  }

  function headers(h) {
    const out = Object.assign({}, h || {});
    if (apiToken) out["Authorization"] = "Bearer " + apiToken;
    return out;
  }
  // events keeps an EventSource on path open: setup(es) attaches the handlers to
  // each new one, onState("open" | "closed") tells the page whether live updates
  // flow. The browser reconnects a dropped stream by itself; a stream it gave up
  // on (a refused or expired ticket, a restarted server) is reopened here with a
  // fresh ticket, waiting longer after each failure (2 s to 60 s).
  function events(path, setup, onState) {
    let wait = 2000;
    const state = s => { if (onState) onState(s); };
    async function open() {
      let u = path;
      if (apiToken) {
        try {
          const r = await apiFetch("/v1/events/ticket", { method: "POST", headers: { "Accept": "application/json" } });
          if (!r.ok) throw new Error("ticket: HTTP " + r.status);
          u += (u.includes("?") ? "&" : "?") + "ticket=" + encodeURIComponent((await r.json()).ticket);
        } catch (e) { state("closed"); retry(); return; }
      }
      const es = new EventSource(u);
      es.addEventListener("open", () => { wait = 2000; state("open"); });
      es.addEventListener("error", () => {
        if (es.readyState === EventSource.CLOSED) { state("closed"); retry(); }
      });
      setup(es);
    }
    function retry() { setTimeout(open, wait); wait = Math.min(wait * 2, 60000); }
    open();
  }
  function apiFetch(u, opts) {
    const o = Object.assign({}, opts || {});
    o.headers = headers(o.headers);
    return fetch(u, o);
  }

  // tokenCard asks for the API token and resolves once the server accepts it.
  function tokenCard() {
    const box = document.createElement("section");
    box.id = "token"; box.className = "card";
    box.innerHTML = '<h2 data-i18n="staff.tokentitle"></h2><p data-i18n="staff.tokenwhy"></p><form id="token-form" class="row">' +
      '<label for="token-value" data-i18n="staff.token"></label><input id="token-value" type="password" autocomplete="off" maxlength="500">' +
      '<button class="primary" data-i18n="staff.signin"></button></form><div id="token-status" class="status"></div>';
    document.querySelector("main").prepend(box);
    I18N.apply();
    document.getElementById("token-value").focus();
    return new Promise(resolve => {
      document.getElementById("token-form").addEventListener("submit", async ev => {
        ev.preventDefault();
        const st = document.getElementById("token-status");
        const tok = document.getElementById("token-value").value.trim();
        try {
          if (!(await opens(tok))) throw new Error(I18N.t("staff.tokenwrong"));
          apiToken = tok;
          sessionStorage.setItem("calmline.token", tok);
          document.getElementById("token-value").value = "";
          box.classList.add("hidden");
          resolve();
        } catch (e) { st.textContent = e.message; st.classList.add("error"); }
      });
    });
  }

  // opens asks the server whether tok opens the API.
  async function opens(tok) {
    const r = await fetch("/v1/calls/live", { headers: { "Authorization": "Bearer " + tok, "Accept": "application/json" } });
    return r.status !== 401;
  }

  // tokenOK checks a kept token still opens the API.
  async function tokenOK() {
    if (!apiToken) return false;
    try { return await opens(apiToken); } catch (e) { return true; } // server restarting: keep the token
  }

  async function login(name, password) {
    const r = await fetch("/v1/staff/login", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name, password }),
    });
    const b = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(b.error || I18N.t("staff.failed"));
    return { auth: true, name: b.name, role: b.role };
  }

  // card builds the sign-in form at the top of the page's <main>.
  function card() {
    const box = document.createElement("section");
    box.id = "signin"; box.className = "card";
    box.innerHTML = '<h2 data-i18n="staff.title"></h2><form id="signin-form" class="row">' +
      '<label for="signin-name" data-i18n="staff.name"></label><input id="signin-name" autocomplete="username" maxlength="64">' +
      '<label for="signin-pass" data-i18n="staff.password"></label><input id="signin-pass" type="password" autocomplete="current-password" maxlength="200">' +
      '<button class="primary" data-i18n="staff.signin"></button></form><div id="signin-status" class="status"></div>';
    document.querySelector("main").prepend(box);
    I18N.apply();
    return box;
  }

  // gate resolves with who uses the page: at once when sign-in is off or this
  // browser is signed in, otherwise once the person signs in on the card.
  async function gate() {
    const id = await me();
    if (!id.auth && id.token) {
      if (!(await tokenOK())) { apiToken = ""; await tokenCard(); }
      return id;
    }
    if (!id.auth || id.name) return id;
    const box = card();
    document.getElementById("signin-name").focus();
    return new Promise(resolve => {
      document.getElementById("signin-form").addEventListener("submit", async ev => {
        ev.preventDefault();
        const st = document.getElementById("signin-status");
        try {
          const who = await login(document.getElementById("signin-name").value.trim(), document.getElementById("signin-pass").value);
          document.getElementById("signin-pass").value = "";
          box.classList.add("hidden");
          resolve(who);
        } catch (e) { st.textContent = e.message; st.classList.add("error"); }
      });
    });
  }

  return { me, login, gate, fetch: apiFetch, headers, events };
})();
