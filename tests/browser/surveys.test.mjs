// A cadre builds and publishes a questionnaire; a worker scans the link on a
// phone, sees a skip rule hide a question and a constraint message, loses the
// network before submitting (the response waits on the phone), and it arrives
// once the network is back — exactly once. Two questions shuffle their
// choices: "other" stays last and a reload keeps the respondent's order.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, VIEWPORTS, launch, newPage, login, shot, fitsScreen } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const FORM = {
  title: "骑手调查",
  items: [
    { name: "intro", kind: "note", label: "匿名填写，约两分钟。" },
    { item: "group", name: "about", appearance: ["field-list"], label: "基本情况", items: [
      { name: "worker_group", kind: "select_one", choices: "groups", required: true, other: true, shuffle: true, label: "您的职业" },
      { name: "age", kind: "integer", required: true, constraint: ". >= 16 and . <= 70",
        constraint_message: "年龄应在16到70岁之间", label: "您的年龄" },
    ] },
    { item: "group", name: "work", appearance: ["field-list"], label: "工作情况", items: [
      { name: "platform", kind: "text", relevant: "${worker_group} = 'courier'", label: "您所在的快递公司" },
      { name: "topics", kind: "select_multiple", choices: "topics", required: true, shuffle: true, label: "您最关心的问题" },
      { name: "score", kind: { type: "range", start: 1, end: 5, step: 1 }, label: "满意度" },
    ] },
  ],
  choice_lists: [
    { name: "groups", choices: [{ name: "courier", label: "快递员" }, { name: "food_delivery", label: "外卖配送员" }] },
    { name: "topics", choices: [{ name: "wages", label: "工资收入" }, { name: "rest", label: "休息场所" },
      { name: "hours", label: "工作时间" }, { name: "safety", label: "交通安全" }, { name: "insurance", label: "社会保险" },
      { name: "rating", label: "平台评价" }] },
  ],
};

for (const vp of VIEWPORTS) {
  test(`${vp.name}: publish a questionnaire, answer it offline, it arrives once`, async () => {
    // 1. The district admin creates the survey on its page, saves the form as JSON, publishes it.
    const admin = await newPage(browser, vp);
    admin.on("dialog", (d) => d.accept());
    await login(admin, "admin");
    await admin.goto(`${BASE}/surveys`);
    await admin.fill("#title", `骑手调查（${vp.name} ${Date.now() % 100000}）`);
    await Promise.all([admin.waitForURL(/\/surveys\/\d+$/), admin.click("button >> text=创建")]);
    const id = admin.url().match(/\/surveys\/(\d+)$/)[1];
    const put = await admin.request.put(`${BASE}/api/v1/surveys/${id}/form`, { data: FORM });
    assert.equal(put.status(), 200, await put.text());
    await admin.reload();
    await Promise.all([admin.waitForURL(/saved=published/), admin.click("button >> text=发布草稿")]);
    const link = await admin.textContent("a.mono");
    const code = link.trim().split("/s/")[1];
    assert.ok(code && code.length === 12, link);
    await shot(admin, "survey-detail", vp);

    // 2. A worker opens the link: a skip rule and a constraint, live.
    const p = await newPage(browser, vp);
    await p.goto(`${BASE}/s/${code}`);
    assert.ok(await fitsScreen(p), "the filling page fits the screen");
    const shown = (name) => p.$$eval(`[data-item=${name}] [data-choice]`, (els) => els.map((e) => e.getAttribute("data-choice")));
    const groups = await shown("worker_group");
    assert.deepEqual([...groups].sort(), ["courier", "food_delivery", "other"]);
    assert.equal(groups[2], "other", "other stays last");
    const topics = await shown("topics");
    assert.deepEqual([...topics].sort(), ["hours", "insurance", "rating", "rest", "safety", "wages"]);
    await p.click("[data-next]");
    assert.ok(await p.isVisible("[data-item=age] .field-error"), "required, shown on Next");
    await p.click("label[data-choice=courier]");
    await p.fill("input[name=age]", "12");
    assert.equal((await p.textContent("[data-item=age] .field-error")).trim(), "年龄应在16到70岁之间");
    await p.fill("input[name=age]", "28");
    await p.click("[data-next]");
    assert.ok(await p.isVisible("[data-item=platform]"), "couriers are asked their company");
    await p.click("[data-prev]");
    await p.click("label[data-choice=food_delivery]");
    await p.click("[data-next]");
    assert.ok(!(await p.isVisible("[data-item=platform]")), "the skip rule hides it for riders");
    await p.click("label[data-choice=rest]");
    await p.click("[data-item=score] label[data-choice='4']");
    // A reload keeps the answers and the page.
    await p.reload();
    assert.ok(await p.isChecked("[data-item=topics] input[value=rest]"), "answers survive a reload");
    // The server drew the reloaded page for a new instance; the script put
    // the choices back in this respondent's order.
    assert.deepEqual(await shown("topics"), topics, "a reload keeps the order of the choices");
    assert.deepEqual(await shown("worker_group"), groups);
    await shot(p, "survey-fill", vp);

    // 3. The network drops; the response waits on the phone.
    await p.context().setOffline(true);
    await p.click("[data-submit]");
    await p.waitForSelector("#qt-done:not([hidden]) [data-send]:not([hidden])");
    const queued = await p.evaluate(() => JSON.parse(localStorage.getItem("qt-survey-queue") || "[]").length);
    assert.equal(queued, 1, "queued in localStorage");
    await shot(p, "survey-queued", vp);

    // 4. Back online: it is sent, and stored once.
    await p.context().setOffline(false);
    await p.evaluate(() => window.dispatchEvent(new Event("online")));
    await p.waitForFunction(() => JSON.parse(localStorage.getItem("qt-survey-queue") || "[]").length === 0);
    await p.waitForSelector("#qt-done [data-send][hidden]", { state: "attached" });
    assert.match(await p.textContent("#qt-done [data-done-text]"), /已提交/);
    // A second "online" (a flaky network) sends nothing more.
    await p.evaluate(() => window.dispatchEvent(new Event("online")));
    const detail = await admin.request.get(`${BASE}/api/v1/surveys/${id}`);
    const d = await detail.json();
    assert.equal(d.survey.response_count, 1, "exactly one response stored");
    assert.deepEqual(p.foreign, [], "nothing loaded from outside");
    await shot(p, "survey-sent", vp);
  });
}
