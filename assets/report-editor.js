/* The special report editor (ES5, no framework): parts with a heading, text
 * and embedded elements (survey charts or tables, problem summaries, quotes),
 * reordered with buttons; elements picked from the sources the server offers
 * and previewed as the report will show them; saved with PUT as JSON. */
(function () {
  'use strict';
  var cfgEl = document.getElementById('report-editor-config');
  var root = document.getElementById('report-editor');
  if (!cfgEl || !root || !window.JSON || !window.XMLHttpRequest) return;
  var cfg = JSON.parse(cfgEl.textContent);
  var T = cfg.t;
  var state = {
    title: cfg.report.title,
    topic: cfg.report.topic || '',
    worker_group: cfg.report.worker_group || '',
    sections: cfg.report.sections && cfg.report.sections.length ? cfg.report.sections : [{ heading: '', text: '', elements: [] }]
  };
  var sources = [];
  var dirty = false;

  function t(k, n) {
    var s = T[k] || k;
    return n === undefined ? s : s.replace('{n}', String(n));
  }
  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    var k;
    if (attrs) {
      for (k in attrs) {
        if (!attrs.hasOwnProperty(k)) continue;
        if (k === 'text') e.textContent = attrs[k];
        else if (k === 'className') e.className = attrs[k];
        else if (k.indexOf('on') === 0) e.addEventListener(k.slice(2), attrs[k]);
        else e.setAttribute(k, attrs[k]);
      }
    }
    if (kids) for (var i = 0; i < kids.length; i++) if (kids[i]) e.appendChild(kids[i]);
    return e;
  }
  function button(label, cls, fn, id) {
    var b = el('button', { type: 'button', className: cls || 'secondary', text: label, onclick: fn });
    if (id) b.id = id;
    return b;
  }
  function select(id, options, value, onchange) {
    var s = el('select', { id: id });
    for (var i = 0; i < options.length; i++) {
      var o = el('option', { value: options[i][0], text: options[i][1] });
      if (String(options[i][0]) === String(value)) o.selected = true;
      s.appendChild(o);
    }
    if (onchange) s.addEventListener('change', onchange);
    return s;
  }
  function field(label, control) {
    return el('div', { className: 'qb-field' }, [el('label', { 'for': control.id, text: label }), control]);
  }
  function request(method, url, body, done) {
    var x = new XMLHttpRequest();
    x.open(method, url);
    x.setRequestHeader('Accept', 'application/json');
    if (body !== null) x.setRequestHeader('Content-Type', 'application/json');
    x.onload = function () {
      var data = null;
      try { data = JSON.parse(x.responseText); } catch (e) { data = null; }
      done(x.status, data);
    };
    x.onerror = function () { done(0, null); };
    x.send(body === null ? null : JSON.stringify(body));
  }
  function errorText(data) {
    if (data && data.errors && data.errors.length) {
      var out = [];
      for (var i = 0; i < data.errors.length; i++) out.push(data.errors[i].message);
      return out.join('；');
    }
    return (data && data.message) || t('report-save-failed');
  }
  function touch() {
    dirty = true;
    status.textContent = t('report-unsaved');
    status.className = 'small';
  }
  function survey(id) {
    for (var i = 0; i < sources.length; i++) if (sources[i].id === Number(id)) return sources[i];
    return null;
  }
  function question(s, name) {
    if (!s) return null;
    for (var i = 0; i < s.questions.length; i++) if (s.questions[i].name === name) return s.questions[i];
    return null;
  }
  function describe(e) {
    var s, q;
    if (e.kind === 'analysis' || e.kind === 'survey_quotes') {
      s = survey(e.survey_id);
      q = question(s, e.question);
      var parts = [t('report-kind-' + e.kind), (s ? s.title : '#' + e.survey_id) + ' · ' + (q ? q.label : e.question)];
      if (e.kind === 'analysis') {
        parts.push(t(e.display === 'table' ? 'report-display-table' : 'report-display-chart'));
        if (e.by) parts.push(t('report-by') + '：' + e.by);
        if (e.group) parts.push(e.group);
        if (e.region) parts.push(e.region);
      } else {
        parts.push(t('report-picked', e.response_ids.length));
      }
      return parts.join(' · ');
    }
    if (e.kind === 'problems') return t('report-kind-problems') + (e.topic ? ' · ' + e.topic : '') + (e.group ? ' · ' + e.group : '');
    return t('report-kind-activity_quotes') + ' · ' + t('report-picked', e.activity_ids.length);
  }
  function move(list, i, d) {
    var j = i + d;
    if (j < 0 || j >= list.length) return;
    var x = list[i];
    list[i] = list[j];
    list[j] = x;
    touch();
    draw();
  }
  function preview(e, box) {
    box.textContent = '…';
    request('POST', cfg.urls.preview, { element: e }, function (st, data) {
      if (st === 200 && data) box.innerHTML = data.html;
      else box.textContent = errorText(data);
    });
  }

  // ---- the picker of one section ----
  function picker(sec, host) {
    var box = el('div', { className: 'report-picker card' });
    var kinds = [['analysis', t('report-kind-analysis')], ['problems', t('report-kind-problems')],
      ['survey_quotes', t('report-kind-survey_quotes')], ['activity_quotes', t('report-kind-activity_quotes')]];
    var kind = select('pk-kind', kinds, 'analysis', function () { fill(); });
    var form = el('div', { className: 'qb-row' });
    var out = el('div', { className: 'report-preview' });
    var current = function () { return null; };
    box.appendChild(field(t('report-add-element'), kind));
    box.appendChild(form);
    box.appendChild(el('div', { className: 'actions' }, [
      button(t('report-preview'), 'secondary', function () { var e = current(); if (e) preview(e, out); }, 'pk-preview'),
      button(t('report-add'), '', function () {
        var e = current();
        if (!e) return;
        sec.elements.push(e);
        touch();
        draw();
      }, 'pk-add'),
      button(t('report-cancel'), 'secondary', function () { host.removeChild(box); })
    ]));
    box.appendChild(out);

    function surveySelect(id, onchange) {
      var opts = [];
      for (var i = 0; i < sources.length; i++) opts.push([sources[i].id, sources[i].title]);
      return select(id, opts, opts.length ? opts[0][0] : '', onchange);
    }
    function questionOptions(s, kinds) {
      var opts = [];
      if (!s) return opts;
      for (var i = 0; i < s.questions.length; i++) {
        var q = s.questions[i];
        if (kinds.indexOf(q.kind) >= 0) opts.push([q.name, q.label]);
      }
      return opts;
    }
    function groupSelect(id) {
      var opts = [['', t('report-any')]];
      for (var i = 0; i < cfg.groups.length; i++) opts.push(cfg.groups[i]);
      return select(id, opts, '');
    }
    function fill() {
      form.innerHTML = '';
      out.innerHTML = '';
      var k = kind.value;
      if (k === 'analysis') {
        var sv = surveySelect('pk-survey', function () { qs(); });
        var q = select('pk-question', [], '');
        var disp = select('pk-display', [['chart', t('report-display-chart')], ['table', t('report-display-table')]], 'chart');
        var by = select('pk-by', [], '');
        var valid = select('pk-valid', [['', t('report-valid-only')], ['all', t('report-all-responses')]], '');
        var grp = groupSelect('pk-group');
        var reg = select('pk-region', [], '');
        var qs = function () {
          var s = survey(sv.value);
          var opts = questionOptions(s, ['single', 'multiple', 'number', 'date']);
          q.innerHTML = '';
          by.innerHTML = '';
          reg.innerHTML = '';
          var i;
          for (i = 0; i < opts.length; i++) q.appendChild(el('option', { value: opts[i][0], text: opts[i][1] }));
          var bys = [['', t('report-by-none')], ['worker_group', t('field-worker_group')], ['region', t('field-region')]]
            .concat(questionOptions(s, ['single', 'multiple']));
          for (i = 0; i < bys.length; i++) by.appendChild(el('option', { value: bys[i][0], text: bys[i][1] }));
          reg.appendChild(el('option', { value: '', text: t('report-any') }));
          if (s) for (i = 0; i < s.regions.length; i++) reg.appendChild(el('option', { value: s.regions[i].name, text: s.regions[i].label }));
        };
        qs();
        form.appendChild(field(t('report-survey'), sv));
        form.appendChild(field(t('report-question'), q));
        form.appendChild(field(t('report-display-chart') + ' / ' + t('report-display-table'), disp));
        form.appendChild(field(t('report-by'), by));
        form.appendChild(field(t('report-valid-only'), valid));
        form.appendChild(field(t('report-group'), grp));
        form.appendChild(field(t('report-region'), reg));
        current = function () {
          if (!q.value) return null;
          var e = { kind: 'analysis', survey_id: Number(sv.value), question: q.value, display: disp.value };
          if (by.value) e.by = by.value;
          if (valid.value) e.valid = valid.value;
          if (grp.value) e.group = grp.value;
          if (reg.value) e.region = reg.value;
          return e;
        };
      } else if (k === 'problems') {
        var topics = [['', t('report-any')]].concat(cfg.topics);
        var tp = select('pk-topic', topics, '');
        var g2 = groupSelect('pk-group');
        form.appendChild(field(t('report-topic'), tp));
        form.appendChild(field(t('report-group'), g2));
        current = function () {
          var e = { kind: 'problems' };
          if (tp.value) e.topic = tp.value;
          if (g2.value) e.group = g2.value;
          return e;
        };
      } else {
        var picked = {};
        var list = el('ul', { className: 'report-candidates' });
        var search = el('input', { id: 'pk-search', type: 'search' });
        var sv2 = null;
        var q2 = null;
        var g3 = null;
        if (k === 'survey_quotes') {
          sv2 = surveySelect('pk-survey', function () { tq(); });
          q2 = select('pk-question', [], '');
          g3 = groupSelect('pk-group');
          var tq = function () {
            q2.innerHTML = '';
            var opts = questionOptions(survey(sv2.value), ['text']);
            for (var i = 0; i < opts.length; i++) q2.appendChild(el('option', { value: opts[i][0], text: opts[i][1] }));
          };
          tq();
          form.appendChild(field(t('report-survey'), sv2));
          form.appendChild(field(t('report-question'), q2));
          form.appendChild(field(t('report-group'), g3));
        }
        var find = function () {
          var url = cfg.urls.candidates + '?q=' + encodeURIComponent(search.value);
          if (k === 'activity_quotes') url += '&source=activities';
          else url += '&source=survey&survey=' + sv2.value + '&question=' + encodeURIComponent(q2.value) + '&group=' + encodeURIComponent(g3.value);
          list.textContent = '…';
          request('GET', url, null, function (st, data) {
            list.innerHTML = '';
            if (st !== 200 || !data) { list.textContent = errorText(data); return; }
            var items = k === 'activity_quotes' ? data.notes : data.answers;
            if (!items.length) list.appendChild(el('li', { className: 'muted', text: t('report-no-candidates') }));
            for (var i = 0; i < items.length; i++) {
              (function (it) {
                var id = k === 'activity_quotes' ? it.id : it.response_id;
                var cb = el('input', { type: 'checkbox', id: 'pk-c-' + id });
                cb.checked = !!picked[id];
                cb.addEventListener('change', function () { if (cb.checked) picked[id] = true; else delete picked[id]; });
                var text = k === 'activity_quotes' ? it.notes : it.text;
                var src = k === 'activity_quotes' ? it.org_name + ' · ' + it.held_on : it.source;
                list.appendChild(el('li', null, [el('label', { 'for': 'pk-c-' + id }, [cb, document.createTextNode(' ' + text + ' '),
                  el('span', { className: 'small muted', text: '—— ' + src })])]));
              })(items[i]);
            }
          });
        };
        form.appendChild(el('div', { className: 'qb-field report-search' }, [
          el('label', { 'for': 'pk-search', text: t('report-search') }), search,
          button(t('report-search'), 'secondary', find, 'pk-find')]));
        form.appendChild(list);
        search.addEventListener('keydown', function (ev) { if (ev.keyCode === 13) { ev.preventDefault(); find(); } });
        find();
        current = function () {
          var ids = [];
          for (var id in picked) if (picked.hasOwnProperty(id)) ids.push(Number(id));
          if (!ids.length) return null;
          if (k === 'activity_quotes') return { kind: 'activity_quotes', activity_ids: ids };
          return { kind: 'survey_quotes', survey_id: Number(sv2.value), question: q2.value, response_ids: ids };
        };
      }
    }
    fill();
    host.appendChild(box);
    kind.focus();
  }

  // ---- drawing ----
  var list = el('div', { className: 'report-sections' });
  var status = el('span', { className: 'small muted', id: 'report-save-status' });
  function headCard() {
    var title = el('input', { id: 'r-title', value: state.title, maxlength: '200' });
    title.addEventListener('input', function () { state.title = title.value; touch(); });
    var topics = [['', '—']].concat(cfg.topics);
    var tp = select('r-topic', topics, state.topic, function () { state.topic = tp.value; touch(); });
    var groups = [['', '—']].concat(cfg.groups);
    var gp = select('r-group', groups, state.worker_group, function () { state.worker_group = gp.value; touch(); });
    return el('div', { className: 'card stack' }, [field(t('report-field-title') || '', title),
      el('div', { className: 'qb-row' }, [field(t('report-topic'), tp), field(t('field-worker_group'), gp)])]);
  }
  function draw() {
    list.innerHTML = '';
    for (var i = 0; i < state.sections.length; i++) {
      (function (i, sec) {
        var heading = el('input', { id: 's' + i + '-heading', value: sec.heading || '', maxlength: '200' });
        heading.addEventListener('input', function () { sec.heading = heading.value; touch(); });
        var text = el('textarea', { id: 's' + i + '-text', rows: '6' });
        text.value = sec.text || '';
        text.addEventListener('input', function () { sec.text = text.value; touch(); });
        var els = el('ol', { className: 'report-elements' });
        for (var j = 0; j < sec.elements.length; j++) {
          (function (j, e) {
            var pv = el('div', { className: 'report-preview' });
            els.appendChild(el('li', { className: 'report-element' }, [
              el('div', { className: 'report-element-head' }, [el('span', { className: 'report-element-label', text: describe(e) }),
                el('span', { className: 'qb-tools' }, [
                  button(t('report-preview'), 'secondary', function () { preview(e, pv); }),
                  button('↑', 'secondary', function () { move(sec.elements, j, -1); }),
                  button('↓', 'secondary', function () { move(sec.elements, j, 1); }),
                  button(t('report-remove'), 'danger', function () { sec.elements.splice(j, 1); touch(); draw(); })])]),
              pv]));
          })(j, sec.elements[j]);
        }
        var host = el('div');
        var card = el('section', { className: 'card report-edit-section', id: 'section-' + i }, [
          el('div', { className: 'report-element-head' }, [el('strong', { text: t('report-section', i + 1) }),
            el('span', { className: 'qb-tools' }, [
              button(t('report-up'), 'secondary', function () { move(state.sections, i, -1); }),
              button(t('report-down'), 'secondary', function () { move(state.sections, i, 1); }),
              button(t('report-remove'), 'danger', function () { state.sections.splice(i, 1); touch(); draw(); })])]),
          field(t('report-heading'), heading),
          field(t('report-text'), text),
          els,
          host,
          el('div', { className: 'actions' }, [button(t('report-add-element'), 'secondary', function () {
            if (!host.firstChild) picker(sec, host);
          }, 's' + i + '-add-element')])
        ]);
        list.appendChild(card);
      })(i, state.sections[i]);
    }
  }
  function save() {
    status.textContent = '…';
    var body = { title: state.title, topic: state.topic || null, worker_group: state.worker_group || null, sections: state.sections };
    request('PUT', cfg.urls.save, body, function (st, data) {
      if (st === 200) {
        dirty = false;
        status.textContent = t('report-saved');
        status.className = 'small ok-text';
      } else {
        status.textContent = errorText(data);
        status.className = 'small field-error';
      }
    });
  }
  root.appendChild(headCard());
  root.appendChild(list);
  root.appendChild(el('div', { className: 'actions' }, [button(t('report-add-section'), 'secondary', function () {
    state.sections.push({ heading: '', text: '', elements: [] });
    touch();
    draw();
  }, 'report-add-section')]));
  root.appendChild(el('div', { className: 'builder-bar' }, [button(t('report-save'), '', save, 'report-save'), status,
    el('a', { href: cfg.urls.view, text: '← ' + (cfg.report.title || '') })]));
  window.addEventListener('beforeunload', function (ev) {
    if (dirty) { ev.preventDefault(); ev.returnValue = ''; }
  });
  request('GET', cfg.urls.sources, null, function (st, data) {
    if (st === 200 && data) sources = data;
    draw();
  });
  draw();
})();
