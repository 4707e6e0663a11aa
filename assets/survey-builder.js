/* The questionnaire builder (/surveys/{id}/build): edits the form in the JSON
   shape of PUT /api/v1/surveys/{id}/form (docs/surveys.md, "The form as JSON")
   and saves it through that API with the session, so the server parses,
   validates and versions it exactly as it does a script's form. Expressions
   are checked while typed by the server's parser (POST
   /api/v1/surveys/expression); unsaved work is kept in localStorage. */
(function () {
  'use strict';
  var cfgEl = document.getElementById('qt-builder-config');
  var root = document.getElementById('qb-items');
  if (!cfgEl || !root || !window.fetch || !window.JSON) return;
  var cfg = JSON.parse(cfgEl.textContent);
  var msg = cfg.msg;
  var KEY = 'qt-builder:' + cfg.survey;
  var statusEl = document.getElementById('qb-status');
  var dirtyEl = document.getElementById('qb-dirty');
  var saveBtn = document.getElementById('qb-save');
  var frame = document.getElementById('qb-preview');
  var frameEmpty = document.getElementById('qb-preview-empty');

  var serverForm = clean(cfg.form);
  var form = copy(serverForm);
  var version = cfg.version;
  var dirty = false;
  var seq = 0;
  var open = {};          // item key → its editor is open
  var serverErrors = {};  // item key → messages of the last refused save
  var checks = {};        // expression text → the server's answer
  var pending = {};       // expression text → callbacks waiting for it

  // ---- small helpers ----

  function copy(v) { return JSON.parse(JSON.stringify(v)); }
  function fmt(s, args) {
    return s.replace(/\{(\w+)\}/g, function (m, k) { return args[k] !== undefined ? args[k] : m; });
  }
  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, k) || attrs[k] === undefined || attrs[k] === null) continue;
        if (k === 'text') e.textContent = attrs[k];
        else if (k === 'class') e.className = attrs[k];
        else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), attrs[k]);
        else if (attrs[k] === true) e.setAttribute(k, '');
        else if (attrs[k] !== false) e.setAttribute(k, attrs[k]);
      }
    }
    (kids || []).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  }
  function uid() { seq += 1; return 'i' + seq; }

  /* Every item gets a key the page uses to find it again (never saved). */
  function keyed(items) {
    items.forEach(function (it) {
      if (!it._k) it._k = uid();
      if (it.item === 'group') keyed(it.items || (it.items = []));
    });
  }
  /* The form as the server reads it: no page keys. */
  function clean(f) {
    var out = copy(f);
    (function strip(items) {
      items.forEach(function (it) { delete it._k; if (it.items) strip(it.items); });
    })(out.items || (out.items = []));
    out.choice_lists = out.choice_lists || [];
    return out;
  }

  // ---- languages: Chinese first, English optional ----

  function langKey(code, fallback) {
    var found = (form.languages || []).filter(function (l) {
      var m = /\(([^)]*)\)\s*$/.exec(l);
      return m && m[1].trim().toLowerCase().split('-')[0] === code;
    });
    return found[0] || fallback;
  }
  var ZH = langKey('zh', '中文 (zh)'), EN = langKey('en', 'English (en)');
  function text(labels, which) {
    labels = labels || {};
    return which === 'en' ? (labels[EN] || '') : (labels[ZH] || labels[''] || '');
  }
  /* A Chinese text without a language ("") moves under the Chinese key when
     edited, so a form with English texts offers the respondent the switch. */
  function setText(obj, prop, which, value) {
    var labels = obj[prop] = obj[prop] || {};
    var k = which === 'en' ? EN : ZH;
    if (which !== 'en') delete labels[''];
    if (value) labels[k] = value; else delete labels[k];
  }

  // ---- the tree ----

  function walk(items, fn, parent) {
    items.forEach(function (it, i) {
      fn(it, parent, i);
      if (it.item === 'group') walk(it.items, fn, it);
    });
  }
  function find(k) {
    var hit = null;
    walk(form.items, function (it, parent) { if (it._k === k) hit = { it: it, parent: parent }; });
    return hit;
  }
  function siblings(parent) { return parent ? parent.items : form.items; }
  function isMatrix(it) { return it && it.item === 'group' && (it.appearance || []).indexOf('table-list') >= 0; }
  function isPage(it) { return it && it.item === 'group' && (it.appearance || []).indexOf('field-list') >= 0; }
  function isSelect(q) { return q.kind && (q.kind.type === 'select_one' || q.kind.type === 'select_multiple'); }
  function names() {
    var all = {};
    walk(form.items, function (it) { all[it.name] = (all[it.name] || 0) + 1; });
    return all;
  }
  function questionNames() {
    var all = {};
    walk(form.items, function (it) { if (it.item !== 'group') all[it.name] = true; });
    return all;
  }
  /* `also`: items not in the form yet (the rows of a new matrix). */
  function freshName(prefix, also) {
    var used = names(), n = 1;
    (also || []).forEach(function (it) { used[it.name] = 1; });
    while (used[prefix + n]) n += 1;
    return prefix + n;
  }
  function list(name) {
    for (var i = 0; i < form.choice_lists.length; i++) if (form.choice_lists[i].name === name) return form.choice_lists[i];
    return null;
  }
  function freshList(prefix, count) {
    var n = 1;
    while (list(prefix + n)) n += 1;
    var l = { name: prefix + n, choices: [] };
    for (var i = 1; i <= count; i++) l.choices.push({ name: String(i), label: {}, extra: {} });
    form.choice_lists.push(l);
    return l;
  }
  function listUsers(name) {
    var n = 0;
    walk(form.items, function (it) { if (it.item !== 'group' && isSelect(it) && it.choices === name) n += 1; });
    return n;
  }

  /* Rust's is_valid_name: a letter or _ first, then letters, digits, _ - . */
  var NAME;
  try { NAME = new RegExp('^[\\p{Alphabetic}_][\\p{Alphabetic}\\p{N}_.\\-]*$', 'u'); } catch (e) { NAME = /^[A-Za-z_\u00c0-\uffff][\w.\-\u00c0-\uffff]*$/; }
  function nameProblem(it) {
    if (!NAME.test(it.name || '')) return msg['name-invalid'];
    if (names()[it.name] > 1) return msg['name-duplicate'];
    return '';
  }

  function newQuestion(kind) {
    var q = { item: 'question', name: '', kind: { type: kind }, label: {}, hint: {}, required: false,
      required_message: {}, relevant: '', constraint: '', constraint_message: {}, appearance: [],
      choices: null, choice_filter: '', other: false, shuffle: false, _k: uid() };
    if (kind === 'rating') { q.kind = { type: 'range', start: 1, end: 5, step: 1 }; q.appearance = ['rating']; }
    if (kind === 'range') q.kind = { type: 'range', start: 1, end: 10, step: 1 };
    if (kind === 'select_one' || kind === 'select_multiple') q.choices = freshList('list', 2).name;
    q.name = freshName(kind === 'note' ? 'note' : 'q');
    return q;
  }
  function newGroup(kind) {
    var g = { item: 'group', name: freshName(kind === 'page' ? 'page' : kind === 'matrix' ? 'matrix' : 'section'),
      label: {}, relevant: '', appearance: [], items: [], _k: uid() };
    if (kind === 'page') g.appearance = ['field-list'];
    if (kind === 'matrix') {
      g.appearance = ['table-list'];
      var scale = freshList('scale', 5).name;
      for (var i = 0; i < 2; i++) {
        var row = newQuestion('select_one');
        form.choice_lists.pop(); // the row uses the matrix's scale, not a list of its own
        row.choices = scale;
        row.name = freshName('q', g.items);
        g.items.push(row);
      }
    }
    return g;
  }
  function add(kind, parent) {
    var it = /^(section|page|matrix)$/.test(kind) ? newGroup(kind) : newQuestion(kind);
    siblings(parent).push(it);
    // One question open at a time keeps a long form short on a phone.
    open = {};
    for (var p = parent; p; p = (find(p._k) || {}).parent) open[p._k] = true;
    open[it._k] = true;
    changed(true);
    var node = document.querySelector('[data-k="' + it._k + '"] input');
    if (node) node.focus();
  }
  function matrixList(g) {
    var q = g.items.filter(function (r) { return r.item !== 'group'; })[0];
    return q ? q.choices : null;
  }

  /* Up and down move among siblings; a question reaching a section's edge
     steps out of it, and one meeting a section (not a matrix, whose rows
     are its own kind) steps into it. */
  function move(k, dir) {
    var hit = find(k);
    if (!hit) return;
    var it = hit.it, sib = siblings(hit.parent), i = sib.indexOf(it), j = i + dir;
    var next = sib[j];
    sib.splice(i, 1);
    if (next && next.item === 'group' && it.item !== 'group' && !isMatrix(next) && !isMatrix(hit.parent)) {
      if (dir < 0) next.items.push(it); else next.items.unshift(it);
    } else if (!next && hit.parent && !isMatrix(hit.parent)) {
      var outer = find(hit.parent._k), osib = siblings(outer.parent), gi = osib.indexOf(hit.parent);
      osib.splice(dir < 0 ? gi : gi + 1, 0, it);
    } else if (!next) {
      sib.splice(i, 0, it);
      return;
    } else {
      sib.splice(j, 0, it);
    }
    changed(true);
    var node = document.querySelector('[data-k="' + k + '"]');
    if (node) node.scrollIntoView({ block: 'nearest' });
  }
  function remove(k) {
    var hit = find(k);
    if (!hit || !window.confirm(fmt(msg['remove-confirm'], { name: hit.it.name }))) return;
    var sib = siblings(hit.parent);
    sib.splice(sib.indexOf(hit.it), 1);
    changed(true);
  }

  // ---- unsaved work ----

  function keep() {
    try {
      localStorage.setItem(KEY, JSON.stringify({ version: version, form: clean(form) }));
    } catch (e) { /* private mode or full: the warning on leaving still protects */ }
  }
  /* The bar at the bottom says whether the page holds unsaved work, or that
     the last save went through, wherever the user has scrolled to. */
  function markDirty(d, justSaved) {
    dirty = d;
    dirtyEl.textContent = d ? msg.unsaved : msg['saved-short'];
    dirtyEl.classList.toggle('saved', !d);
    dirtyEl.hidden = !d && !justSaved;
  }
  function changed(structure) {
    markDirty(JSON.stringify(clean(form)) !== JSON.stringify(serverForm));
    if (dirty) keep(); else localStorage.removeItem(KEY);
    if (structure) render(); else refreshSummaries();
  }
  window.addEventListener('beforeunload', function (ev) {
    if (!dirty) return undefined;
    ev.preventDefault();
    ev.returnValue = '';
    return '';
  });

  function say(html, kind, extra) {
    statusEl.className = 'alert ' + (kind || '');
    statusEl.textContent = '';
    statusEl.appendChild(document.createTextNode(html));
    if (extra) statusEl.appendChild(extra);
    statusEl.hidden = false;
  }

  // ---- expressions: the server's parser, as typed ----

  function check(textValue, done) {
    var t = textValue.trim();
    if (!t) { done({ ok: true, references: [] }); return; }
    if (checks[t]) { done(checks[t]); return; }
    if (pending[t]) { pending[t].push(done); return; }
    pending[t] = [done];
    fetch(cfg.check, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
      body: JSON.stringify({ expr: t })
    }).then(function (r) { return r.ok ? r.json() : null; })
      .catch(function () { return null; })
      .then(function (res) {
        if (res) checks[t] = res;
        var waiting = pending[t] || [];
        delete pending[t];
        // Without an answer (offline) nothing is claimed; the save will tell.
        waiting.forEach(function (f) { f(res || { ok: true, references: [], unknown: true }); });
      });
  }
  /* The message for one expression field: the parse error, else the first
     name it reads that is not a question of the form. */
  function exprProblem(res) {
    if (!res.ok) return res.message;
    var qs = questionNames();
    for (var i = 0; i < (res.references || []).length; i++) {
      if (!qs[res.references[i]]) return fmt(msg['unknown-reference'], { name: res.references[i] });
    }
    return '';
  }
  var timers = {};
  function exprField(input, errBox) {
    function run() {
      var value = input.value;
      check(value, function (res) {
        if (input.value !== value) return; // typed on meanwhile
        var p = exprProblem(res);
        errBox.textContent = p;
        errBox.hidden = !p;
        input.classList.toggle('invalid', !!p);
        input.setAttribute('aria-invalid', p ? 'true' : 'false');
        var card = input.closest('.qb-item');
        if (card) refreshFlag(card);
      });
    }
    input.addEventListener('input', function () {
      clearTimeout(timers[input.id]);
      timers[input.id] = setTimeout(run, 250);
    });
    input.qbCheck = run;
    if (input.value.trim()) run();
  }

  // ---- rendering ----

  var fieldSeq = 0;
  function field(label, control, opts) {
    opts = opts || {};
    fieldSeq += 1;
    var id = 'qb-f' + fieldSeq;
    control.id = id;
    var err = el('div', { class: 'field-error', hidden: true });
    var wrap = el('div', { class: 'qb-field' + (opts.wide ? ' wide' : '') }, [
      el('label', { for: id, text: label }), control, err,
      opts.hint ? el('div', { class: 'qb-hint', text: opts.hint }) : null
    ]);
    if (opts.expr) { control.classList.add('mono'); control.setAttribute('spellcheck', 'false'); exprField(control, err); }
    if (opts.check) {
      var run = function () {
        var p = opts.check();
        err.textContent = p; err.hidden = !p;
        control.classList.toggle('invalid', !!p);
      };
      control.addEventListener('input', run);
      control.qbCheck = run;
      run();
    }
    return wrap;
  }
  function input(value, onInput, attrs) {
    var a = attrs || {};
    a.value = value === undefined || value === null ? '' : value;
    a.oninput = function (ev) { onInput(ev.target.value); changed(false); };
    if (!a.type) a.type = 'text';
    return el('input', a);
  }
  function textarea(value, onInput) {
    var t = el('textarea', { rows: 2, oninput: function (ev) { onInput(ev.target.value); changed(false); } });
    t.value = value || '';
    return t;
  }
  function checkbox(label, on, onChange) {
    return el('label', { class: 'qb-check' }, [
      el('input', { type: 'checkbox', checked: !!on, onchange: function (ev) { onChange(ev.target.checked); } }),
      label
    ]);
  }
  function select(options, value, onChange) {
    var s = el('select', { onchange: function (ev) { onChange(ev.target.value); } });
    options.forEach(function (o) {
      s.appendChild(el('option', { value: o[0], selected: o[0] === value, text: o[1] }));
    });
    return s;
  }
  function tool(label, onClick, cls) {
    return el('button', { type: 'button', class: 'secondary small ' + (cls || ''), onclick: onClick, text: label });
  }
  function labelled(button, label) {
    button.setAttribute('aria-label', label);
    button.title = label;
    return button;
  }
  function toggleAppearance(it, a, on) {
    var list = (it.appearance || []).filter(function (x) { return x !== a; });
    if (on) list.push(a);
    it.appearance = list;
  }

  var QUESTION_KINDS = ['select_one', 'select_multiple', 'text', 'integer', 'decimal', 'date', 'range', 'note'];
  var ADD_KINDS = ['select_one', 'select_multiple', 'text', 'integer', 'decimal', 'date', 'range', 'rating',
    'note', 'section', 'page', 'matrix'];

  function badge(it) {
    if (isMatrix(it)) return msg['kind-matrix'];
    if (isPage(it)) return msg['kind-page'];
    if (it.item === 'group') return msg['kind-section'];
    if (it.kind.type === 'range' && (it.appearance || []).indexOf('rating') >= 0) return msg['kind-rating'];
    return msg['kind-' + it.kind.type] || it.kind.type;
  }

  var number = 0;
  function summary(it) {
    var label = text(it.label, 'zh');
    var num = null;
    if (it.item !== 'group' && it.kind.type !== 'note') { number += 1; num = el('span', { class: 'qb-num', text: number + '.' }); }
    return el('summary', {}, [
      num,
      el('span', { class: 'badge', text: badge(it) }),
      el('span', { class: 'qb-label' + (label ? '' : ' muted'), 'data-summary': it._k, text: label || msg.untitled }),
      el('span', { class: 'qb-name mono', text: it.name }),
      (it.relevant || '').trim() ? el('span', { class: 'qb-flag', title: msg.relevant, text: '⤷' }) : null
    ]);
  }

  function tools(it) {
    return el('div', { class: 'qb-tools' }, [
      tool('↑ ' + msg.up, function () { move(it._k, -1); }),
      tool('↓ ' + msg.down, function () { move(it._k, 1); }),
      tool(msg.remove, function () { remove(it._k); }, 'danger')
    ]);
  }

  /* Renaming a question rewrites ${old} in every expression, once the new
     name is complete (on change, not per keystroke: a name passing through
     another question's name on the way would capture its references). */
  function renamed(it, old) {
    if (!old || old === it.name || it.item === 'group' || nameProblem(it)) return;
    var from = '${' + old + '}', to = '${' + it.name + '}';
    var hit = false;
    function fix(o, prop) {
      if (typeof o[prop] === 'string' && o[prop].indexOf(from) >= 0) {
        o[prop] = o[prop].split(from).join(to);
        hit = true;
      }
    }
    walk(form.items, function (x) { ['relevant', 'constraint', 'required', 'choice_filter'].forEach(function (p) { fix(x, p); }); });
    if (hit) changed(true);
  }
  function nameField(it) {
    var before = it.name;
    var box = input(it.name, function (v) { it.name = v.trim(); recheckAll(); },
      { class: 'mono', autocapitalize: 'off', spellcheck: 'false', 'data-prop': 'name' });
    box.addEventListener('change', function () { var old = before; before = it.name; renamed(it, old); });
    return field(msg.name, box, { hint: msg['name-hint'], check: function () { return nameProblem(it); } });
  }
  function labelFields(it, withHint) {
    var zh = textarea(text(it.label, 'zh'), function (v) { setText(it, 'label', 'zh', v); });
    zh.setAttribute('data-prop', 'label');
    var out = [el('div', { class: 'qb-row' }, [
      field(it.item === 'group' ? msg['group-label'] : msg['label-zh'], zh),
      field(msg['label-en'], textarea(text(it.label, 'en'), function (v) { setText(it, 'label', 'en', v); }))
    ])];
    out[0].querySelectorAll('textarea')[1].setAttribute('data-prop', 'label-en');
    out[0].querySelectorAll('textarea')[1].setAttribute('lang', 'en');
    if (withHint) {
      out.push(el('div', { class: 'qb-row' }, [
        field(msg.hint, input(text(it.hint, 'zh'), function (v) { setText(it, 'hint', 'zh', v); }, { 'data-prop': 'hint' })),
        field(msg.hint + ' · English', input(text(it.hint, 'en'), function (v) { setText(it, 'hint', 'en', v); }, { lang: 'en' }))
      ]));
    }
    return out;
  }
  function relevantField(it) {
    return field(msg.relevant, input(it.relevant, function (v) { it.relevant = v; },
      { 'data-prop': 'relevant', autocapitalize: 'off', placeholder: '${…} = …' }),
    { expr: true, hint: msg['relevant-hint'], wide: true });
  }

  function choiceEditor(q, inMatrix, owner) {
    var box = el('div', { class: 'qb-choices' });
    var l = list(q.choices);
    var options = form.choice_lists.map(function (x) {
      var first = x.choices.slice(0, 3).map(function (c) { return text(c.label, 'zh') || c.name; }).join(' / ');
      return [x.name, x.name + (first ? ' — ' + first : '')];
    });
    options.push(['', '+ ' + msg['choice-list-new']]);
    function setList(name) {
      var targets = inMatrix ? owner.items.filter(function (r) { return r.item !== 'group'; }) : [q];
      targets.forEach(function (r) { r.choices = name; });
    }
    box.appendChild(el('div', { class: 'qb-row' }, [
      field(msg['choice-list'], select(options, l ? l.name : '', function (v) {
        setList(v || freshList('list', 2).name);
        changed(true);
      })),
      l ? field(msg['list-name'], input(l.name, function (v) {
        var old = l.name;
        l.name = v.trim();
        walk(form.items, function (it) { if (it.item !== 'group' && it.choices === old) it.choices = l.name; });
      }, { class: 'mono', 'data-prop': 'list-name' }), { check: function () {
        return l.name && !/\s/.test(l.name) ? '' : msg['name-invalid'];
      } }) : null
    ]));
    if (!l) return box;
    var users = listUsers(l.name);
    if (users > 1 && !inMatrix) box.appendChild(el('p', { class: 'muted small', text: fmt(msg['choice-list-shared'], { count: users }) }));
    var table = el('div', { class: 'qb-choice-table', role: 'list' });
    table.appendChild(el('div', { class: 'qb-choice head', 'aria-hidden': 'true' }, [
      el('span', { text: msg['choice-code'] }), el('span', { text: msg['choice-label'] }), el('span', { text: msg['label-en'] }), el('span')
    ]));
    l.choices.forEach(function (c, i) {
      table.appendChild(el('div', { class: 'qb-choice', role: 'listitem' }, [
        input(c.name, function (v) { c.name = v.trim(); }, { class: 'mono', 'aria-label': msg['choice-code'], placeholder: msg['choice-code'], 'data-prop': 'choice-code' }),
        input(text(c.label, 'zh'), function (v) { setText(c, 'label', 'zh', v); }, { 'aria-label': msg['choice-label'], placeholder: msg['choice-label'], 'data-prop': 'choice-label' }),
        input(text(c.label, 'en'), function (v) { setText(c, 'label', 'en', v); }, { 'aria-label': msg['label-en'], placeholder: 'English', lang: 'en' }),
        el('span', { class: 'qb-choice-tools' }, [
          labelled(tool('↑', function () { if (i > 0) { l.choices.splice(i - 1, 0, l.choices.splice(i, 1)[0]); changed(true); } }), msg.up),
          labelled(tool('↓', function () { if (i < l.choices.length - 1) { l.choices.splice(i + 1, 0, l.choices.splice(i, 1)[0]); changed(true); } }), msg.down),
          labelled(tool('×', function () { l.choices.splice(i, 1); changed(true); }, 'danger'), msg.remove)
        ])
      ]));
    });
    box.appendChild(table);
    box.appendChild(tool('+ ' + msg['choice-add'], function () {
      var max = 0;
      l.choices.forEach(function (c) { if (/^\d+$/.test(c.name)) max = Math.max(max, +c.name); });
      l.choices.push({ name: String(max + 1), label: {}, extra: {} });
      changed(true);
      var codes = document.querySelectorAll('[data-k="' + (owner || q)._k + '"] [data-prop=choice-label]');
      if (codes.length) codes[codes.length - 1].focus();
    }, 'qb-add-choice'));
    return box;
  }

  function requiredFields(q) {
    var mode = q.required === true ? 'yes' : typeof q.required === 'string' ? 'when' : 'no';
    var out = [field(msg.required, select([['no', msg['required-no']], ['yes', msg['required-yes']], ['when', msg['required-when']]], mode,
      function (v) { q.required = v === 'yes' ? true : v === 'when' ? '' : false; changed(true); }), {})];
    out[0].querySelector('select').setAttribute('data-prop', 'required');
    if (mode === 'when') {
      out.push(field(msg['required-when'], input(q.required, function (v) { q.required = v; }, { 'data-prop': 'required-when', autocapitalize: 'off' }), { expr: true, wide: true }));
    }
    if (mode !== 'no') {
      out.push(field(msg['required-message'], input(text(q.required_message, 'zh'), function (v) { setText(q, 'required_message', 'zh', v); })));
    }
    return out;
  }

  function questionBody(q, parent) {
    var inMatrix = isMatrix(parent);
    var body = [];
    var kindNow = q.kind.type;
    if (!inMatrix) {
      body.push(el('div', { class: 'qb-row' }, [
        field(msg.kind, select(QUESTION_KINDS.map(function (k) { return [k, msg['kind-' + k]]; }), kindNow, function (v) {
          if (v === 'range') q.kind = { type: 'range', start: 1, end: 10, step: 1 };
          else q.kind = { type: v };
          if (/^select_/.test(v)) { if (!q.choices) q.choices = freshList('list', 2).name; }
          else { q.choices = null; q.other = false; q.shuffle = false; q.choice_filter = ''; }
          q.appearance = (q.appearance || []).filter(function (a) {
            return /^select_/.test(v) ? a === 'minimal' || a === 'horizontal' : v === 'range' && a === 'rating';
          });
          if (v === 'note') { q.required = false; q.constraint = ''; }
          changed(true);
        })),
        nameField(q)
      ]));
    } else {
      body.push(nameField(q));
    }
    body = body.concat(labelFields(q, !inMatrix));
    if (kindNow === 'range' && !inMatrix) {
      var k = q.kind;
      var num = function (prop) {
        return field(msg['range-' + prop], input(k[prop], function (v) { k[prop] = v === '' ? 0 : Number(v); }, { type: 'number', step: 'any', inputmode: 'decimal', 'data-prop': 'range-' + prop }));
      };
      body.push(el('div', { class: 'qb-row three' }, [num('start'), num('end'), num('step')]));
      body.push(checkbox(msg['appearance-rating'], (q.appearance || []).indexOf('rating') >= 0, function (on) { toggleAppearance(q, 'rating', on); changed(true); }));
    }
    if (isSelect(q) && !inMatrix) {
      body.push(el('h4', { text: msg.choices }));
      body.push(choiceEditor(q, false));
      body.push(el('div', { class: 'qb-checks' }, [
        checkbox(msg.other, q.other, function (on) { q.other = on; changed(false); }),
        checkbox(msg.shuffle, q.shuffle, function (on) { q.shuffle = on; changed(false); }),
        checkbox(msg['appearance-minimal'], (q.appearance || []).indexOf('minimal') >= 0, function (on) { toggleAppearance(q, 'minimal', on); changed(false); }),
        checkbox(msg['appearance-horizontal'], (q.appearance || []).indexOf('horizontal') >= 0, function (on) { toggleAppearance(q, 'horizontal', on); changed(false); })
      ]));
    }
    if (kindNow !== 'note') body = body.concat(el('div', { class: 'qb-row' }, requiredFields(q)));
    if (!inMatrix) body.push(relevantField(q));
    if (kindNow !== 'note' && !inMatrix) {
      body.push(el('div', { class: 'qb-row' }, [
        field(msg.constraint, input(q.constraint, function (v) { q.constraint = v; },
          { 'data-prop': 'constraint', autocapitalize: 'off', placeholder: '. >= …' }), { expr: true, hint: msg['constraint-hint'] }),
        field(msg['constraint-message'], input(text(q.constraint_message, 'zh'), function (v) { setText(q, 'constraint_message', 'zh', v); }, { 'data-prop': 'constraint-message' }))
      ]));
    }
    return body;
  }

  function groupBody(g) {
    var body = [nameField(g)].concat(labelFields(g, false));
    if (isMatrix(g)) {
      body.push(el('p', { class: 'muted small', text: msg['matrix-note'] }));
      var rows = g.items.filter(function (r) { return r.item !== 'group'; });
      if (rows.length) { body.push(el('h4', { text: msg.choices })); body.push(choiceEditor(rows[0], true, g)); }
    } else {
      body.push(checkbox(msg['appearance-field-list'], isPage(g), function (on) { toggleAppearance(g, 'field-list', on); changed(true); }));
    }
    body.push(relevantField(g));
    var inner = el('div', { class: 'qb-children' });
    renderList(g.items, g, inner);
    if (!g.items.length) inner.appendChild(el('p', { class: 'muted small', text: msg['group-empty'] }));
    body.push(inner);
    if (isMatrix(g)) {
      body.push(tool('+ ' + msg['matrix-add-row'], function () {
        var row = newQuestion('select_one');
        form.choice_lists.pop();
        row.choices = matrixList(g);
        g.items.push(row);
        open[row._k] = true;
        changed(true);
      }, 'qb-add-row'));
    } else {
      body.push(addBar(g, msg['add-in-group']));
    }
    return body;
  }

  function card(it, parent) {
    var d = el('details', { class: 'qb-item' + (it.item === 'group' ? ' qb-group' : ''), 'data-k': it._k, 'data-name': it.name, open: !!open[it._k] });
    d.addEventListener('toggle', function (ev) {
      if (ev.target !== d) return;
      open[it._k] = d.open;
    });
    d.appendChild(summary(it));
    var errs = el('div', { class: 'alert error qb-server', role: 'alert', hidden: !(serverErrors[it._k] || []).length });
    (serverErrors[it._k] || []).forEach(function (m) { errs.appendChild(el('div', { text: m })); });
    var body = el('div', { class: 'qb-body' }, [errs, tools(it)]);
    (it.item === 'group' ? groupBody(it) : questionBody(it, parent)).forEach(function (x) { body.appendChild(x); });
    d.appendChild(body);
    return d;
  }

  function renderList(items, parent, into) {
    items.forEach(function (it) { into.appendChild(card(it, parent)); });
  }

  function addBar(parent, label) {
    var kinds = parent ? ADD_KINDS.filter(function (k) { return k !== 'page'; }) : ADD_KINDS;
    var s = select(kinds.map(function (k) { return [k, msg['kind-' + k]]; }), 'select_one', function () {});
    s.setAttribute('aria-label', msg.kind);
    s.className = 'qb-add-kind';
    return el('div', { class: 'qb-add' }, [s, el('button', { type: 'button', class: 'qb-add-button', onclick: function () { add(s.value, parent); }, text: '+ ' + label })]);
  }

  function render() {
    number = 0;
    fieldSeq = 0;
    root.textContent = '';
    if (!form.items.length) root.appendChild(el('p', { class: 'muted qb-empty', text: msg['form-empty'] }));
    renderList(form.items, null, root);
    root.appendChild(addBar(null, msg['add-question']));
    document.querySelectorAll('.qb-item').forEach(refreshFlag);
  }

  /* Summaries follow the texts typed without rebuilding the editors. */
  function refreshSummaries() {
    walk(form.items, function (it) {
      var s = document.querySelector('[data-summary="' + it._k + '"]');
      if (!s) return;
      var label = text(it.label, 'zh');
      s.textContent = label || msg.untitled;
      s.classList.toggle('muted', !label);
      var n = s.parentNode.querySelector('.qb-name');
      if (n) n.textContent = it.name;
    });
  }
  /* A card whose own fields have a problem is marked on its summary line,
     so a closed one still shows it. */
  function refreshFlag(card) {
    var body = card.querySelector(':scope > .qb-body');
    if (!body) return;
    var own = Array.prototype.some.call(body.querySelectorAll(':scope > .qb-field > .field-error, :scope > .qb-row > .qb-field > .field-error, :scope > .qb-server, :scope > .qb-choices .field-error'),
      function (e) { return !e.hidden; });
    card.classList.toggle('has-error', own);
  }
  /* A name changed: every name and expression check may have changed. */
  function recheckAll() {
    document.querySelectorAll('#qb-items input, #qb-items textarea').forEach(function (i) {
      if (i.qbCheck) i.qbCheck();
    });
    document.querySelectorAll('.qb-item').forEach(refreshFlag);
  }

  // ---- saving ----

  function payload() {
    var f = clean(form);
    walk(f.items, function (it) {
      if (it.item === 'group') return;
      if (!isSelect(it)) { it.choices = null; it.other = false; it.shuffle = false; }
    });
    var used = {};
    walk(f.items, function (it) { if (it.item !== 'group' && it.choices) used[it.choices] = true; });
    // A list no question uses any more is dropped when empty (the server
    // refuses empty lists; nothing could show it).
    f.choice_lists = f.choice_lists.filter(function (l) { return used[l.name] || l.choices.length; });
    return f;
  }

  function showServerErrors(fields) {
    serverErrors = {};
    var elsewhere = [];
    var byName = {};
    walk(form.items, function (it) { (byName[it.name] = byName[it.name] || []).push(it); });
    fields.forEach(function (f) {
      var targets = [];
      if (f.item && byName[f.item]) targets = byName[f.item];
      else if (f.item && f.item.indexOf('/') > 0) {
        var ln = f.item.split('/')[0];
        walk(form.items, function (it) { if (it.item !== 'group' && it.choices === ln) targets.push(it); });
      }
      if (!targets.length) { elsewhere.push(f.message); return; }
      targets.forEach(function (it) { (serverErrors[it._k] = serverErrors[it._k] || []).push(f.message); open[it._k] = true; });
    });
    // Open the groups holding a question at fault.
    walk(form.items, function (it, parent) {
      if (serverErrors[it._k]) for (var p = parent; p; p = (find(p._k) || {}).parent) open[p._k] = true;
    });
    render();
    var extra = null;
    if (elsewhere.length) {
      extra = el('div', {}, [el('strong', { text: msg['errors-elsewhere'] })].concat(
        elsewhere.map(function (m) { return el('div', { text: m }); })));
    }
    say(msg.errors, 'error', extra);
    var first = document.querySelector('.qb-server:not([hidden])');
    (first || statusEl).scrollIntoView({ block: 'center' });
  }

  function showPreview() {
    if (!version) return;
    frame.hidden = false;
    frameEmpty.hidden = true;
    frame.src = cfg.preview + '?version=' + version + '&lang=' + cfg.lang + '&t=' + Date.now();
  }

  saveBtn.addEventListener('click', function () {
    var body = payload();
    saveBtn.disabled = true;
    say(msg.saving, 'info');
    fetch(cfg.save, {
      method: 'PUT', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        saveBtn.disabled = false;
        if (r.ok) {
          version = data.version_id;
          serverForm = clean(form);
          serverErrors = {};
          markDirty(false, true);
          localStorage.removeItem(KEY);
          render();
          say(msg.saved, 'ok');
          showPreview();
          return;
        }
        var e = data.error || {};
        if (r.status === 422 && e.fields && e.fields.length) { showServerErrors(e.fields); return; }
        say(msg['save-failed'] + ' ' + (e.message || r.status), 'error');
      });
    }).catch(function () {
      saveBtn.disabled = false;
      say(msg.network, 'error');
    });
  });

  // ---- start ----

  var kept = null;
  try { kept = JSON.parse(localStorage.getItem(KEY) || 'null'); } catch (e) { kept = null; }
  if (kept && kept.form && JSON.stringify(kept.form) !== JSON.stringify(serverForm)) {
    form = kept.form;
    keyed(form.items);
    markDirty(true);
    // Kept over another version than the one now newest (saved elsewhere
    // since, or published and edited again): saving would replace that one.
    var note = kept.version === cfg.version ? msg.restored : msg.restored + ' ' + msg['restored-other'];
    say(note + ' ', kept.version === cfg.version ? 'ok' : 'note', tool(msg.discard, function () {
      if (!window.confirm(msg['discard-confirm'])) return;
      form = copy(serverForm);
      keyed(form.items);
      localStorage.removeItem(KEY);
      markDirty(false);
      statusEl.hidden = true;
      render();
    }));
  } else {
    keyed(form.items);
    if (kept) localStorage.removeItem(KEY);
  }
  render();
  showPreview();
})();
