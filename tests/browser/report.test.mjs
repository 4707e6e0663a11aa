// The national federation writes a short special report: a part with a
// heading, text and a chart of the programme's survey picked in the editor
// and previewed, saves it, reads it with the chart drawn on the server, and
// downloads the PDF.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, VIEWPORTS, launch, newPage, login, shot, fitsScreen } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

for (const vp of VIEWPORTS) {
  test(`${vp.name}: write a special report with a chart, read it and download the PDF`, async () => {
    const tag = `${vp.name}-${Date.now() % 100000}`;
    const p = await newPage(browser, vp);
    await login(p, "acftu.admin");

    // The list shows the demo's reports; a new one is made from its form.
    await p.goto(`${BASE}/reports`);
    assert.ok(await p.locator("#report-list tbody tr").count() >= 4, "the demo's reports are listed");
    await shot(p, "report-list", vp);
    await p.fill("#n-title", `快递员专题调研报告（${tag}）`);
    await p.selectOption("#n-group", "courier");
    await Promise.all([p.waitForURL(/\/reports\/\d+\/edit$/), p.click("#report-create")]);
    const id = p.url().match(/\/reports\/(\d+)\/edit$/)[1];

    // The editor: a heading, text and a chart of the survey's income question.
    await p.waitForSelector("#s0-heading");
    await p.fill("#s0-heading", "一、收入变化");
    await p.fill("#s0-text", "快递员反映收入与去年相比变化不大。");
    await p.click("#s0-add-element");
    await p.waitForSelector("#pk-survey option", { state: "attached" });
    await p.selectOption("#pk-survey", { label: "新就业形态劳动者专题调查（全总蹲点工作组，2021年）" });
    await p.waitForSelector("#pk-question option[value=income_change]", { state: "attached" });
    await p.selectOption("#pk-question", "income_change");
    await p.selectOption("#pk-group", "courier");
    await p.click("#pk-preview");
    await p.waitForSelector(".report-picker svg.report-chart");
    await shot(p, "report-editor", vp);
    assert.ok(await fitsScreen(p), "the editor fits the screen");
    await p.click("#pk-add");
    await p.waitForSelector(".report-element-label");
    await p.click("#report-save");
    await p.waitForFunction(() => document.querySelector("#report-save-status")?.textContent === "已保存");

    // The report reads with its chart and the link to its evidence.
    await p.goto(`${BASE}/reports/${id}`);
    await p.waitForSelector("svg.report-chart");
    assert.match(await p.textContent("#report-body"), /一、收入变化/);
    const evidence = await p.getAttribute(".report-evidence", "href");
    assert.match(evidence, /\/surveys\/\d+\/analysis\?group=courier#q-income_change$/);
    assert.ok(await fitsScreen(p), "the report fits the screen");
    await shot(p, "report-view", vp);

    const [download] = await Promise.all([p.waitForEvent("download"), p.click("#report-pdf")]);
    assert.match(download.suggestedFilename(), /^report-\d+-\d+\.pdf$/);
    const stream = await download.createReadStream();
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    const pdf = Buffer.concat(chunks);
    assert.equal(pdf.subarray(0, 4).toString(), "%PDF");
    assert.ok(pdf.length > 5000);

    // The evidence opens the analysis with the same filter.
    await p.goto(`${BASE}${evidence}`);
    await p.waitForSelector("#q-income_change");
    assert.deepEqual(p.foreign, []);
  });
}
