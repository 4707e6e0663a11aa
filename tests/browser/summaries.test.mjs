// A street union opens its computed summary table, marks its main problems
// and submits; the district sees it on time and returns it with a reason on
// one line; the street revises and resubmits; the district accepts it and
// downloads the roll-up workbook.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, VIEWPORTS, launch, newPage, login, shot, fitsScreen } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** A JSON call from the logged-in page (the session cookie, same origin). */
async function call(p, method, path, body) {
  return p.evaluate(async ([method, path, body]) => {
    const res = await fetch(path, {
      method, headers: { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: await res.json().catch(() => null) };
  }, [method, path, body]);
}

for (const vp of VIEWPORTS) {
  test(`${vp.name}: compute, mark main problems, submit, return a line, resubmit, accept, download the roll-up`, async () => {
    const tag = `${vp.name}-${Date.now() % 100000}`;
    const [a, b, c] = [`食堂晚班没有热饭（${tag}）`, `夜班骑手缺少休息点（${tag}）`, `企业希望工会协调停车位（${tag}）`];

    // The district issues a campaign with a deadline still ahead.
    const d = await newPage(browser, vp);
    await login(d, "admin");
    let r = await call(d, "POST", "/api/v1/campaigns", {
      title: `年终走访汇总（${tag}）`, doc_number: `杨工〔2026〕${tag}号`, starts_on: "2026-11-01",
      ends_on: "2026-12-31", report_due_on: "2099-12-31", kinds: ["street"],
    });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    const id = r.json.campaign.id;
    r = await call(d, "POST", `/api/v1/campaigns/${id}/status`, { status: "active" });
    assert.equal(r.status, 200);

    // The street records a symposium with three problems and decides them.
    const s = await newPage(browser, vp);
    await login(s, "dhl.cadre");
    r = await call(s, "POST", "/api/v1/activities", {
      client_id: `sum-${tag}`, campaign_id: id, kind: "symposium", held_on: "2026-11-20",
      participants: 12, frontline_workers: 8,
      problems: [
        { source: "worker", topic: "wages", description: a },
        { source: "worker", topic: "safety", description: b },
        { source: "enterprise", topic: "other", description: c },
      ],
    });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    const ids = r.json.problems;
    const decide = [
      { action: "decide", outcome: "solved", outcome_on: "2026-11-21", outcome_note: "食堂增设晚班窗口" },
      { action: "decide", outcome: "in_progress", outcome_on: "2027-03-31", outcome_note: "与商圈协调驿站" },
      { action: "decide", outcome: "planned", outcome_on: "2027-06-30" },
    ];
    for (const [i, body] of decide.entries()) {
      r = await call(s, "POST", `/api/v1/problems/${ids[i]}/transition`, body);
      assert.equal(r.status, 200, JSON.stringify(r.json));
    }

    // 1. The street opens its table: the figures come from the records.
    await s.goto(`${BASE}/campaigns/${id}`);
    await Promise.all([s.waitForURL(/\/summary\/\d+$/), s.click("tr:has-text('定海路') a.summary-link")]);
    const unitUrl = s.url();
    assert.equal((await s.textContent("#line-participants td.num")).trim(), "12");
    assert.equal((await s.textContent("#line-symposiums td.num")).trim(), "1");
    await shot(s, "summary-unit", vp);
    // Drill down: the figure is the record behind it.
    await Promise.all([s.waitForURL(/records\?drill=participants/), s.click("#line-participants td.num a")]);
    assert.equal((await s.textContent("#drill-figure")).trim(), "12");
    await s.goBack();

    // 2. It marks the main problems, the night-shift one first, and submits.
    const box = (text) => `#pick-worker .pick-row:has-text("${text}")`;
    await s.check(`${box(b)} input[type=checkbox]`);
    await s.check(`${box(a)} input[type=checkbox]`);
    await s.fill(`${box(b)} input.order`, "1");
    await s.fill(`${box(a)} input.order`, "2");
    await Promise.all([s.waitForURL(unitUrl), s.click("#summary-submit")]);
    assert.equal((await s.textContent("#summary-status")).trim(), "待审核");
    const firstItem = await s.textContent("tbody tr.item >> nth=0");
    assert.match(firstItem, /夜班骑手缺少休息点/, "the chosen order");
    assert.ok(await fitsScreen(s), "the page itself fits; the form scrolls inside its frame");

    // 3. The district sees it on time and returns it with a reason on one line.
    await d.goto(`${BASE}/campaigns/${id}/summaries`);
    const row = d.locator("#summary-units tr[data-org='YP-JD-DHL']");
    assert.match(await row.textContent(), /按时/);
    assert.match(await row.textContent(), /待审核/);
    await shot(d, "summary-overview", vp);
    await Promise.all([d.waitForURL(/\/versions\/1$/), row.locator("a[href$='/versions/1']").click()]);
    await d.fill("input[name=line_participants]", "参加座谈人数请与签到表核对");
    await shot(d, "summary-return", vp);
    await Promise.all([d.waitForURL(/\/versions\/1$/), d.click("#summary-return")]);
    assert.equal((await d.textContent("#version-decision")).trim(), "已退回");

    // 4. The street sees the reason beside the line, corrects the figure and resubmits.
    await s.goto(unitUrl);
    assert.equal((await s.textContent("#summary-status")).trim(), "已退回");
    assert.match(await s.textContent("#line-participants .line-reason"), /签到表/);
    await s.fill("#override_participants", "15");
    await s.fill("#reason_participants", "另有3人线上参加");
    await Promise.all([s.waitForURL(unitUrl), s.click("#summary-submit")]);
    assert.equal((await s.textContent("#summary-status")).trim(), "待审核");
    assert.match(await s.textContent("#line-participants"), /另有3人线上参加/);
    assert.equal(await s.locator("#summary-versions tbody tr").count(), 2, "both versions are kept");
    assert.deepEqual(s.foreign, []);
    await s.context().close();

    // 5. The district accepts version 2 and downloads the roll-up workbook.
    await d.goto(`${BASE}/campaigns/${id}/summaries`);
    await Promise.all([d.waitForURL(/\/versions\/2$/), row.locator("a[href$='/versions/2']").click()]);
    await Promise.all([d.waitForURL(/\/versions\/2$/), d.click("#summary-accept")]);
    assert.equal((await d.textContent("#version-decision")).trim(), "已接收");
    await d.goto(`${BASE}/campaigns/${id}/summaries`);
    assert.match(await row.textContent(), /已接收/);
    const [download] = await Promise.all([d.waitForEvent("download"), d.click("#download-rollup")]);
    assert.match(download.suggestedFilename(), /^summary-\d+-rollup-.*\.xlsx$/);
    const stream = await download.createReadStream();
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const bytes = Buffer.concat(chunks);
    assert.equal(bytes.subarray(0, 2).toString(), "PK", "an XLSX is a zip");
    assert.ok(bytes.length > 4000);
    assert.deepEqual(d.foreign, []);
    await d.context().close();
  });
}
