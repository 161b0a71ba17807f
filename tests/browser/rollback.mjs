// Rolls a deployed app back from the dashboard: the overview shows the live slot, the app's page
// names the release the button goes to, the button (confirmed) moves traffic, and the overview
// shows the other slot live; then the Switch button (naming the idle slot and its commit) moves
// traffic back; the page's deploy history lists both deploys. Run by tests/agent/dashboard/browser_test.cpp:
//   node rollback.mjs SPEC.json   (SPEC: base, token, out, app, live, sha, previous: {slot, sha})
import { fail, open, run, shoot, signIn, step, text } from "./lib.mjs";

await run(async ({ spec, newPage }) => {
  const page = await newPage();
  await signIn(spec, page, "/");
  const card = async () => text(page, `article.card:has(a[href="/apps/${spec.app}"])`);
  if (!(await card()).includes(`live slot ${spec.live}`)) fail(`overview: ${await card()}`);
  await shoot(spec, page, "overview-app");
  step(`overview shows ${spec.app} live on ${spec.live}`);

  await open(spec, page, `/apps/${spec.app}`);
  const button = await text(page, "form[action$='/rollback'] button");
  const note = await text(page, "form[action$='/rollback'] .muted");
  if (!note.includes(spec.previous.slot) || !note.includes(spec.previous.sha.slice(0, 7)))
    fail(`the rollback button says: ${button} / ${note}`);
  await shoot(spec, page, "app");
  step(`the button says: ${button.trim()} (${note.trim()})`);
  // The deploy history: both deploys, newest first, each live once, with its phases and switch.
  const deploys = await page.$$eval("li.deploy", (items) => items.map((item) => item.textContent));
  if (deploys.length !== 2 || !deploys[0].includes(spec.sha.slice(0, 7)) || !deploys[0].includes("switched") ||
      !deploys[0].includes("verify +") || !deploys[1].includes(spec.previous.sha.slice(0, 7)))
    fail(`the deploy history: ${JSON.stringify(deploys)}`);
  step(`the deploy history lists ${deploys.length} deploys`);
  // The releases say when each was live: the current one since, the one before it until.
  const releases = await page.$$eval("ol.releases li", (items) => items.map((item) => item.textContent));
  if (releases.length !== 2 || !releases[0].includes("live from") || releases[0].includes("until") ||
      !releases[1].includes("until"))
    fail(`the releases: ${JSON.stringify(releases)}`);

  await Promise.all([page.waitForNavigation({ timeout: 120000 }), page.click("form[action$='/rollback'] button")]);
  if (new URL(page.url()).pathname !== `/apps/${spec.app}`) fail(`rollback went to ${page.url()}`);
  await open(spec, page, "/");
  if (!(await card()).includes(`live slot ${spec.previous.slot}`)) fail(`after the rollback: ${await card()}`);
  step(`rolled back: ${spec.app} live on ${spec.previous.slot}`);

  await open(spec, page, `/apps/${spec.app}`);
  const switchNote = await text(page, "form[action$='/switch'] .muted");
  const switchButton = await text(page, "form[action$='/switch'] button");
  if (!switchButton.includes(spec.live) || !switchNote.includes(spec.sha.slice(0, 7)))
    fail(`the switch button says: ${switchButton} / ${switchNote}`);
  await Promise.all([page.waitForNavigation({ timeout: 120000 }), page.click("form[action$='/switch'] button")]);
  if (new URL(page.url()).pathname !== `/apps/${spec.app}`) fail(`switch went to ${page.url()}`);
  await open(spec, page, "/");
  if (!(await card()).includes(`live slot ${spec.live}`)) fail(`after the switch: ${await card()}`);
  step(`switched: ${spec.app} live on ${spec.live} again (${switchButton.trim()})`);
});
