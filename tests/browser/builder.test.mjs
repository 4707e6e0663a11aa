// A cadre builds a questionnaire on the page — a choice question with "other",
// a number with a constraint (typed wrong first: the parse error shows at the
// field), a text question behind a skip rule (renaming the question it reads
// rewrites it), a star rating — keeps the work through a reload, saves, sees
// the phone preview, has a refusal shown at its question, publishes; a worker
// opens the link and the skip rule hides the question.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, VIEWPORTS, launch, newPage, login, shot, fitsScreen } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Adds a question of `kind` at the end of the form; returns its card. */
async function add(p, kind) {
  await p.selectOption("#qb-items > .qb-add select", kind);
  await p.click("#qb-items > .qb-add button");
  const card = p.locator("#qb-items > details.qb-item").last();
  await card.locator("[data-prop=name]").waitFor();
  return card;
}

for (const vp of VIEWPORTS) {
  test(`${vp.name}: build a questionnaire on the page, publish it, the skip rule works`, async () => {
    const p = await newPage(browser, vp);
    const dialogs = [];
    p.on("dialog", (d) => { dialogs.push(d.type()); d.accept(); });
    await login(p, "admin");
    await p.goto(`${BASE}/surveys`);
    await p.fill("#title", `食堂满意度（${vp.name} ${Date.now() % 100000}）`);
    await Promise.all([p.waitForURL(/\/surveys\/\d+$/), p.click("button >> text=创建")]);
    const id = p.url().match(/\/surveys\/(\d+)$/)[1];
    await Promise.all([p.waitForURL(/\/build$/), p.click("a >> text=编辑问卷内容")]);
    await p.waitForSelector(".qb-empty");
    assert.ok(await fitsScreen(p), "the empty builder fits the screen");

    // 1. A single choice with "other, please specify", required.
    let q = await add(p, "select_one");
    await q.locator("[data-prop=name]").fill("worker_group");
    await q.locator("[data-prop=label]").fill("您的职业");
    await q.locator("[data-prop=label-en]").fill("Your job");
    await q.locator("[data-prop=choice-code]").nth(0).fill("courier");
    await q.locator("[data-prop=choice-label]").nth(0).fill("快递员");
    await q.locator("[data-prop=choice-code]").nth(1).fill("food_delivery");
    await q.locator("[data-prop=choice-label]").nth(1).fill("外卖配送员");
    await q.locator(".qb-add-choice").click();
    await q.locator("[data-prop=choice-code]").nth(2).fill("truck_driver");
    await q.locator("[data-prop=choice-label]").nth(2).fill("货车司机");
    await q.locator("label.qb-check >> text=其他").click();
    await q.locator("label.qb-check >> text=选项随机排列").click();
    await q.locator("[data-prop=required]").selectOption("yes");
    assert.equal(await q.locator("[data-prop=choice-code]").count(), 3);

    // The work is kept in the browser: leaving warns, coming back restores it.
    assert.equal((await p.textContent("#qb-dirty")).trim(), "有未保存的修改", "unsaved changes are flagged");
    await p.reload();
    assert.ok(dialogs.includes("beforeunload"), "leaving with unsaved changes warns");
    await p.waitForSelector("#qb-status >> text=已恢复");
    assert.equal(await p.locator("#qb-items > details.qb-item").count(), 1, "restored from localStorage");
    q = p.locator("#qb-items > details.qb-item").first();
    await q.locator("summary").click();
    assert.equal(await q.locator("[data-prop=name]").inputValue(), "worker_group");

    // 2. A whole number with a constraint: a bad expression shows the
    // parser's message at the field; the fixed one clears it.
    q = await add(p, "integer");
    await q.locator("[data-prop=name]").fill("age");
    await q.locator("[data-prop=label]").fill("您的年龄");
    const constraint = q.locator("[data-prop=constraint]");
    await constraint.fill(". >= 16 and");
    const err = q.locator("[data-prop=constraint] + .field-error");
    await err.waitFor({ state: "visible" });
    assert.match(await err.textContent(), /第 12 个字符/);
    assert.equal(await constraint.getAttribute("aria-invalid"), "true");
    await shot(p, "builder-parse-error", vp);
    await constraint.fill(". >= 16 and . <= 70");
    await err.waitFor({ state: "hidden" });
    await q.locator("[data-prop=constraint-message]").fill("年龄应在16到70岁之间");

    // 3. A text question behind a skip rule; a name it does not know is flagged.
    q = await add(p, "text");
    await q.locator("[data-prop=name]").fill("platform");
    await q.locator("[data-prop=label]").fill("您所在的快递公司");
    const relevant = q.locator("[data-prop=relevant]");
    await relevant.fill("${job} = 'courier'");
    const rerr = q.locator("[data-prop=relevant] + .field-error");
    await rerr.waitFor({ state: "visible" });
    assert.match(await rerr.textContent(), /job/);
    await relevant.fill("${worker_group} = 'courier'");
    await rerr.waitFor({ state: "hidden" });
    // Renaming a question rewrites the rules that read it.
    const first = p.locator("#qb-items > details.qb-item").first();
    await first.locator("summary").click();
    await first.locator("[data-prop=name]").fill("job");
    await first.locator("[data-prop=name]").press("Tab");
    const rule = p.locator("details[data-name=platform] [data-prop=relevant]");
    assert.equal(await rule.inputValue(), "${job} = 'courier'");
    await p.locator("#qb-items > details.qb-item").first().locator("[data-prop=name]").fill("worker_group");
    await p.locator("#qb-items > details.qb-item").first().locator("[data-prop=name]").press("Tab");
    assert.equal(await rule.inputValue(), "${worker_group} = 'courier'");

    // 4. A star rating, moved above the text question.
    q = await add(p, "rating");
    await q.locator("[data-prop=name]").fill("score");
    await q.locator("[data-prop=label]").fill("您对食堂的满意度");
    await q.locator("button >> text=上移").click();
    const order = await p.locator("#qb-items > details.qb-item .qb-name").allTextContents();
    assert.deepEqual(order, ["worker_group", "age", "score", "platform"]);

    // 5. Save: a draft version, the phone preview shows it.
    await p.click("#qb-save");
    await p.waitForSelector("#qb-status.ok >> text=已保存");
    assert.equal((await p.textContent("#qb-dirty")).trim(), "已保存", "saved: nothing unsaved");
    const preview = p.frameLocator("#qb-preview");
    await preview.locator("[data-item=worker_group]").waitFor();
    const width = await p.locator("#qb-preview").evaluate((e) => e.getBoundingClientRect().width);
    assert.ok(width > 300 && width <= 390, `a phone-wide preview (${width}px)`);
    // The preview runs the skip rule: no courier, no company question.
    await preview.locator("[data-item=platform]").waitFor({ state: "hidden" });
    assert.ok(await fitsScreen(p), "the builder fits the screen");
    await shot(p, "builder-saved", vp);

    // 6. A server refusal is shown at the question it names: a name taken twice.
    q = await add(p, "date");
    await q.locator("[data-prop=name]").fill("age");
    assert.match(await q.locator("[data-prop=name] + .field-error").textContent(), /已被/);
    await p.click("#qb-save");
    await p.waitForSelector("#qb-status.error");
    await q.locator(".qb-server").waitFor();
    assert.match(await q.locator(".qb-server").textContent(), /age/);
    await shot(p, "builder-refused", vp);
    await q.locator("button >> text=删除").click();
    await p.click("#qb-save");
    await p.waitForSelector("#qb-status.ok >> text=已保存");

    // 7. Publish on the survey page; a worker opens the link.
    await Promise.all([p.waitForURL(`${BASE}/surveys/${id}`), p.click("a >> text=返回问卷页")]);
    await Promise.all([p.waitForURL(/saved=published/), p.click("button >> text=发布草稿")]);
    const link = (await p.textContent("a.mono")).trim();
    const code = link.split("/s/")[1];
    const w = await newPage(browser, vp);
    await w.goto(`${BASE}/s/${code}`);
    await w.waitForSelector("[data-item=worker_group]");
    // Hidden until a courier answers; shown for couriers; hidden for riders.
    await w.locator("[data-item=platform]").waitFor({ state: "hidden" });
    await w.click("label[data-choice=courier]");
    await w.locator("[data-item=platform]").waitFor({ state: "visible" });
    await w.click("label[data-choice=food_delivery]");
    await w.locator("[data-item=platform]").waitFor({ state: "hidden" });
    await w.fill("input[name=age]", "12");
    await w.locator("[data-item=age] .field-error >> text=年龄应在16到70岁之间").waitFor();
    assert.ok(await w.isVisible("[data-item=worker_group] input[value=other]"), "other, please specify");
    const choices = await w.$$eval("[data-item=worker_group] [data-choice]", (els) => els.map((e) => e.getAttribute("data-choice")));
    assert.deepEqual([...choices].sort(), ["courier", "food_delivery", "other", "truck_driver"]);
    assert.equal(choices[3], "other", "shuffled, other last");
    const saved = await (await p.request.get(`${BASE}/api/v1/surveys/${id}/form`)).json();
    assert.equal(saved.items[0].shuffle, true, "the shuffle box was saved");
    await shot(w, "builder-public", vp);
    assert.deepEqual(p.foreign, [], "nothing loaded from outside");
    assert.deepEqual(w.foreign, [], "nothing loaded from outside");
  });
}
