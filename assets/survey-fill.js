/* The questionnaire page (src/survey/public.rs): live skip logic and checks
   with QtExpr (survey-expr.js), pages, answers kept on the phone as the
   respondent goes, and a queue that sends responses when the network is back.
   ES5 and XMLHttpRequest only: WeChat's built-in browser and old Android
   WebViews run it. Mirrors src/survey/answers.rs: which items are shown and
   what each answer must satisfy. */
(function () {
  'use strict';

  /* The order a shuffled choice question shows its n choices in for one
     respondent: order[k] is the list index of the k-th choice shown. The
     same as form::choice_order in Rust (FNV-1a over the UTF-16 units of
     seed NUL question, xorshift32, Fisher-Yates) in the 32-bit steps ES5
     has; tests/expr/order.test.mjs holds the two together. */
  function order(seed, question, n) {
    var s = seed + '\u0000' + question, h = 0x811c9dc5, x, k, j, t, out = [];
    for (k = 0; k < s.length; k++) {
      h ^= s.charCodeAt(k);
      /* h * 16777619 mod 2^32 (Math.imul is not ES5) */
      h = (h + (h << 1) + (h << 4) + (h << 7) + (h << 8) + (h << 24)) >>> 0;
    }
    x = h === 0 ? 0x9e3779b9 : h;
    for (k = 0; k < n; k++) out.push(k);
    for (k = n - 1; k > 0; k--) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      x >>>= 0;
      j = x % (k + 1);
      t = out[k]; out[k] = out[j]; out[j] = t;
    }
    return out;
  }
  if (typeof module === 'object' && module.exports) { module.exports = { order: order }; return; }

  var cfgEl = document.getElementById('qt-config');
  var form = document.getElementById('qt-form');
  if (!cfgEl || !form || !window.QtExpr || !window.JSON) return;
  var cfg = JSON.parse(cfgEl.textContent);
  var E = window.QtExpr;
  var own = Object.prototype.hasOwnProperty;
  var DRAFT = 'qt-survey:' + cfg.code;
  var QUEUE = 'qt-survey-queue';
  var statusEl = document.getElementById('qt-status');
  var done = document.getElementById('qt-done');
  var sendBtn = done.querySelector('[data-send]');
  var nodes = {};      /* name -> the element of the item (question or group) */
  var questions = [];  /* the question items in reading order */
  var byName = {};
  var list, i;

  function each(arr, f) { for (var k = 0; k < arr.length; k++) f(arr[k], k); }
  function load(key, dflt) {
    try { var v = window.localStorage.getItem(key); return v ? JSON.parse(v) : dflt; } catch (e) { return dflt; }
  }
  function save(key, v) {
    try { window.localStorage.setItem(key, JSON.stringify(v)); } catch (e) { /* private mode: the page still works */ }
  }
  function drop(key) { try { window.localStorage.removeItem(key); } catch (e) { /* ignore */ } }
  function now() { return Math.floor(new Date().getTime() / 1000); }
  function randomId() {
    var s = '', c = window.crypto || window.msCrypto, b, k;
    if (c && c.getRandomValues) {
      b = new Uint8Array(12); c.getRandomValues(b);
      for (k = 0; k < b.length; k++) s += (b[k] < 16 ? '0' : '') + b[k].toString(16);
      return s;
    }
    for (k = 0; k < 24; k++) s += Math.floor(Math.random() * 16).toString(16);
    return s;
  }
  function trim(s) { return String(s).replace(/^\s+|\s+$/g, ''); }

  list = form.querySelectorAll('[data-item]');
  for (i = 0; i < list.length; i++) nodes[list[i].getAttribute('data-item')] = list[i];
  (function walk(items) {
    each(items, function (it) {
      if (it.t === 'group') walk(it.items);
      else { questions.push(it); byName[it.n] = it; }
    });
  })(cfg.items);

  /* ---- reading and writing the inputs ---- */

  function inputs(name) {
    var out = [], all = form.elements, k;
    for (k = 0; k < all.length; k++) if (all[k].name === name) out.push(all[k]);
    return out;
  }
  function read(name) {
    var els = inputs(name), vals = [];
    each(els, function (el) {
      if (el.type === 'radio' || el.type === 'checkbox') { if (el.checked) vals.push(el.value); }
      else if (el.value) vals.push(el.value);
    });
    return vals.join(' ');
  }
  function write(name, value) {
    var picked = String(value || '').split(' ');
    each(inputs(name), function (el) {
      if (el.type === 'radio' || el.type === 'checkbox') el.checked = picked.indexOf(el.value) >= 0;
      else el.value = value || '';
    });
  }
  function collect() {
    var a = {};
    each(questions, function (q) {
      if (q.t === 'note') return;
      var v = read(q.n);
      if (q.t !== 'text') v = trim(v);
      if (v !== '') a[q.n] = v;
      if (q.other) {
        var o = trim(read(q.n + '_other'));
        if (o !== '') a[q.n + '_other'] = o;
      }
    });
    return a;
  }

  /* ---- skip logic: the same passes as answers::visible ---- */

  function shownAnswers(answers, shown) {
    var a = {};
    for (var k in answers) if (own.call(answers, k) && shown[k]) a[k] = answers[k];
    return a;
  }
  function visible(answers) {
    var shown = {}, count = 0, n, changed, next, ctx;
    function all(items) { each(items, function (it) { shown[it.n] = true; count++; if (it.items) all(it.items); }); }
    all(cfg.items);
    function pass(items, parent) {
      each(items, function (it) {
        var on = parent && (!it.rel || E.holds(it.rel, ctx));
        if (on) next[it.n] = true;
        if (it.items) pass(it.items, on);
      });
    }
    for (n = 0; n <= count; n++) {
      next = {}; ctx = shownAnswers(answers, shown);
      pass(cfg.items, true);
      changed = false;
      for (var k in next) if (!shown[k]) changed = true;
      for (k in shown) if (!next[k]) changed = true;
      if (!changed) break;
      shown = next;
    }
    return shown;
  }

  function offered(q, ctx) {
    var out = {}, choices = cfg.lists[q.list] || [];
    each(choices, function (c) {
      var ok = true;
      if (q.cf) {
        var env = {}, k;
        for (k in ctx) if (own.call(ctx, k)) env[k] = ctx[k];
        for (k in c.x) if (own.call(c.x, k)) env[k] = c.x[k];
        ok = E.holds(q.cf, env);
      }
      if (ok) out[c.n] = true;
    });
    if (q.other) out.other = true;
    return out;
  }

  /* ---- checks: the same rules as answers::check ---- */

  function isDate(s) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
    if (!m) return false;
    var d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
    return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
  }
  function msgFor(q, rule) {
    var o = cfg.own[q.n];
    if (o && o[rule]) return o[rule];
    return cfg.msg[rule] || '';
  }
  function problem(q, v, answers, shown, ctx) {
    var required = q.req === true || (q.req && q.req !== false && E.holds(q.req, ctx));
    if (v === undefined || v === '') return required ? msgFor(q, 'required') : null;
    var n, picked, offer, k;
    switch (q.t) {
      case 'text': if (v.length > 5000) return cfg.msg.too_long; break;
      case 'integer': if (!/^-?\d{1,15}$/.test(v)) return msgFor(q, 'integer'); break;
      case 'decimal': if (!/^-?(\d+(\.\d*)?|\.\d+)$/.test(v) || v.length > 30) return msgFor(q, 'decimal'); break;
      case 'date': if (!isDate(v)) return msgFor(q, 'date'); break;
      case 'range':
        n = /^-?(\d+(\.\d*)?|\.\d+)$/.test(v) ? parseFloat(v) : NaN;
        var lo = Math.min(q.range[0], q.range[1]), hi = Math.max(q.range[0], q.range[1]);
        k = Math.abs(n - q.range[0]) / q.range[2];
        if (!(n >= lo - 1e-9 && n <= hi + 1e-9) || Math.abs(k - Math.round(k)) > 1e-6) return msgFor(q, 'range');
        break;
      case 'select_one': case 'select_multiple':
        offer = offered(q, ctx);
        picked = v.split(/\s+/);
        if (q.t === 'select_one' && picked.length !== 1) return msgFor(q, 'choice');
        for (k = 0; k < picked.length; k++) if (!offer[picked[k]]) return msgFor(q, 'choice');
        break;
    }
    if (q.con) {
      if (!E.holds(q.con, ctx, null, v)) return msgFor(q, 'constraint');
    }
    if (q.other && (' ' + v + ' ').indexOf(' other ') >= 0 && !answers[q.n + '_other']) return msgFor(q, 'other');
    return null;
  }

  /* ---- showing it ---- */

  var current = 0;
  var pages = form.querySelectorAll('section.page');
  var prevBtn = form.querySelector('[data-prev]');
  var nextBtn = form.querySelector('[data-next]');
  var submitBtn = form.querySelector('[data-submit]');
  var progress = form.querySelector('[data-progress]');
  var touched = {};

  function setError(name, text) {
    var el = nodes[name];
    if (!el) return;
    var box = el.querySelector('[data-error]');
    /* Rule messages are written to follow a question's name; shown under it, they start a sentence. */
    if (text) text = text.charAt(0).toUpperCase() + text.slice(1);
    if (box) { box.textContent = text || ''; box.hidden = !text; }
    el.className = el.className.replace(/ ?has-error/g, '') + (text ? ' has-error' : '');
  }
  function pageShown(p) {
    var items = pages[p].querySelectorAll('[data-item]');
    for (var k = 0; k < items.length; k++) if (!items[k].hidden) return true;
    return false;
  }
  function step(from, dir) {
    for (var p = from + dir; p >= 0 && p < pages.length; p += dir) if (pageShown(p)) return p;
    return -1;
  }
  function showPage() {
    each(pages, function (p, k) { p.hidden = pages.length > 1 && k !== current; });
    if (pages.length < 2) return;
    var next = step(current, 1), prev = step(current, -1);
    prevBtn.hidden = prev < 0;
    nextBtn.hidden = next < 0;
    submitBtn.hidden = next >= 0;
    var total = 0, n = 0;
    for (var k = 0; k < pages.length; k++) if (pageShown(k)) { total++; if (k <= current) n++; }
    progress.textContent = cfg.msg.page.replace('{n}', n).replace('{total}', total);
    progress.hidden = false;
  }

  /* Applies skip logic and choice filters; checks what the respondent touched. */
  function refresh(checkAll) {
    var answers = collect(), shown = visible(answers), ctx = shownAnswers(answers, shown);
    var bad = [];
    for (var name in nodes) if (own.call(nodes, name)) nodes[name].hidden = !shown[name];
    each(questions, function (q) {
      if (!shown[q.n] || q.t === 'note') { setError(q.n, null); return; }
      var el = nodes[q.n];
      if (q.list) {
        var offer = offered(q, ctx), opts = el.querySelectorAll('[data-choice]');
        each(opts, function (o) {
          var ok = !!offer[o.getAttribute('data-choice')];
          o.hidden = !ok;
          if (o.tagName === 'OPTION') o.disabled = !ok;
        });
      }
      if (q.other) {
        var other = inputs(q.n + '_other')[0];
        if (other) other.hidden = (' ' + (answers[q.n] || '') + ' ').indexOf(' other ') < 0;
      }
      if (typeof q.req !== 'boolean') {
        var star = el.querySelector('[data-req]');
        if (star) star.hidden = !(q.req && E.holds(q.req, ctx));
      }
      var p = problem(q, answers[q.n], answers, shown, ctx);
      if (p) bad.push(q.n);
      setError(q.n, (checkAll === true || (checkAll && checkAll[q.n]) || touched[q.n]) ? p : null);
    });
    showPage();
    return { answers: answers, shown: shown, bad: bad };
  }

  /* ---- shuffled choices: this respondent's order ---- */

  /* The server drew shuffled choices in the order of the page's instance id
     (src/survey/public.rs); a draft keeps that id as its seed (its own
     instance id stays random, so no two responses can share one), and a
     reload, which brings a new id, is put back in the draft's order.
     "Other" stays last: only the list's choices move, before it. */
  var SEED = form.elements._instance ? form.elements._instance.value : '';
  function arrange(seed) {
    if (!seed || seed === SEED) return;
    each(questions, function (q) {
      var el = nodes[q.n], choices = cfg.lists[q.list] || [], byChoice = {}, last = null;
      if (!q.shuffle || !el) return;
      each(el.querySelectorAll('[data-choice]'), function (o) {
        var c = o.getAttribute('data-choice');
        if (q.other && c === 'other') return;
        byChoice[c] = o; last = o;
      });
      if (!last) return;
      var parent = last.parentNode, anchor = last.nextSibling;
      if (anchor && anchor.nodeType === 3) anchor = anchor.nextSibling;
      each(order(seed, q.n, choices.length), function (k) {
        var o = byChoice[choices[k].n];
        if (!o) return;
        var gap = o.nextSibling && o.nextSibling.nodeType === 3 ? o.nextSibling : null;
        parent.insertBefore(o, anchor);
        if (gap) parent.insertBefore(gap, anchor);
      });
    });
  }

  /* ---- the draft on the phone ---- */

  var draft = load(DRAFT, null);
  if (!draft || draft.sent) draft = { instance: randomId(), seed: SEED, started: now(), answers: {}, page: 0 };
  if (!draft.seed) draft.seed = SEED;
  draft.version = cfg.version;
  var device = load('qt-device', null) || cfg.device || randomId();
  save('qt-device', device);
  for (var key in draft.answers) if (own.call(draft.answers, key)) write(key, draft.answers[key]);
  current = draft.page < pages.length ? draft.page : 0;

  function keep() {
    if (cfg.preview) return;
    var a = {};
    each(questions, function (q) {
      if (q.t === 'note') return;
      a[q.n] = read(q.n);
      if (q.other) a[q.n + '_other'] = read(q.n + '_other');
    });
    draft.answers = a; draft.page = current;
    save(DRAFT, draft);
  }

  function onChange(ev) {
    var t = ev.target;
    if (t && t.name) touched[t.name.replace(/_other$/, '')] = true;
    refresh(false);
    keep();
  }
  form.addEventListener('change', onChange);
  form.addEventListener('input', onChange);

  function pageNames(p) {
    var names = {}, items = pages[p].querySelectorAll('[data-item]');
    each(items, function (el) { names[el.getAttribute('data-item')] = true; });
    return names;
  }
  function firstError(names) {
    for (var k = 0; k < questions.length; k++) {
      var el = nodes[questions[k].n];
      if (names[questions[k].n] && el && !el.hidden && el.className.indexOf('has-error') >= 0) return el;
    }
    return null;
  }
  function go(to) {
    current = to; showPage(); keep();
    window.scrollTo(0, 0);
  }
  nextBtn.addEventListener('click', function () {
    var names = pageNames(current);
    refresh(names);
    var el = firstError(names);
    if (el) { el.scrollIntoView(); return; }
    var n = step(current, 1);
    if (n >= 0) go(n);
  });
  prevBtn.addEventListener('click', function () {
    var p = step(current, -1);
    if (p >= 0) go(p);
  });

  /* ---- sending, and the queue for when there is no network ---- */

  function say(text, kind) {
    statusEl.textContent = text;
    statusEl.className = 'alert' + (kind ? ' ' + kind : '');
    statusEl.hidden = !text;
  }
  function finish(title, text, queued) {
    form.hidden = true;
    say('', null);
    done.hidden = false;
    done.querySelector('[data-done-text]').textContent = text;
    if (title) done.querySelector('[data-done-title]').textContent = title;
    sendBtn.hidden = !queued;
    var again = done.querySelector('[data-again]');
    if (again) again.hidden = !!queued;
    window.scrollTo(0, 0);
  }
  function queue() { return load(QUEUE, []); }
  function unqueue(id) {
    var q = queue(), out = [];
    each(q, function (x) { if (x.body.instance_id !== id) out.push(x); });
    save(QUEUE, out);
  }
  var retryTimer = null, delay = 15000, sending = false;
  function later() {
    if (retryTimer) return;
    retryTimer = window.setTimeout(function () { retryTimer = null; flush(); }, delay);
    delay = Math.min(delay * 2, 300000);
  }
  /* Server answers to one of this page's responses, shown to the respondent. */
  function answered(item, status, body) {
    var mine = item.code === cfg.code && item.body.instance_id === draft.instance;
    if (status === 200 || status === 201) {
      unqueue(item.body.instance_id);
      if (mine) { drop(DRAFT); finish(null, cfg.msg.sent, false); }
      return;
    }
    /* Refused for good (invalid, closed, full): off the queue, back to the form. */
    unqueue(item.body.instance_id);
    if (!mine) return;
    var err = body && body.error;
    if (status === 422 && err && err.fields) {
      form.hidden = false; done.hidden = true;
      each(err.fields, function (f) { setError(f.field, f.message); });
      say(err.message || cfg.msg.invalid, 'error');
      return;
    }
    if (err && cfg.msg[err.code]) {
      drop(DRAFT);
      finish(' ', cfg.msg[err.code], false);
      var again = done.querySelector('[data-again]');
      if (again) again.hidden = true;
      return;
    }
    form.hidden = false; done.hidden = true;
    say((err && err.message) || cfg.msg.network, 'error');
  }
  function post(item, cb) {
    var xhr = new XMLHttpRequest();
    xhr.open('POST', item.url, true);
    xhr.setRequestHeader('Content-Type', 'application/json');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.timeout = 30000;
    xhr.onreadystatechange = function () {
      if (xhr.readyState !== 4) return;
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      cb(xhr.status, body);
    };
    xhr.ontimeout = function () { /* readyState 4 with status 0 follows */ };
    xhr.send(JSON.stringify(item.body));
  }
  /* Sends every queued response, oldest first; network failures (status 0)
     and server errors stay queued for the next try. */
  function flush() {
    if (sending) return;
    var q = queue();
    if (!q.length) return;
    sending = true;
    var k = 0;
    (function next() {
      if (k >= q.length) { sending = false; if (queue().length) later(); return; }
      var item = q[k++];
      post(item, function (status, body) {
        if (status === 0 || status >= 500 || status === 408 || status === 429) {
          if (item.code === cfg.code && item.body.instance_id === draft.instance) finish(null, cfg.msg.retry, true);
          sending = false; later(); return;
        }
        answered(item, status, body);
        next();
      });
    })();
  }
  window.addEventListener('online', function () { delay = 15000; flush(); });
  sendBtn.addEventListener('click', function () { delay = 15000; flush(); });

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var r = refresh(true);
    if (r.bad.length) {
      say(cfg.msg.invalid, 'error');
      for (var p = 0; p < pages.length; p++) {
        var el = firstError(pageNames(p));
        if (el) { if (p !== current) go(p); el.scrollIntoView(); break; }
      }
      return;
    }
    if (cfg.preview) { say(cfg.msg.preview, 'ok'); return; }
    var answers = {};
    for (var k in r.answers) {
      if (!own.call(r.answers, k)) continue;
      var base = k.replace(/_other$/, '');
      if (r.shown[k] || (base !== k && r.shown[base])) answers[k] = r.answers[k];
    }
    var item = {
      code: cfg.code, url: cfg.submit,
      body: {
        instance_id: draft.instance, version_id: cfg.version, answers: answers, lang: cfg.lang,
        device_id: device, started_at: draft.started, ended_at: now(), group: cfg.g, region: cfg.r
      }
    };
    var q = queue(), seen = false;
    each(q, function (x) { if (x.body.instance_id === item.body.instance_id) seen = true; });
    if (!seen) q.push(item);
    save(QUEUE, q);
    draft.queued = true; save(DRAFT, draft);
    finish(null, cfg.msg.saved, true);
    done.querySelector('[data-done-text]').textContent = cfg.msg.sending;
    delay = 15000;
    flush();
  });

  /* A response queued before a reload: say so and try to send it. */
  var pending = false;
  each(queue(), function (x) { if (x.code === cfg.code && x.body.instance_id === draft.instance) pending = true; });
  if (draft.queued && !pending) {
    /* Sent by another tab or an earlier visit: start afresh. */
    drop(DRAFT);
    draft = { instance: randomId(), seed: SEED, started: now(), answers: {}, page: 0, version: cfg.version };
  }
  arrange(draft.seed);
  if (pending) finish(null, cfg.msg.saved, true);
  refresh(false);
  flush();
  if (!cfg.preview && !draft.queued) save(DRAFT, draft);
})();
