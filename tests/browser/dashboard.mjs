// A tour of a running turnout's dashboard, as a person would take it: signs in, opens every
// page (a screenshot of each at 1280 and 375 px), reruns a run and sees the new one, watches a
// running log grow, cancels a running run, reads a refused delivery, and checks that markup
// from a commit message is text. Run by tests/agent/dashboard/browser_test.cpp:
//   node dashboard.mjs SPEC.json   (SPEC: base, token, out, runs {xss, finished, growing, cancel}, delivery)
import { fail, open, run, shoot, signIn, step, text } from "./lib.mjs";

await run(async ({ spec, newPage }) => {
  const page = await newPage("/runs/999999");
  await open(spec, page, "/login?next=/runs");
  await shoot(spec, page, "login");
  await signIn(spec, page, "/runs");
  step("signed in, back on /runs");
  await shoot(spec, page, "runs");

  if ((await open(spec, page, "/")) !== 200) fail("/ is not 200");
  await shoot(spec, page, "overview");
  step("overview");

  // Markup in a commit message is text: the element holds it, nothing of it ran or rendered.
  await open(spec, page, `/runs/${spec.runs.xss}`);
  const message = await text(page, ".message");
  if (!message.includes("<script>") || !message.includes('"><img src=x onerror=')) fail(`message shown as ${message}`);
  if ((await page.$$("main img")).length !== 0) fail("the commit message made an <img>");
  if (await page.evaluate(() => window.__xss === true)) fail("the commit message ran");
  step("markup in a commit message shows as text");
  // And in a branch's name, on the run's page and in the history.
  for (const path of [`/runs/${spec.runs.markup_branch}`, "/runs"]) {
    await open(spec, page, path);
    const shown = await page.evaluate(() => document.querySelector("main").textContent);
    if (!shown.includes(spec.markup_branch)) fail(`${path} does not show the branch ${spec.markup_branch} as text`);
    if ((await page.$$("main img")).length !== 0) fail(`the branch's name made an <img> on ${path}`);
    if (await page.evaluate(() => window.__xss === true)) fail(`the branch's name ran on ${path}`);
  }
  step("markup in a branch's name shows as text");
  await open(spec, page, `/runs/${spec.runs.xss}`);
  await shoot(spec, page, "run");
  // The dark scheme follows the system's.
  await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "dark" }]);
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  if (background === "rgb(251, 251, 250)") fail("no dark scheme under prefers-color-scheme: dark");
  await shoot(spec, page, "run-dark");
  await page.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "light" }]);
  step(`dark scheme: background ${background}`);

  // Rerun: confirmed, the new run's page shows, and /runs lists it.
  await open(spec, page, `/runs/${spec.runs.finished}`);
  await Promise.all([page.waitForNavigation(), page.click("form[action$='/rerun'] button")]);
  const rerun = Number(new URL(page.url()).pathname.split("/").pop());
  if (!(rerun > spec.runs.finished)) fail(`rerun went to ${page.url()}`);
  if (!(await text(page, "h1")).includes(`Run #${rerun}`)) fail("the new run's page does not show it");
  await open(spec, page, "/runs");
  if (!(await page.$(`a[href="/runs/${rerun}"]`))) fail(`run ${rerun} is not in /runs`);
  step(`rerun of run ${spec.runs.finished} is run ${rerun}, listed`);

  // A running run's log grows live, without reloading.
  await open(spec, page, `/runs/${spec.runs.growing}`);
  const before = await page.$$eval("#log .line", (lines) => lines.length);
  await page.waitForFunction((count) => document.querySelectorAll("#log .line").length >= count + 3, {}, before);
  const state = await text(page, "#live-state");
  if (!state.includes("Live")) fail(`live state says ${state}`);
  step(`the log of run ${spec.runs.growing} grew live from ${before} lines`);
  await shoot(spec, page, "run-live");

  // Cancel: confirmed; the run ends cancelled.
  await open(spec, page, `/runs/${spec.runs.cancel}`);
  await Promise.all([page.waitForNavigation(), page.click("form[action$='/cancel'] button")]);
  for (let i = 0; i < 100 && (await text(page, "h1 .status")).trim() !== "cancelled"; ++i) {
    await new Promise((done) => setTimeout(done, 200));
    await open(spec, page, `/runs/${spec.runs.cancel}`);
  }
  if ((await text(page, "h1 .status")).trim() !== "cancelled") fail(`run ${spec.runs.cancel} was not cancelled`);
  step(`run ${spec.runs.cancel} cancelled`);

  // The refused delivery is listed with its answer.
  await open(spec, page, "/deliveries");
  const body = await text(page, "main");
  if (!body.includes(spec.delivery) || !body.includes("401 rejected")) fail("the refused delivery is not listed");
  step(`refused delivery ${spec.delivery} listed`);
  await shoot(spec, page, "deliveries");

  // Unknown pages are pages too.
  if ((await open(spec, page, "/runs/999999")) !== 404) fail("/runs/999999 is not 404");
  await shoot(spec, page, "not-found");
  step("404 page");

  // Keyboard: the first link of the page takes focus and shows it.
  await open(spec, page, "/");
  await page.keyboard.press("Tab");
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  if (outline === "none") fail("the focused link shows no outline");
  step("focus is visible");
});
