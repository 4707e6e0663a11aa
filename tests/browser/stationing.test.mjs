// The seed 002 programme of the demo: the national admin compares the fifteen
// work groups; a group leader opens the group's page and records a study
// session in its log; the activity form is one link away with the programme
// and the group chosen.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, VIEWPORTS, launch, newPage, login, shot, fitsScreen } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

for (const vp of VIEWPORTS) {
  test(`${vp.name}: compare the work groups, open one, record a study session`, async () => {
    const tag = `${vp.name}-${Date.now() % 100000}`;

    // 1. The national admin opens the programme from the campaign list.
    const n = await newPage(browser, vp);
    await login(n, "acftu.admin");
    await n.goto(`${BASE}/campaigns`);
    await Promise.all([n.waitForURL(/\/campaigns\/\d+$/), n.click("main a:has-text('全总机关干部赴基层蹲点活动')")]);
    assert.match(await n.textContent("main"), /蹲点活动/);
    await Promise.all([n.waitForURL(/\/campaigns\/\d+\/groups$/), n.click("#groups-link")]);
    const rows = n.locator("table.stationing-table tbody tr");
    assert.equal(await rows.count(), 15, "fifteen work groups");
    const main = await n.textContent("main");
    assert.match(main, /湖南工作组/);
    assert.match(main, /陕西工作组/);
    assert.match(await n.textContent("table.stationing-table tfoot"), /19,724/, "the valid questionnaires of all groups");
    assert.ok(await fitsScreen(n), "the comparison fits the screen");
    await shot(n, "stationing-programme", vp);
    await n.context().close();

    // 2. The 湖南 leader opens the group's page: members with duties, the leader's visit.
    const p = await newPage(browser, vp);
    await login(p, "hunan.leader");
    await p.goto(`${BASE}/campaigns`);
    await Promise.all([p.waitForURL(/\/campaigns\/\d+$/), p.click("main a:has-text('全总机关干部赴基层蹲点活动')")]);
    await Promise.all([p.waitForURL(/\/campaigns\/\d+\/groups$/), p.click("#groups-link")]);
    assert.equal(await p.locator("table.stationing-table tbody tr").count(), 1, "a host sees its own group");
    await Promise.all([p.waitForURL(/\/work-groups\/\d+$/), p.click("main a:has-text('湖南工作组')")]);
    const page = await p.textContent("main");
    assert.match(page, /组长/);
    assert.match(page, /蔡振华/);
    assert.match(page, /临时党支部/);
    assert.ok(await fitsScreen(p), "the group page fits the screen");
    await shot(p, "stationing-group", vp);

    // 3. It records a study session.
    const subject = `临时党支部学习：党史学习教育（${tag}）`;
    await p.click("#add-study summary");
    await p.fill("#s-held_on", "2021-06-22");
    await p.fill("#s-subject", subject);
    await p.fill("#s-attendees", "4");
    await p.fill("#s-remarks", "组内交流蹲点调研体会");
    await shot(p, "stationing-study-form", vp);
    await Promise.all([p.waitForURL(/saved=studies/), p.click("#add-study button[type=submit]")]);
    assert.match(await p.textContent("#studies + ul, main"), new RegExp(subject.replace(/[()（）]/g, ".")));
    await shot(p, "stationing-study-saved", vp);

    // 4. "Record an activity for this group" opens the form with the programme and the group chosen.
    await Promise.all([p.waitForURL(/\/activities\/new\?/), p.click("#record-activity")]);
    const campaign = await p.inputValue("#campaign_id");
    const group = await p.inputValue("#work_group_id");
    assert.ok(campaign !== "" && group !== "", "programme and group preselected");
    assert.match(await p.textContent("#work_group_id option:checked"), /湖南工作组/);
    assert.ok(await fitsScreen(p), "the activity form fits the screen");
    assert.deepEqual(p.foreign, []);
    await p.context().close();
  });
}
