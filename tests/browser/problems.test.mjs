// A street cadre records a visit with two problems on a phone and escalates
// one; the district finds it in its inbox, decides it and tells the worker;
// the feedback shows on the public receipt page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, VIEWPORTS, launch, newPage, login, shot, fitsScreen } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

for (const vp of VIEWPORTS) {
  test(`${vp.name}: record a visit, escalate a problem, the district decides, the worker sees the feedback`, async () => {
    const tag = `${vp.name}-${Date.now() % 100000}`;
    const first = `骑手等餐没有休息的地方（${tag}）`;
    const second = `企业希望协调停车位（${tag}）`;

    // 1. The street cadre records the visit; a reload keeps the draft.
    const p = await newPage(browser, vp);
    await login(p, "dhl.cadre");
    await p.click("nav >> text=走访记录");
    await p.waitForURL(`${BASE}/activities`);
    await p.click("main >> text=记录一次走访");
    await p.waitForURL(`${BASE}/activities/new`);
    const clientId = await p.inputValue("input[name=client_id]");
    const code = await p.$eval("#act-ents option", (o) => o.value);
    await p.fill("#enterprises", code);
    await p.fill("#workers_interviewed", "6");
    await p.fill("#p1-description", first);
    await p.selectOption("#p1-source", "worker");
    await p.selectOption("#p1-topic", "safety");
    await p.selectOption("#p1-group", "food_delivery");
    await p.reload();
    await p.waitForSelector(".draft-note:not([hidden])");
    assert.equal(await p.inputValue("#p1-description"), first, "the draft survives a reload");
    assert.equal(await p.inputValue("input[name=client_id]"), clientId, "with the same client id");
    await p.fill("#p2-description", second);
    await p.selectOption("#p2-source", "enterprise");
    assert.ok(await fitsScreen(p), "the record form fits the screen");
    await shot(p, "activity-form", vp);
    await Promise.all([p.waitForURL(/\/activities\/\d+\?saved=/), p.click("form[data-draft] button[type=submit]")]);
    assert.match(await p.textContent("main"), /已保存/);
    assert.match(await p.textContent("main"), new RegExp(`反映的问题和意见建议（2）`));
    assert.equal(await p.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("qt-draft:")).length), 0,
      "the saved page clears the draft");
    await shot(p, "activity-saved", vp);

    // 2. It escalates the first problem to the district with a reason.
    await Promise.all([p.waitForURL(/\/problems\/\d+$/), p.click(`main a:has-text("${first.slice(0, 8)}")`)]);
    const problemUrl = p.url();
    await p.selectOption("#to_org", { label: "上海市杨浦区总工会" });
    await p.fill("#escalate_reason", "商圈驿站需要区总工会统筹");
    await Promise.all([p.waitForURL(problemUrl), p.click("#escalate button[type=submit]")]);
    assert.match(await p.textContent("main"), /当前办理单位\s*上海市杨浦区总工会/);
    const receipt = (await p.textContent("main a[href^='/receipt/']")).trim();
    assert.match(receipt, /^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    await shot(p, "problem-escalated", vp);
    assert.deepEqual(p.foreign, []);
    await p.context().close();

    // 3. The district finds it in its inbox, decides it and records the feedback.
    const d = await newPage(browser, vp);
    await login(d, "admin");
    await d.goto(`${BASE}/problems/inbox`);
    assert.ok(await fitsScreen(d), "the inbox fits the screen");
    await shot(d, "problem-inbox", vp);
    await Promise.all([d.waitForURL(problemUrl), d.click(`main a:has-text("${first.slice(0, 8)}")`)]);
    await d.check("#decide input[value=solved]");
    await d.fill("#outcome_on", "2019-11-08");
    await d.fill("#outcome_note", "已在五角场商圈设立骑手爱心驿站");
    await Promise.all([d.waitForURL(problemUrl), d.click("#decide button[type=submit]")]);
    assert.match(await d.textContent("h1"), /已经解决或采纳/);
    await d.click("summary:has-text('记录一次反馈')");
    await d.selectOption("#channel", "wechat");
    await d.fill("#body", "驿站已开放，欢迎骑手使用");
    await Promise.all([d.waitForURL(/#feedback$/), d.click("form[action$='/feedback'] button[type=submit]")]);
    assert.match(await d.textContent("main"), /驿站已开放，欢迎骑手使用/);
    await shot(d, "problem-decided", vp);
    await d.context().close();

    // 4. The worker's receipt page shows the outcome and the feedback, no login.
    const w = await newPage(browser, vp);
    await w.goto(`${BASE}/receipt`);
    await w.fill("#code", receipt.toLowerCase());
    await Promise.all([w.waitForURL(`${BASE}/receipt/${receipt}`), w.click("main button[type=submit]")]);
    assert.equal(await w.getAttribute("[data-status]", "data-status"), "solved");
    assert.match(await w.textContent("main"), /驿站已开放，欢迎骑手使用/);
    assert.match(await w.textContent("main"), /已在五角场商圈设立骑手爱心驿站/);
    assert.ok(await fitsScreen(w));
    await shot(w, "receipt", vp);
    await w.context().close();
  });
}
