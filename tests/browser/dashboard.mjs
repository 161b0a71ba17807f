// Drives Debian's headless chromium through a running turnout's dashboard, as a person would:
// signs in, opens every page (a screenshot of each at 1280 and 375 px), reruns a run and sees
// the new one, cancels a running run, watches a running log grow, reads a refused delivery,
// and checks that markup from a commit message is text. Any console error or CSP violation
// fails it. Run by tests/agent/dashboard/browser_test.cpp:
//   node dashboard.mjs SPEC.json   (SPEC: base, token, out, runs {...}, delivery, app)
// Prints one line per check; exits 1 naming the first failure.
import { readFileSync, mkdirSync } from "node:fs";
import puppeteer from "puppeteer-core";

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const problems = [];
const step = (text) => console.log("ok: " + text);
const fail = (text) => { throw new Error(text); };
mkdirSync(spec.out, { recursive: true });

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
});

async function newPage() {
  const page = await browser.newPage();
  page.setDefaultTimeout(20000);
  page.on("console", (message) => {
    // The 404 page the test opens on purpose is reported as a resource that failed to load.
    const expected = (message.location().url || "").endsWith("/runs/999999");
    if (message.type() === "error" && !expected) problems.push(`console error on ${page.url()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`script error on ${page.url()}: ${error.message}`));
  page.on("dialog", (dialog) => dialog.accept());
  // A CSP violation is reported on the document; turn it into a problem.
  await page.evaluateOnNewDocument(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  return page;
}

async function shoot(page, name) {
  for (const width of [1280, 375]) {
    await page.setViewport({ width, height: width > 800 ? 900 : 800 });
    await page.screenshot({ path: `${spec.out}/${name}-${width}.png`, fullPage: width > 800 });
  }
  await page.setViewport({ width: 1280, height: 900 });
}

async function open(page, path) {
  const answer = await page.goto(spec.base + path, { waitUntil: "load" });
  return answer.status();
}

async function text(page, selector) {
  return page.$eval(selector, (element) => element.textContent);
}

try {
  const page = await newPage();
  await page.setViewport({ width: 1280, height: 900 });

  // Sign in: the page asked for comes back.
  await open(page, "/runs");
  if (!page.url().includes("/login?next=")) fail(`no sign-in for /runs: ${page.url()}`);
  await shoot(page, "login");
  await page.type("#token", spec.token);
  await Promise.all([page.waitForNavigation(), page.click("form.login button")]);
  if (new URL(page.url()).pathname !== "/runs") fail(`sign-in went to ${page.url()}`);
  step("signed in, back on /runs");
  await shoot(page, "runs");

  if ((await open(page, "/")) !== 200) fail("/ is not 200");
  await shoot(page, "overview");
  step("overview");

  // Markup in a commit message is text: the element holds it, nothing of it ran or rendered.
  await open(page, `/runs/${spec.runs.xss}`);
  const message = await text(page, ".message");
  if (!message.includes("<script>") || !message.includes('"><img src=x onerror=')) fail(`message shown as ${message}`);
  if ((await page.$$("main img")).length !== 0) fail("the commit message made an <img>");
  if (await page.evaluate(() => window.__xss === true)) fail("the commit message ran");
  step("markup in a commit message shows as text");
  await shoot(page, "run");

  // Rerun: confirmed, the new run's page shows.
  await open(page, `/runs/${spec.runs.finished}`);
  await Promise.all([page.waitForNavigation(), page.click("form[action$='/rerun'] button")]);
  const rerun = Number(new URL(page.url()).pathname.split("/").pop());
  if (!(rerun > spec.runs.finished)) fail(`rerun went to ${page.url()}`);
  if (!(await text(page, "h1")).includes(`Run #${rerun}`)) fail("the new run's page does not show it");
  await open(page, "/runs");
  if (!(await page.$(`a[href="/runs/${rerun}"]`))) fail(`run ${rerun} is not in /runs`);
  step(`rerun of run ${spec.runs.finished} is run ${rerun}, listed`);

  // A running run's log grows live, without reloading.
  await open(page, `/runs/${spec.runs.growing}`);
  const before = await page.$$eval("#log .line", (lines) => lines.length);
  await page.waitForFunction((count) => document.querySelectorAll("#log .line").length >= count + 3, {}, before);
  const state = await text(page, "#live-state");
  if (!state.includes("Live")) fail(`live state says ${state}`);
  step(`the log of run ${spec.runs.growing} grew live from ${before} lines`);
  await shoot(page, "run-live");

  // Cancel: confirmed; the run ends cancelled.
  await open(page, `/runs/${spec.runs.cancel}`);
  await Promise.all([page.waitForNavigation(), page.click("form[action$='/cancel'] button")]);
  for (let i = 0; i < 100; ++i) {
    if ((await text(page, "h1 .status")).trim() === "cancelled") break;
    await new Promise((done) => setTimeout(done, 200));
    await open(page, `/runs/${spec.runs.cancel}`);
  }
  if ((await text(page, "h1 .status")).trim() !== "cancelled") fail(`run ${spec.runs.cancel} was not cancelled`);
  step(`run ${spec.runs.cancel} cancelled`);

  // The refused delivery is listed with its answer.
  await open(page, "/deliveries");
  const row = await page.$(`tr:has(code)`);
  const body = await text(page, "main");
  if (!row || !body.includes(spec.delivery) || !body.includes("401")) fail("the refused delivery is not listed");
  step(`refused delivery ${spec.delivery} listed`);
  await shoot(page, "deliveries");

  if (spec.app) {
    if ((await open(page, `/apps/${spec.app}`)) !== 200) fail(`/apps/${spec.app} is not 200`);
    await shoot(page, "app");
    step(`app ${spec.app}`);
  }

  // Unknown pages are pages too.
  if ((await open(page, "/runs/999999")) !== 404) fail("/runs/999999 is not 404");
  await shoot(page, "not-found");
  step("404 page");

  // Keyboard: the first link of the page takes focus and shows it.
  await open(page, "/");
  await page.keyboard.press("Tab");
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  if (outline === "none") fail("the focused link shows no outline");
  step("focus is visible");

  if (problems.length) fail(problems.join("\n"));
  console.log("passed");
} catch (error) {
  console.log("FAILED: " + error.message);
  if (problems.length) console.log(problems.join("\n"));
  process.exitCode = 1;
} finally {
  await browser.close();
}
