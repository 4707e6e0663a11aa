// Qingting's only script: progressive enhancement, every page works without it.
(function () {
  "use strict";
  // Org tree: load a node's children when it is first opened.
  document.addEventListener("toggle", function (ev) {
    var d = ev.target;
    if (!(d instanceof HTMLDetailsElement) || !d.open || d.dataset.loaded) return;
    var url = d.dataset.children;
    if (!url) return;
    d.dataset.loaded = "1";
    var box = d.querySelector(".children");
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { box.innerHTML = html; })
      .catch(function () { d.dataset.loaded = ""; box.textContent = box.dataset.error || "!"; });
  }, true);

  // Upload forms: show a progress bar while the file is sent and processed.
  document.querySelectorAll("form[data-progress]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      var bar = form.querySelector("progress");
      var note = form.querySelector(".progress-note");
      if (!bar || !window.XMLHttpRequest) return;
      ev.preventDefault();
      bar.hidden = false;
      var xhr = new XMLHttpRequest();
      xhr.open(form.method || "POST", form.action);
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 90);
      };
      xhr.upload.onload = function () {
        bar.removeAttribute("value");
        if (note) note.hidden = false;
      };
      xhr.onload = function () {
        document.open();
        document.write(xhr.responseText);
        document.close();
        if (xhr.responseURL) history.replaceState(null, "", xhr.responseURL);
      };
      xhr.onerror = function () { bar.hidden = true; alert(form.dataset.progress); };
      xhr.send(new FormData(form));
    });
  });

  // Confirm dangerous actions.
  document.addEventListener("submit", function (ev) {
    var msg = ev.target.dataset && ev.target.dataset.confirm;
    if (msg && !window.confirm(msg)) ev.preventDefault();
  }, true);

  // Record forms (data-draft): every keystroke is kept on the phone, a reload
  // or a dropped network resumes the draft, and the form's client id travels
  // with it, so a retried save finds the first record instead of making a second.
  document.querySelectorAll("form[data-draft]").forEach(function (form) {
    var key = "qt-draft:" + form.dataset.draft;
    var note = document.querySelector(".draft-note");
    function store() {
      var data = {};
      new FormData(form).forEach(function (v, k) { (data[k] = data[k] || []).push(String(v)); });
      try { localStorage.setItem(key, JSON.stringify(data)); } catch (e) { /* private mode */ }
    }
    function show(text, bad) {
      if (!note) return;
      note.textContent = text;
      note.className = "draft-note alert " + (bad ? "error" : "ok");
      note.hidden = false;
    }
    var draft = null;
    try { draft = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { draft = null; }
    if (draft && form.dataset.fresh) {
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || !(el.name in draft)) {
          if (el.type === "checkbox" && el.name) el.checked = false;
          return;
        }
        var vals = draft[el.name];
        if (el.type === "checkbox" || el.type === "radio") el.checked = vals.indexOf(el.value) >= 0;
        else el.value = vals[0];
      });
      show(note && note.dataset.restored);
    }
    form.addEventListener("input", store);
    form.addEventListener("change", store);
    form.addEventListener("submit", function (ev) {
      store();
      if (!window.fetch || !window.URLSearchParams) return;
      ev.preventDefault();
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      fetch(form.action, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(new FormData(form)).toString()
      }).then(function (r) {
        return r.text().then(function (html) {
          document.open(); document.write(html); document.close();
          if (r.url) history.replaceState(null, "", r.url);
        });
      }).catch(function () {
        if (button) button.disabled = false;
        show(note && note.dataset.offline, true);
        window.scrollTo(0, 0);
      });
    });
  });

  // The page that confirms a save clears that record's draft.
  var saved = document.querySelector("[data-saved]");
  if (saved) {
    Object.keys(localStorage).forEach(function (k) {
      if (k.indexOf("qt-draft:") !== 0) return;
      try {
        var d = JSON.parse(localStorage.getItem(k) || "{}");
        if (d.client_id && d.client_id[0] === saved.dataset.saved) localStorage.removeItem(k);
      } catch (e) { localStorage.removeItem(k); }
    });
  }

  // The unread badge on the bell (the page works without it). It counts
  // groups (one kind on one day), as the notification page lists them, and is
  // created only when there is something unread: `.badge` sets a display, so
  // an empty element kept with `hidden` would still be drawn as an empty pill.
  var bell = document.querySelector("[data-unread]");
  if (bell && window.fetch) {
    fetch("/api/v1/notifications/unread", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        var n = d ? (d.groups || d.unread || 0) : 0;
        if (n > 0) {
          var badge = document.createElement("span");
          badge.className = "badge off";
          badge.textContent = n > 99 ? "99+" : String(n);
          bell.appendChild(badge);
        }
      })
      .catch(function () { /* offline: no badge */ });
  }
  // A validity recomputation running: follow its progress, reload when done.
  var rc = document.querySelector("[data-recompute]");
  if (rc && window.fetch) {
    var rcBar = rc.querySelector("progress"), rcText = rc.querySelector("[data-recompute-text]");
    var poll = function () {
      setTimeout(function () {
        fetch(rc.dataset.recompute, { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (d) {
            if (!d) return;
            if (!d.recompute) { location.reload(); return; }
            var p = d.recompute;
            rcBar.value = p.total > 0 ? Math.min(100, Math.floor(p.done * 100 / p.total)) : 100;
            if (rcText) rcText.textContent = p.done.toLocaleString() + " / " + p.total.toLocaleString();
            poll();
          })
          .catch(poll);
      }, 1000);
    };
    poll();
  }
  // A backup running (the backups page): follow its progress, reload when done.
  var bk = document.querySelector("[data-backup]");
  if (bk && window.fetch) {
    var bkBar = bk.querySelector("progress");
    var bkPoll = function () {
      setTimeout(function () {
        fetch(bk.dataset.backup, { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (d) {
            if (!d) return;
            if (!d.running) { location.reload(); return; }
            var p = d.running;
            bkBar.value = p.total > 0 ? Math.min(100, Math.floor(p.done * 100 / p.total)) : 0;
            bkPoll();
          })
          .catch(bkPoll);
      }, 1000);
    };
    bkPoll();
  }
  // The record form: the symposium block opens when the kind is a symposium.
  var kind = document.querySelector("form[data-draft] select[name=kind]");
  if (kind) {
    kind.addEventListener("change", function () {
      var block = document.querySelector("details[data-kind=symposium]");
      if (block) block.open = kind.value === "symposium";
    });
  }
})();

// A filter menu marked data-autosubmit applies on change (the CSP forbids
// inline handlers; without JavaScript its form's button does the same).
document.addEventListener("change", (e) => {
  const t = e.target;
  if (t instanceof HTMLSelectElement && t.hasAttribute("data-autosubmit") && t.form) t.form.submit();
});
