// The page's evaluator (assets/survey-expr.js) against the fixture table, using
// the trees the Rust parser produced (tests/fixtures/expressions.ast.json).
// Run: node --test tests/expr/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const QtExpr = require('../../assets/survey-expr.js');
const table = JSON.parse(
  readFileSync(new URL('../fixtures/expressions.ast.json', import.meta.url), 'utf8'),
);

function same(got, expected) {
  if (expected === null) return typeof got === 'number' && Number.isNaN(got);
  return typeof got === typeof expected && got === expected;
}

test('the fixture table has the cases', () => {
  assert.ok(table.cases.length >= 80, `only ${table.cases.length} cases`);
});

for (const c of table.cases) {
  test(`${c.expr}  ${JSON.stringify(c.answers)} ${JSON.stringify(c.current)}`, () => {
    const got = QtExpr.evaluate(c.ast, c.answers, c.today, c.current);
    assert.ok(same(got, c.expected), `expected ${JSON.stringify(c.expected)}, got ${JSON.stringify(got)} (${typeof got})`);
    // Evaluating again uses the compiled regex cached on the tree.
    assert.ok(same(QtExpr.evaluate(c.ast, c.answers, c.today, c.current), c.expected));
  });
}

test('holds() is the boolean of the value; today defaults to a date', () => {
  const tree = { k: 'call', f: 'today', args: [] };
  assert.match(QtExpr.evaluate(tree, {}), /^\d{4}-\d{2}-\d{2}$/);
  assert.equal(QtExpr.holds({ k: 'field', name: 'a' }, { a: 'x' }), true);
  assert.equal(QtExpr.holds({ k: 'field', name: 'constructor' }, {}), false);
  assert.equal(QtExpr.evaluate({ k: 'field', name: 'g' }, { g: ['a', 'b'] }), 'a b');
});

test('the script stays small', () => {
  const size = readFileSync(new URL('../../assets/survey-expr.js', import.meta.url)).length;
  assert.ok(size < 6144, `${size} bytes`);
});

// Written by `cargo test --lib regex_differential -- --ignored` (run by hand).
const diff = join(tmpdir(), 'qingting-regex-diff.json');
test('regex translations match the same texts as Rust', { skip: !existsSync(diff) }, () => {
  const bad = [];
  for (const [re, text, rust] of JSON.parse(readFileSync(diff, 'utf8'))) {
    let js;
    try {
      js = new RegExp(re, 'u').test(text);
    } catch (e) {
      js = `error: ${e.message}`;
    }
    if (js !== rust) bad.push({ re, text, rust, js });
  }
  assert.deepEqual(bad.slice(0, 10), []);
});
