// A running log when the agent has no live stream to spare (`http.max_live_streams` reached, 503):
// the page says it polls, and the log still grows. Run by tests/agent/dashboard/browser_test.cpp:
//   node polling.mjs SPEC.json   (SPEC: base, token, out, run)
import { fail, open, run, signIn, step, text } from "./lib.mjs";

await run(async ({ spec, newPage }) => {
  // The refused stream is the point: its 503 is not a problem.
  const page = await newPage("/log?follow=1");
  await signIn(spec, page, `/runs/${spec.run}`);
  const before = await page.$$eval("#log .line", (lines) => lines.length);
  await page.waitForFunction(() => document.getElementById("live-state").textContent.includes("Polling"));
  await page.waitForFunction((count) => document.querySelectorAll("#log .line").length >= count + 3, {}, before);
  step(`503 on the stream: "${(await text(page, "#live-state")).trim()}", the log grew from ${before} lines`);
  await open(spec, page, `/runs/${spec.run}`);
});
