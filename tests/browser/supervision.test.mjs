// Supervision (督办) on a Monday morning after the deadline of the demo campaign
// 杨工〔2019〕28号: the district admin sees red items on the to-do home, opens the
// grid, sorts it by summary state and chases every unit whose table is missing
// in one action; the units' WeCom and DingTalk group robots receive the chase
// (a local sink stands in for both platforms at the address the demo
// configures); a cadre of a chased street sees the chase at the top of the to-do
// list and submits; the grid turns green for that unit.
//
// The phone run chases the three missing units (定海路, 大桥 and 复旦科技园) and 定海路
// submits; the desktop run then finds two missing and 大桥 submits.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createHmac } from "node:crypto";
import { BASE, VIEWPORTS, launch, newPage, login, shot, fitsScreen } from "./lib.mjs";

const SINK_PORT = 8089; // src/notify/demo.rs: SINK
const DINGTALK_SECRET = "SECdemo0123456789abcdef0123456789";

let browser;
let sink;
const posts = [];

before(async () => {
  browser = await launch();
  sink = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => { body += c; });
    req.on("end", () => {
      let json = null;
      try { json = JSON.parse(body); } catch { /* recorded as text */ }
      posts.push({ method: req.method, url: req.url, json, body });
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end('{"errcode":0,"errmsg":"ok"}');
    });
  });
  await new Promise((ok, fail) => { sink.once("error", fail); sink.listen(SINK_PORT, "127.0.0.1", ok); });
});
after(async () => {
  await browser?.close();
  await new Promise((ok) => (sink ? sink.close(ok) : ok()));
});

/** Waits until the sink has a post to `path` whose body mentions `text`. */
async function posted(path, text, seconds = 40) {
  for (let i = 0; i < seconds * 4; i++) {
    const hit = posts.find((p) => p.url.startsWith(path) && p.body.includes(text));
    if (hit) return hit;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.fail(`no post to ${path} mentioning ${text}; got ${posts.map((p) => p.url).join(", ")}`);
}

/** The demo login of a unit's cadre: YP-JD-DHL → dhl.cadre. */
const cadreOf = (code) => `${code.split("-").pop().toLowerCase()}.cadre`;

for (const vp of VIEWPORTS) {
  test(`${vp.name}: red items, the grid sorted by summary state, one chase to the missing units, robots, a street submits`, async () => {
    const tag = `${vp.name}-${Date.now() % 100000}`;
    const message = `请今天内报送情况汇总表（${tag}）`;

    // 1. The district admin's to-do home leads with red items.
    const d = await newPage(browser, vp);
    await login(d, "admin");
    const reds = d.locator(".todo-item[data-light=red]");
    assert.ok((await reds.count()) > 0, "red items");
    assert.equal(await d.getAttribute(".todo-item >> nth=0", "data-light"), "red", "most urgent first");
    const missingItem = d.locator(".todo-item[data-kind=units_missing]", { hasText: "杨工〔2019〕28号" });
    assert.equal(await missingItem.getAttribute("data-light"), "red");
    assert.ok(await fitsScreen(d), "the to-do home fits the screen");
    await shot(d, "todo-admin", vp);

    // 2. One click opens the grid; the admin sorts it by summary state.
    await Promise.all([d.waitForURL(/\/supervision$/), missingItem.locator("a.button").click()]);
    await Promise.all([d.waitForURL(/sort=summary/), d.click("#sv-grid th a[data-sort=summary]")]);
    assert.equal(await d.getAttribute("#sv-grid th:has(a[data-sort=summary])", "aria-sort"), "ascending");
    const states = await d.locator("#sv-grid tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.summary));
    const rank = ["missing", "draft", "returned", "late", "on_time", "accepted"];
    for (let i = 1; i < states.length; i++) {
      assert.ok(rank.indexOf(states[i - 1]) <= rank.indexOf(states[i]), `sorted: ${states.join(",")}`);
    }
    const missing = d.locator("#sv-grid tbody tr[data-summary=missing]");
    const codes = await missing.evaluateAll((rows) => rows.map((r) => r.dataset.org));
    assert.equal(codes.length, vp.name === "phone" ? 3 : 2, `missing units: ${codes}`);
    assert.ok(states.slice(0, codes.length).every((x) => x === "missing"), "the missing units come first");
    for (const code of codes) {
      assert.match(await d.getAttribute(`#sv-grid tr[data-org='${code}'] td.sv-summary`, "class"), /light-red/);
    }
    await shot(d, "supervision-grid", vp);

    // 3. It chases them in one action, with a message.
    for (const code of codes) await d.check(`#sv-grid tr[data-org='${code}'] input[name=org_ids]`);
    await d.check("input[name=kind][value=report]");
    await d.fill("#chase-message", message);
    await Promise.all([d.waitForURL(/\/supervision/), d.click("#chase-submit")]);
    assert.match(await d.textContent("#chased"), new RegExp(`${codes.length}`));
    for (const code of codes) {
      assert.match(await d.textContent(`#sv-grid tr[data-org='${code}'] td.sv-chases`), /\d/);
    }
    await shot(d, "supervision-chased", vp);

    // 4. The robots of the chased units receive it: WeCom markdown, and
    // DingTalk markdown signed with the robot's secret.
    const wecom = await posted("/wecom/", tag);
    assert.equal(wecom.method, "POST");
    assert.equal(wecom.json.msgtype, "markdown");
    assert.match(wecom.json.markdown.content, /督办/);
    const ding = await posted("/dingtalk/dq-demo-token", tag);
    assert.equal(ding.json.msgtype, "markdown");
    assert.match(ding.json.markdown.title, /督办/);
    const q = new URL(ding.url, "http://sink").searchParams;
    const expected = createHmac("sha256", DINGTALK_SECRET)
      .update(`${q.get("timestamp")}\n${DINGTALK_SECRET}`).digest("base64");
    assert.equal(q.get("sign"), expected, "the DingTalk signature");

    // 5. A cadre of a chased street sees the chase first and submits.
    const street = codes.find((c) => c.startsWith("YP-JD-"));
    const s = await newPage(browser, vp);
    await login(s, cadreOf(street));
    const first = s.locator(".todo-item >> nth=0");
    assert.equal(await first.getAttribute("data-kind"), "chased");
    assert.equal(await first.getAttribute("data-light"), "red");
    assert.match(await first.textContent(), new RegExp(tag));
    await shot(s, "todo-chased", vp);
    await Promise.all([s.waitForURL(/\/summary\/\d+$/), first.locator("a.button").click()]);
    await Promise.all([s.waitForURL(/\/summary\/\d+$/), s.click("#summary-submit")]);
    assert.equal((await s.textContent("#summary-status")).trim(), "待审核");
    await s.goto(`${BASE}/`);
    assert.equal(await s.locator(`.todo-item[data-kind=chased]:has-text("${tag}")`).count(), 0, "the chase is answered");
    assert.deepEqual(s.foreign, []);
    await s.context().close();

    // 6. The grid turns green for that unit.
    await d.reload();
    const cell = `#sv-grid tr[data-org='${street}'] td.sv-summary`;
    assert.match(await d.getAttribute(cell, "class"), /light-green/);
    await shot(d, "supervision-green", vp);
    assert.deepEqual(d.foreign, []);
    await d.context().close();
  });
}
