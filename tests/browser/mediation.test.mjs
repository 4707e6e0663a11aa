// The big mediation on a phone and a desk: a street cadre records an oral
// application on the spot, starts mediating, records an agreement first
// without the seal (it does not take effect), then the seal: the agreement is
// valid and its 调解协议书 downloads as a Word document.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, VIEWPORTS, launch, newPage, login, shot, fitsScreen } from "./lib.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

for (const vp of VIEWPORTS) {
  test(`${vp.name}: an oral application is mediated to a valid agreement and its DOCX`, async () => {
    const tag = `${vp.name}${Date.now() % 100000}`;
    const p = await newPage(browser, vp);
    await login(p, "dhl.cadre");
    await p.goto(`${BASE}/mediation/new`);
    await p.check("#intake-oral");
    await p.fill("#oral_applicant", "王志强，男，42岁，快递员，电话13812345678");
    await p.fill("#oral_reasons", "公司以业绩不达标为由扣发工资");
    await p.fill("#oral_recorded_at", "2026-11-20T10:30");
    await p.fill("#received_on", "2026-11-20");
    await p.fill("#workers", `王志强${tag}`);
    await p.fill("#employer_name", "上海某速递有限公司");
    await p.selectOption("#dispute_type", "wage_arrears");
    await p.fill("#matter", "扣发2026年10月工资");
    await p.fill("#amount", "6,800");
    await p.fill("#mediator", "陆建华");
    assert.ok(await fitsScreen(p), "the intake form fits the screen");
    await shot(p, "mediation-new", vp);
    await Promise.all([p.waitForURL(/\/mediation\/\d+/), p.click("form button[type=submit]:has-text('保存')")]);
    const url = p.url().replace(/\?.*$/, "");
    let main = await p.textContent("main");
    assert.match(main, new RegExp(`王志强${tag}`));
    assert.match(main, /已受理/);

    // Mediation begins; an agreement without the seal is pending, not valid.
    await Promise.all([p.waitForNavigation(), p.click("#begin button[type=submit]")]);
    assert.match(await p.textContent("main"), /调解中/);
    await p.click("#agree summary");
    await p.fill("#terms", "公司于2026年12月5日前补发工资6,800元");
    await p.fill("#agree_amount", "6,800");
    for (const name of ["signed_workers", "signed_employer", "signed_mediator"]) {
      await p.check(`#agree input[name=${name}]`);
    }
    await Promise.all([p.waitForNavigation(), p.click("#agree button[type=submit]")]);
    main = await p.textContent("main");
    assert.match(main, /协议待生效/);
    assert.equal(await p.locator(`a[href$="/agreement.docx"]`).count(), 0, "no document before it is valid");

    // The seal makes it valid; the document downloads.
    await p.check("#sign input[name=sealed]");
    await Promise.all([p.waitForNavigation(), p.click("#sign button[type=submit]")]);
    assert.match(await p.textContent("main"), /达成协议/);
    await shot(p, "mediation-agreed", vp);
    const [download] = await Promise.all([p.waitForEvent("download"), p.click(`a[href$="/agreement.docx"]`)]);
    assert.match(download.suggestedFilename(), /\.docx$/);
    const chunks = [];
    for await (const c of await download.createReadStream()) chunks.push(c);
    const docx = Buffer.concat(chunks);
    assert.equal(docx.subarray(0, 2).toString(), "PK", "a zip (OOXML) file");
    assert.ok(url.includes("/mediation/"));
    await p.context().close();
  });
}
