import { launch, newPage, login, VIEWPORTS } from "./lib.mjs";
const [user, path, name] = process.argv.slice(2);
const b = await launch();
for (const vp of VIEWPORTS) {
  const p = await newPage(b, vp);
  await login(p, user);
  if (path !== "/") await p.goto(process.env.QT_BASE + path);
  await p.screenshot({ path: `/work/shots/${name}-${vp.name}.png`, fullPage: true });
  await p.context().close();
}
await b.close();
