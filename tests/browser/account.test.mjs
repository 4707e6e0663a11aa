// The person's own security (issue 14 §4) and the operator's backups (§1):
// a street cadre is logged in on two devices, sees both under 登录设备 with
// this one marked 当前, and signs the other one out, which is at the login page
// on its next click; the national admin (admin of the top-level org) backs up
// now from 数据备份 and sees the run succeed with its archive, while the district
// admin's menu does not offer the page at all.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, VIEWPORTS, launch, newPage, login, shot, fitsScreen } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

for (const vp of VIEWPORTS) {
  test(`a cadre signs out another device (${vp.name})`, async () => {
    const here = await newPage(browser, vp);
    const there = await newPage(browser, vp);
    here.on("dialog", (d) => d.accept());
    await login(there, "dhl.cadre");
    await login(here, "dhl.cadre");
    await here.goto(`${BASE}/account`);
    assert.match(await here.textContent("main"), /上次登录/);
    await Promise.all([here.waitForURL(`${BASE}/account/sessions`), here.click("text=查看和退出登录设备")]);
    const current = here.locator("tr.current");
    assert.equal(await current.count(), 1, "this device is marked");
    assert.match(await current.textContent(), /当前/);
    assert.ok(await fitsScreen(here), "the session list fits the screen");
    await shot(here, "account-sessions", vp);
    const before = await here.locator("table.sessions tbody tr").count();
    assert.ok(before >= 2, `both devices listed (${before})`);
    await Promise.all([here.waitForURL(`${BASE}/account/sessions`), here.click("button:has-text('退出其他所有设备')")]);
    assert.equal(await here.locator("table.sessions tbody tr").count(), 1, "only this device is left");
    await there.goto(`${BASE}/problems`);
    assert.match(there.url(), /\/login/, "the other device is signed out");
    assert.deepEqual(here.foreign, [], "nothing loaded from outside");
    await here.context().close();
    await there.context().close();
  });
}

test("the national admin backs up now; the district admin is not offered the page", async () => {
  const vp = VIEWPORTS[1];
  const district = await newPage(browser, vp);
  await login(district, "admin");
  assert.equal(await district.locator("nav a[href='/admin/backups']").count(), 0);
  await district.context().close();

  const p = await newPage(browser, vp);
  await login(p, "acftu.admin");
  await Promise.all([p.waitForURL(`${BASE}/admin/backups`), p.click("nav a[href='/admin/backups']")]);
  await Promise.all([p.waitForURL(/\/admin\/backups/), p.click("button:has-text('立即备份')")]);
  // The page follows the run in the background and reloads when it is done.
  for (let i = 0; i < 120; i++) {
    if ((await p.locator("[data-backup]").count()) === 0) break;
    await p.waitForTimeout(500);
    await p.reload();
  }
  const last = await p.textContent("dl.fields");
  assert.match(last, /成功/, "the run succeeded");
  assert.match(await p.textContent("main"), /qingting-\d{8}T\d{6}Z(-\d+)?\.zip/, "its archive is listed");
  await shot(p, "backups", vp);
  assert.deepEqual(p.foreign, [], "nothing loaded from outside");
  await p.context().close();
});
