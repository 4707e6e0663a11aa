// Main journeys in Debian's headless Chromium, at phone and desktop widths,
// against a running `qingting serve --demo` (QT_BASE). Screenshots go to SHOT_DIR.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { BASE, SHOTS, VIEWPORTS, launch, newPage, login as logIn, fitsScreen } from "./lib.mjs";

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const page = (vp) => newPage(browser, vp);
const noSideways = fitsScreen;

// Logs in after checking (and photographing) the zh-CN login page.
async function login(p, vp, username) {
  await p.goto(`${BASE}/login`);
  assert.equal(await p.getAttribute("html", "lang"), "zh-CN");
  await p.screenshot({ path: join(SHOTS, `login-${vp.name}.png`), fullPage: true });
  await logIn(p, username);
}

for (const vp of VIEWPORTS) {
  test(`${vp.name}: log in, see the home page, browse the org tree`, async () => {
    const p = await page(vp);
    await login(p, vp, "admin");
    assert.match(await p.textContent("main"), /上海市杨浦区总工会/);
    assert.ok(await noSideways(p), "the home page fits the screen");
    await p.screenshot({ path: join(SHOTS, `home-${vp.name}.png`), fullPage: true });

    await p.click("nav >> text=组织");
    await p.waitForURL(`${BASE}/orgs`);
    const street = p.locator("details[data-children] > summary", { hasText: "定海路街道总工会" });
    await street.locator("span.muted").click();
    await p.waitForSelector("details[open] .children a:has-text('工会')");
    assert.ok(await noSideways(p), "the tree fits the screen");
    await p.screenshot({ path: join(SHOTS, `tree-${vp.name}.png`), fullPage: true });

    await p.fill("input[name=q]", "五角场");
    await Promise.all([p.waitForURL(/q=/), p.press("input[name=q]", "Enter")]);
    assert.match(await p.textContent("main"), /五角场街道总工会/);
    assert.deepEqual(p.foreign, []);
    await p.context().close();
  });

  test(`${vp.name}: switch to English and back`, async () => {
    const p = await page(vp);
    await login(p, vp, "dhl.cadre");
    await Promise.all([p.waitForNavigation(), p.click(".lang-switch button")]);
    assert.equal(await p.getAttribute("html", "lang"), "en");
    assert.match(await p.textContent("nav"), /Organisations/);
    await p.screenshot({ path: join(SHOTS, `home-en-${vp.name}.png`), fullPage: true });
    await Promise.all([p.waitForNavigation(), p.click(".lang-switch button")]);
    assert.equal(await p.getAttribute("html", "lang"), "zh-CN");
    await p.context().close();
  });

  test(`${vp.name}: editing an enterprise with a bad credit code shows the error on the field`, async () => {
    const p = await page(vp);
    await login(p, vp, "dhl.cadre");
    await p.goto(`${BASE}/enterprises`);
    assert.ok(await noSideways(p), "the enterprise list fits the screen");
    await p.screenshot({ path: join(SHOTS, `enterprises-${vp.name}.png`), fullPage: true });
    await p.locator("main table a[href^='/enterprises/']").first().click();
    await p.waitForURL(/\/enterprises\/\d+$/);
    await p.screenshot({ path: join(SHOTS, `enterprise-${vp.name}.png`), fullPage: true });
    await p.locator("a[href$='/edit']").first().click();
    await p.waitForURL(/\/edit$/);
    const code = await p.inputValue("#credit_code");
    // Change the last character: the check digit no longer matches.
    const bad = code.slice(0, 17) + (code[17] === "0" ? "1" : "0");
    await p.fill("#credit_code", bad);
    await Promise.all([p.waitForLoadState("load"), p.locator("form button[type=submit]").last().click()]);
    const err = p.locator("#credit_code ~ .field-error, .field-error").first();
    await err.waitFor();
    assert.match(await err.textContent(), /统一社会信用代码/);
    await p.screenshot({ path: join(SHOTS, `enterprise-error-${vp.name}.png`), fullPage: true });
    await p.context().close();
  });

  // Each width imports its own fixture (three enterprises of 定海路街道, YP-JD-DHL):
  // the demo database is shared between the runs.
  test(`${vp.name}: a street cadre imports enterprises from an XLSX file`, async () => {
    const p = await page(vp);
    await login(p, vp, "dhl.cadre");
    await Promise.all([p.waitForURL(`${BASE}/import`), p.click("nav >> text=导入导出")]);
    assert.equal(await p.inputValue("#kind"), "enterprises");
    assert.ok(await noSideways(p), "the upload page fits the screen");
    await p.screenshot({ path: join(SHOTS, `import-${vp.name}.png`), fullPage: true });

    const fixture = join(FIXTURES, `enterprises-${vp.name}.xlsx`);
    await p.setInputFiles("#file", fixture);
    await p.click("form[data-progress] button[type=submit]");
    await p.waitForSelector("h1:has-text('导入预览')");
    const main = () => p.textContent("main");
    assert.match(await main(), /全部 3 行检查无误，可以导入。/);
    assert.match(await main(), new RegExp(`enterprises-${vp.name}\\.xlsx`));
    assert.equal(await p.locator("main .badge.yes").count(), 3);
    assert.ok(await noSideways(p), "the preview fits the screen");
    await p.screenshot({ path: join(SHOTS, `import-preview-${vp.name}.png`), fullPage: true });

    await Promise.all([p.waitForURL(/\/import\/\d+\/commit$/), p.click("button >> text=确认导入")]);
    await p.waitForSelector("h1:has-text('导入完成')");
    assert.match(await p.textContent("main [role=status]"), /已成功导入 3 行。/);
    assert.ok(await noSideways(p), "the done page fits the screen");
    await p.screenshot({ path: join(SHOTS, `import-done-${vp.name}.png`), fullPage: true });

    // The enterprises are there.
    await Promise.all([p.waitForURL(`${BASE}/enterprises`), p.click("main a >> text=查看")]);
    await p.fill("input[name=q]", "91310110MA7QT");
    await Promise.all([p.waitForURL(/q=/), p.press("input[name=q]", "Enter")]);
    const listed = await main();
    for (const n of vp.name === "phone"
      ? ["定海路测试物流有限公司", "倾听快递服务有限公司", "杨浦新业态网络科技有限公司"]
      : ["定海路示例餐饮管理有限公司", "倾听货运有限公司", "杨浦网约车服务有限公司"]) {
      assert.ok(listed.includes(n), `${n} is listed`);
    }

    // The same file again: every row is refused, with the row and the reason.
    await p.goto(`${BASE}/import`);
    await p.setInputFiles("#file", fixture);
    await p.click("form[data-progress] button[type=submit]");
    await p.waitForSelector("h1:has-text('导入预览')");
    assert.match(await main(), /文件中有错误，未导入任何数据/);
    const reasons = p.locator("main td[data-label='原因']");
    assert.equal(await reasons.count(), 3);
    assert.match(await reasons.first().textContent(), /已经登记过/);
    assert.equal(await p.locator("button >> text=确认导入").count(), 0);
    assert.ok(await noSideways(p), "the error table fits the screen");
    await p.screenshot({ path: join(SHOTS, `import-errors-${vp.name}.png`), fullPage: true });
    assert.deepEqual(p.foreign, []);
    await p.context().close();
  });
}
