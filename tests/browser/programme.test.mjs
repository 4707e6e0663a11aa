// The seed 002 journey end to end: the 湖南 work group's leader records a visit
// to an enterprise that has no union and flags it; the enterprise moves through
// the formation pipeline (preparing → founded, the new union created in the
// tree); the national admin's programme dashboard counts the union founded.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, VIEWPORTS, launch, newPage, login, shot } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// A unified social credit code of 长沙 (430100) with a fresh organisation
// part and its GB 32100 check character.
function creditCode() {
  const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  const weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  let body = "91430100";
  for (let i = 0; i < 9; i++) body += String(Math.floor(Math.random() * 10));
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += alphabet.indexOf(body[i]) * weights[i];
  return body + alphabet[(31 - (sum % 31)) % 31];
}

async function programme(p) {
  const res = await p.request.get(`${BASE}/api/v1/campaigns`);
  const list = await res.json();
  const items = list.items ?? list;
  const found = items.find((c) => (c.title ?? "").includes("全总机关干部赴基层蹲点活动"));
  assert.ok(found, "the demo programme is listed");
  return found.id;
}

for (const vp of VIEWPORTS) {
  test(`${vp.name}: a visit flags "no union", the union is founded, the programme dashboard counts it`, async () => {
    const stamp = `${vp.name}${Date.now() % 1000000}`;
    const name = `长沙星速即配科技有限公司${stamp}`;
    const code = creditCode();

    // The national admin notes the programme's unions founded before.
    const n = await newPage(browser, vp);
    await login(n, "acftu.admin");
    const id = await programme(n);
    const before = await (await n.request.get(`${BASE}/api/v1/campaigns/${id}/dashboard`)).json();

    // 1. The 湖南 group leader records the visit from the group's page.
    const p = await newPage(browser, vp);
    await login(p, "hunan.leader");
    await p.goto(`${BASE}/campaigns/${id}/groups`);
    await Promise.all([p.waitForURL(/\/work-groups\/\d+$/), p.click("main a:has-text('湖南工作组')")]);
    await Promise.all([p.waitForURL(/\/activities\/new/), p.click("main a[href*='/activities/new']")]);
    await p.selectOption("#kind", "enterprise_visit");
    assert.notEqual(await p.inputValue("#work_group_id"), "", "the group is chosen");
    await p.click("details.sub:has(#new_enterprise_name) summary");
    await p.fill("#new_enterprise_name", name);
    await p.fill("#new_enterprise_credit_code", code);
    await p.fill("#cadres", "湖南工作组组长");
    await p.fill("#workers_interviewed", "6");
    await p.click("details.fm-flags summary");
    await p.selectOption("#uf1-wish", "no_union");
    await shot(p, "programme-visit-form", vp);
    await Promise.all([p.waitForURL(/\/activities\/\d+/), p.click("form button[type=submit]:has-text('保存')")]);
    assert.match(await p.textContent("main"), new RegExp(name));

    // 2. The pipeline: flagged → preparing → founded.
    await p.goto(`${BASE}/formation?q=${encodeURIComponent(stamp)}`);
    await Promise.all([p.waitForURL(/\/formation\/\d+$/), p.click(`main a:has-text('${name}')`)]);
    assert.match(await p.textContent("main"), /未建会/);
    await Promise.all([p.waitForNavigation(), p.click("form:has(input[value=prepare]) button[type=submit]")]);
    assert.match(await p.textContent("main"), /筹建/);
    await Promise.all([p.waitForURL(/\/found$/), p.click("main a[href$='/found']")]);
    await p.fill("#founded_on", "2021-06-20");
    await p.fill("#union_name", `${name}工会委员会`);
    await shot(p, "programme-found-form", vp);
    await Promise.all([p.waitForURL(/\/formation\/\d+(\?.*)?$/), p.click("form button[type=submit]:has-text('成立')")]);
    const done = await p.textContent("main");
    assert.match(done, /已成立|成立/);
    assert.match(done, new RegExp(`${name}工会委员会`));
    await shot(p, "programme-founded", vp);
    await p.context().close();

    // 3. The programme dashboard counts one more union founded, at the
    // national level and on 湖南's line.
    await n.goto(`${BASE}/campaigns/${id}/dashboard`);
    const count = await n.textContent("[data-figure=unions]");
    assert.equal(Number(count.replace(/,/g, "")), before.totals.unions_founded + 1);
    const hunan = n.locator("#dash-lines-table tbody tr", { hasText: "湖南" });
    assert.ok((await hunan.count()) >= 1, "湖南's line is listed");
    await shot(n, "programme-dashboard", vp);
    await n.context().close();
  });
}
