// Shared pieces of the browser journeys: Debian's headless Chromium, phone and
// desktop viewports, login, and a guard that nothing loads from outside.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const BASE = process.env.QT_BASE ?? "http://127.0.0.1:8080";
export const SHOTS = process.env.SHOT_DIR ?? "../../target/screenshots";
export const PASSWORD = "qingting2019";
mkdirSync(SHOTS, { recursive: true });

export const VIEWPORTS = [
  { name: "phone", width: 390, height: 844, isMobile: true, hasTouch: true },
  { name: "desktop", width: 1280, height: 860, isMobile: false, hasTouch: false },
];

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"],
  });
}

export async function newPage(browser, vp) {
  const ctx = await browser.newContext({
    viewport: { width: vp.width, height: vp.height }, isMobile: vp.isMobile, hasTouch: vp.hasTouch,
    locale: "zh-CN",
  });
  const p = await ctx.newPage();
  // Offline-ready: any request leaving the server under test fails the journey.
  const foreign = [];
  p.on("request", (r) => { if (!r.url().startsWith(BASE) && !r.url().startsWith("data:")) foreign.push(r.url()); });
  p.foreign = foreign;
  return p;
}

export async function login(p, username) {
  await p.goto(`${BASE}/login`);
  await p.fill("#username", username);
  await p.fill("#password", PASSWORD);
  await Promise.all([p.waitForURL(`${BASE}/`), p.click("button[type=submit] >> text=登录")]);
}

export function shot(p, name, vp) {
  return p.screenshot({ path: join(SHOTS, `${name}-${vp.name}.png`), fullPage: true });
}

export function fitsScreen(p) {
  return p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
}
