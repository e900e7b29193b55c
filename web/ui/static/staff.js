// Staff sign-in for the agent and supervisor consoles. The server says whether
// sign-in is on (config: staff) and who is signed in; the session itself is an
// HttpOnly cookie this script never sees, so every fetch and the event stream
// carry it without token handling here.
"use strict";
const Staff = (() => {
  async function me() {
    try {
      const r = await fetch("/v1/staff/me", { headers: { "Accept": "application/json" } });
      const b = await r.json();
      return { auth: !!b.auth, name: r.ok ? b.name || "" : "", role: r.ok ? b.role || "" : "" };
    } catch (e) { return { auth: false, name: "", role: "" }; }
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

  return { me, login, gate };
})();
