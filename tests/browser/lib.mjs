// What the browser scenarios share: Debian's chromium launched headless through puppeteer-core
// (never a downloaded browser), pages that turn every console error, script error and CSP
// violation into a problem, screenshots at 1280 and 375 px, and signing in.
import { readFileSync, mkdirSync } from "node:fs";
import puppeteer from "puppeteer-core";

// Reads the scenario's SPEC.json (base, token, out, ...) and starts the browser.
export async function start() {
  const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
  mkdirSync(spec.out, { recursive: true });
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
  });
  const problems = [];
  // A page that reports its problems; `expected` is part of the URL of a request meant to fail
  // (a 404 opened on purpose, a live stream the server refuses).
  const newPage = async (expected = "") => {
    const page = await browser.newPage();
    page.setDefaultTimeout(30000);
    await page.setViewport({ width: 1280, height: 900 });
    page.on("console", (message) => {
      const meant = expected && (message.location().url || "").includes(expected);
      if (message.type() === "error" && !meant) problems.push(`console error on ${page.url()}: ${message.text()}`);
    });
    page.on("pageerror", (error) => problems.push(`script error on ${page.url()}: ${error.message}`));
    page.on("dialog", (dialog) => dialog.accept());
    await page.evaluateOnNewDocument(() => {
      document.addEventListener("securitypolicyviolation", (event) => {
        console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    return page;
  };
  return { spec, browser, problems, newPage };
}

export const step = (text) => console.log("ok: " + text);
export const fail = (text) => { throw new Error(text); };

export async function open(spec, page, path) {
  const answer = await page.goto(spec.base + path, { waitUntil: "load" });
  return answer.status();
}

export async function text(page, selector) {
  return page.$eval(selector, (element) => element.textContent);
}

export async function shoot(spec, page, name) {
  for (const width of [1280, 375]) {
    await page.setViewport({ width, height: width > 800 ? 900 : 800 });
    await page.screenshot({ path: `${spec.out}/${name}-${width}.png`, fullPage: width > 800 });
  }
  await page.setViewport({ width: 1280, height: 900 });
}

// Signs in through the form the page `path` redirects to; ends back on `path`.
export async function signIn(spec, page, path) {
  await open(spec, page, path);
  if (!page.url().includes("/login?next=")) fail(`no sign-in for ${path}: ${page.url()}`);
  await page.type("#token", spec.token);
  await Promise.all([page.waitForNavigation(), page.click("form.login button")]);
  if (new URL(page.url()).pathname !== path) fail(`sign-in went to ${page.url()}`);
}

// Runs `scenario`, then fails on any problem seen; exit code 1 and the reason on failure.
export async function run(scenario) {
  const session = await start();
  try {
    await scenario(session);
    if (session.problems.length) fail(session.problems.join("\n"));
    console.log("passed");
  } catch (error) {
    console.log("FAILED: " + error.message);
    if (session.problems.length) console.log(session.problems.join("\n"));
    process.exitCode = 1;
  } finally {
    await session.browser.close();
  }
}
