// The page's order of shuffled choices (order() in assets/survey-fill.js)
// against the server's (form::choice_order, tests/fixtures/choice-order.json):
// the server draws the page in one order and the script puts a reloaded page
// back in the respondent's, so the two must agree exactly.
// Run: node --test tests/expr/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { order } = require('../../assets/survey-fill.js');
const table = JSON.parse(
  readFileSync(new URL('../fixtures/choice-order.json', import.meta.url), 'utf8'),
);

test('the same orders as the server', () => {
  assert.ok(table.cases.length >= 100, `only ${table.cases.length} cases`);
  for (const c of table.cases) {
    assert.deepEqual(order(c.seed, c.question, c.n), c.order, JSON.stringify(c));
  }
});

test('one respondent keeps an order; respondents get different ones', () => {
  const a = order('5f0c3a9e1b2d4c6e8f0a1b2c', 'topics', 12);
  assert.deepEqual(order('5f0c3a9e1b2d4c6e8f0a1b2c', 'topics', 12), a, 'stable');
  assert.deepEqual([...a].sort((x, y) => x - y), [...Array(12).keys()], 'a permutation');
  const seen = new Set();
  for (let i = 0; i < 50; i++) seen.add(order(`instance${i}`, 'topics', 12).join(','));
  assert.equal(seen.size, 50, 'fifty respondents, fifty orders');
});
