// The app page's traffic view in a browser, with JavaScript off (it must be readable without):
// a row per slot, the live one with its share of the requests, its 5xx and its last minute in
// six 10 s stretches; the table scrolls inside its frame at 375 px rather than widening the page.
// Run by tests/agent/dashboard/browser_test.cpp:
//   node traffic.mjs SPEC.json   (SPEC: base, token, out, app, live, idle, requests)
import { fail, open, run, shoot, signIn, step } from "./lib.mjs";

await run(async ({ spec, newPage }) => {
  const page = await newPage();
  await signIn(spec, page, `/apps/${spec.app}`);
  await page.setJavaScriptEnabled(false);
  await open(spec, page, `/apps/${spec.app}`);
  const rows = await page.$$eval("table.traffic tbody tr", (trs) =>
    trs.map((tr) => ({
      cells: [...tr.querySelectorAll("td")].map((td) => td.textContent.trim()),
      share: tr.querySelector("meter") ? Number(tr.querySelector("meter").value) : null,
      series: [...tr.querySelectorAll("ol.series li")].map((li) => li.textContent.trim()),
    })),
  );
  if (rows.length !== 2) fail(`traffic rows: ${JSON.stringify(rows)}`);
  const [live, idle] = rows;
  if (live.cells[0] !== `${spec.live} (live)` || idle.cells[0] !== `${spec.idle} (idle)`)
    fail(`slots: ${live.cells[0]} / ${idle.cells[0]}`);
  if (live.share !== 1 || live.cells[1] !== "100%" || idle.share !== 0)
    fail(`split: ${live.cells[1]} (${live.share}) / ${idle.cells[1]} (${idle.share})`);
  if (live.cells[2] !== String(spec.requests)) fail(`live requests: ${live.cells[2]}`);
  if (live.series.length !== 6) fail(`last minute: ${JSON.stringify(live.series)}`);
  const seen = live.series.reduce((sum, stretch) => sum + parseInt(stretch, 10), 0);
  if (seen !== spec.requests) fail(`the stretches add up to ${seen}, not ${spec.requests}`);
  if (!live.series.join(" ").includes("5xx")) fail(`no 5xx in the last minute: ${live.series}`);
  step(`live ${live.cells.slice(1, 4).join(" | ")}; last minute ${live.series.join(" · ")}`);

  await shoot(spec, page, "app-traffic");
  await page.setViewport({ width: 375, height: 800 });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  if (wide) fail("the traffic table widens the page at 375 px");
  step("readable without JavaScript, no wider than 375 px");
});
