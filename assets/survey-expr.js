/* Survey expressions in the page: evaluates the JSON tree the server parsed
   (src/survey/expr.rs, docs/expressions.md); no parser here. ES5.
   QtExpr.evaluate(tree, answers, today, current): answers {name: 'raw'},
   today 'YYYY-MM-DD' (default: Beijing), current: the value of '.'. */
(function (root) {
  'use strict';
  var own = Object.prototype.hasOwnProperty;

  function trim(s) { return s.replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, ''); }

  /* Days since 1970-01-01 of YYYY-MM-DD, or null (Hinnant). */
  function days(s) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
    if (!m) return null;
    var y = +m[1], mo = +m[2], d = +m[3];
    var leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
    var len = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
    if (!len || d < 1 || d > len) return null;
    if (mo <= 2) y -= 1;
    var era = Math.floor(y / 400), yoe = y - era * 400;
    var doy = Math.floor((153 * ((mo + 9) % 12) + 2) / 5) + d - 1;
    return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
  }

  function num(v) {
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'number') return v;
    var t = trim(v);
    if (/^-?(\d+(\.\d*)?|\.\d+)$/.test(t)) return parseFloat(t);
    var d = days(t);
    return d === null ? NaN : d;
  }

  /* Like Rust's f64 Display: shortest digits, never an exponent. */
  function fmt(n) {
    if (n !== n) return 'NaN';
    if (n === 0) return '0';
    if (n === Infinity) return 'Infinity';
    if (n === -Infinity) return '-Infinity';
    var s = String(n), m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
    if (!m) return s;
    var digits = m[2] + (m[3] || ''), e = +m[4], z = '';
    if (e >= 0) {
      for (var i = digits.length - 1; i < e; i++) z += '0';
      return m[1] + digits + z;
    }
    for (var j = 1; j < -e; j++) z += '0';
    return m[1] + '0.' + z + digits;
  }

  function text(v) {
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'number') return fmt(v);
    return v;
  }

  function bool(v) {
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v !== 0 && v === v;
    return v.length > 0;
  }

  function equal(a, b) {
    if (typeof a === 'boolean' || typeof b === 'boolean') return bool(a) === bool(b);
    if (typeof a === 'number' || typeof b === 'number') return num(a) === num(b);
    return a === b;
  }

  function choices(s) {
    var all = s.split(/[ \t\n\r]+/), out = [];
    for (var i = 0; i < all.length; i++) if (all[i]) out.push(all[i]);
    return out;
  }

  function length(s) {
    var n = 0;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (c < 0xdc00 || c > 0xdfff || i === 0 || s.charCodeAt(i - 1) < 0xd800 || s.charCodeAt(i - 1) > 0xdbff) n++;
    }
    return n;
  }

  function answer(v) {
    if (v === null || v === undefined) return '';
    return Object.prototype.toString.call(v) === '[object Array]' ? v.join(' ') : String(v);
  }

  function ev(n, env) {
    var a = n.args || [], l, r;
    function arg(i) { return a[i] ? ev(a[i], env) : ''; }
    switch (n.k) {
      case 'num': case 'str': return n.v;
      case 'field': return own.call(env.answers, n.name) ? answer(env.answers[n.name]) : '';
      case 'current': return answer(env.current);
      case 'neg': return -num(ev(n.x, env));
      case 'regex':
        if (n._re === undefined) {
          try { n._re = new RegExp(n.pattern.re, 'u'); } catch (e) { n._re = null; }
        }
        return n._re ? n._re.test(text(ev(n.x, env))) : false;
      case 'bin':
        if (n.op === 'or') return bool(ev(n.l, env)) || bool(ev(n.r, env));
        if (n.op === 'and') return bool(ev(n.l, env)) && bool(ev(n.r, env));
        l = ev(n.l, env); r = ev(n.r, env);
        switch (n.op) {
          case '=': return equal(l, r);
          case '!=': return !equal(l, r);
          case '<': return num(l) < num(r);
          case '<=': return num(l) <= num(r);
          case '>': return num(l) > num(r);
          case '>=': return num(l) >= num(r);
          case '+': return num(l) + num(r);
          case '-': return num(l) - num(r);
          case '*': return num(l) * num(r);
          case 'div': return num(l) / num(r);
          case 'mod': return num(l) % num(r);
        }
        break;
      case 'call':
        switch (n.f) {
          case 'not': return !bool(arg(0));
          case 'true': return true;
          case 'false': return false;
          case 'selected':
            return choices(text(arg(0))).indexOf(trim(text(arg(1)))) >= 0;
          case 'count-selected': return choices(text(arg(0))).length;
          case 'string-length': return length(text(arg(0)));
          case 'if': return bool(arg(0)) ? arg(1) : arg(2);
          case 'today': return env.today;
          case 'number': return num(arg(0));
          case 'int':
            l = num(arg(0));
            return l < 0 ? Math.ceil(l) : Math.floor(l);
          case 'string': return text(arg(0));
          case 'coalesce':
            l = arg(0);
            return text(l) === '' ? arg(1) : l;
          case 'concat':
            for (l = '', r = 0; r < a.length; r++) l += text(ev(a[r], env));
            return l;
        }
    }
    return '';
  }

  function beijingToday() {
    var d = new Date(Date.now() + 8 * 3600 * 1000);
    function two(x) { return (x < 10 ? '0' : '') + x; }
    return d.getUTCFullYear() + '-' + two(d.getUTCMonth() + 1) + '-' + two(d.getUTCDate());
  }

  function evaluate(tree, answers, today, current) {
    return ev(tree, { answers: answers || {}, today: today || beijingToday(), current: current });
  }

  var api = {
    evaluate: evaluate,
    holds: function (tree, answers, today, current) { return bool(evaluate(tree, answers, today, current)); },
    toBool: bool,
    toNumber: num,
    toText: text
  };
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.QtExpr = api;
})(this);
