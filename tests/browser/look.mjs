// Throwaway: screenshots of pages for looking at. Not part of the suite.
import { chromium } from "playwright-core";
const BASE = process.env.QT_BASE;
const [user, ...paths] = process.argv.slice(2);
const b = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
for (const w of [390, 1280]) {
  const ctx = await b.newContext({ viewport: { width: w, height: 900 }, locale: "zh-CN" });
  const p = await ctx.newPage();
  await p.goto(`${BASE}/login`);
  await p.fill("#username", user); await p.fill("#password", "qingting2019");
  await Promise.all([p.waitForURL(`${BASE}/`), p.click("button[type=submit] >> text=登录")]);
  for (const path of paths) {
    await p.goto(BASE + path);
    const name = path.replace(/[^a-z0-9]+/gi, "_");
    await p.screenshot({ path: `/tmp/shots/${name}-${w}.png`, fullPage: true });
  }
  await ctx.close();
}
await b.close();
