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
})();
