// The embedded admin UI end to end, in headless Chromium (Debian's, driven by playwright-core): the simulator
// (`pagelift shopify-sim`) plays the Shopify admin that frames the app and App Bridge that signs session tokens; a real
// `pagelift serve` on a private PostgreSQL database serves /app and /api/*. The first API call installs the shop by
// token exchange against the simulator, exactly as in production. Checks: the page and asset headers; every page
// opens inside the admin frame without a page reload and with no critical axe-core violation; an experiment is
// created (after a 400 the form shows) and started through the UI, and its results and charts render (screenshot
// saved under PAGELIFT_TEST_ARTIFACTS); a 401, 403 and 500 from the API show a readable message; LCP and CLS measured
// with PerformanceObserver stay within Built for Shopify's thresholds (2.5 s, 0.1), and so does INP (200 ms), taken
// from the Event Timing API over real clicks and key presses; Settings reports the app embed (on, then off with the
// theme editor's deep link) and "Sync now" runs a full sync whose progress the page follows. Figures go to
// admin-figures.json under PAGELIFT_TEST_ARTIFACTS.
//
// Needs PAGELIFT_BINARY and PAGELIFT_TEST_PG_DIR (tests/CMakeLists.txt passes both and requires the postgres fixture).
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {createRequire} from 'node:module';
import {freePort, launchBrowser, pgDir, psqlFor, serveEnv, simEnv, startProcess, stop, waitFor,
        waitReady} from './support.mjs';

const API_KEY = 'admin-test-key';
const SECRET = 'admin-test-secret';
const SHOP = 'admin-test.myshopify.com';

const artifacts = process.env.PAGELIFT_TEST_ARTIFACTS || join(dirname(pgDir), 'test-artifacts');
mkdirSync(artifacts, {recursive: true});
const dbName = `a_${process.pid}_${Date.now()}`;
const psql = psqlFor(dbName);
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let sim;
let serve;
let browser;
let appUrl;
let simUrl;
const figures = {};

before(async () => {
  psql(`CREATE DATABASE ${dbName}`, 'postgres');
  const [appPort, simPort] = [await freePort(), await freePort()];
  appUrl = `http://127.0.0.1:${appPort}`;
  simUrl = `http://127.0.0.1:${simPort}`;
  sim = startProcess(['shopify-sim'], simEnv({port: simPort, apiKey: API_KEY, secret: SECRET, appUrl, shop: SHOP}),
                     'the simulator');
  serve = startProcess(['serve'], serveEnv({db: dbName, port: appPort, apiKey: API_KEY, secret: SECRET, simUrl}),
                       'pagelift serve');
  await Promise.all([waitReady(sim, `${simUrl}/_sim/health`), waitReady(serve, `${appUrl}/readyz`)]);
  browser = await launchBrowser();
});

after(async () => {
  writeFileSync(join(artifacts, 'admin-figures.json'), JSON.stringify(figures, null, 2));
  writeFileSync(join(artifacts, 'admin-serve.log'), serve?.output ?? '');
  writeFileSync(join(artifacts, 'admin-sim.log'), sim?.output ?? '');
  await browser?.close();
  await stop(serve);
  await stop(sim);
  try {
    psql(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`, 'postgres');
  } catch (e) {
    // the cluster may already be stopping; the database is throw-away
  }
});

const adminUrl = () => `${simUrl}/${SHOP}/admin/apps/${API_KEY}`;
const appPageUrl = (path = '/app') => `${appUrl}${path}?shop=${SHOP}&host=aG9zdA&embedded=1`;

// axe-core inside a frame (or page); returns the critical violations as "id: target" strings.
async function criticalViolations(frame) {
  if (!(await frame.evaluate(() => typeof window.axe !== 'undefined'))) await frame.evaluate(axeSource);
  const result = await frame.evaluate(async () => {
    const r = await window.axe.run(document, {resultTypes: ['violations']});
    return r.violations.map((v) => ({id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' '))}));
  });
  return {all: result, critical: result.filter((v) => v.impact === 'critical')};
}

test('the page and its assets: no-cache index with frame-ancestors, immutable hashed assets', async () => {
  const page = await fetch(appPageUrl('/app/experiments/new'));
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  assert.equal(page.headers.get('cache-control'), 'no-cache');
  assert.equal(page.headers.get('content-security-policy'),
               `frame-ancestors https://${SHOP} https://admin.shopify.com ${simUrl}`);
  const html = await page.text();
  assert.ok(html.includes(`<script src="${simUrl}/_sim/app-bridge.js" data-api-key="${API_KEY}"></script>`), html);
  assert.ok(html.includes(`<meta name="shopify-api-key" content="${API_KEY}">`));
  const assets = [...html.matchAll(/(?:src|href)="(\/app\/assets\/app-[A-Z0-9]+\.(?:js|css))"/g)].map((m) => m[1]);
  assert.equal(assets.length, 2, `one script and one stylesheet in ${html}`);
  for (const asset of assets) {
    const response = await fetch(`${appUrl}${asset}`, {headers: {'Accept-Encoding': 'gzip'}});
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(response.headers.get('content-encoding'), 'gzip');
    assert.ok((await response.text()).length > 1000);
  }
  assert.equal((await fetch(`${appUrl}/app/assets/app-NOPE.js`)).status, 404);
});

test('every page in the admin frame: no reload, readable states, no critical axe violations', async () => {
  const context = await browser.newContext({viewport: {width: 1280, height: 900}});
  const page = await context.newPage();
  await page.goto(adminUrl());
  const frame = await waitFor('the app frame', () => page.frames().find((f) => f.url().startsWith(`${appUrl}/app`)));
  await frame.waitForSelector('h1:text("Overview")');
  // The first /api call installed the shop by token exchange with the simulator.
  await frame.waitForSelector('text=No experiment is running');
  assert.equal(psql(`SELECT count(*) FROM shops WHERE domain = '${SHOP}' AND access_token_enc IS NOT NULL`), '1');
  await frame.evaluate(() => { window.__sameDocument = true; });

  const report = {};
  for (const [label, heading, ready] of [
    ['Overview', 'Overview', 'text=No experiment is running'],
    ['Recommendations', 'Recommendations', '.Banner, .EmptyState, .Rec'],
    ['Experiments', 'Experiments', 'text=No experiments yet'],
    ['Settings', 'Settings', 'text=Save settings'],
  ]) {
    await frame.click(`nav.Nav >> text=${label}`);
    await frame.waitForSelector(`h1:text("${heading}")`);
    await frame.waitForSelector(ready);
    await frame.waitForFunction(() => !document.querySelector('.Loading'));
    const {all, critical} = await criticalViolations(frame);
    report[label] = all.map((v) => `${v.impact} ${v.id}`);
    assert.deepEqual(critical, [], `${label}: critical axe violations`);
    assert.equal(await frame.evaluate(() => window.__sameDocument), true, `${label} was reached without a reload`);
  }
  figures.axe = report;
  // Settings: a change is saved through PUT /api/settings and confirmed.
  await frame.fill('textarea', 'Warm, plain words; no hype.');
  await frame.click('text=Save settings');
  await frame.waitForSelector('.Toast:text("Settings saved")');
  assert.equal(psql(`SELECT settings->>'brand_voice' FROM shops WHERE domain = '${SHOP}'`), 'Warm, plain words; no hype.');

  // Tracking: the simulator's published theme has pagelift's app embed on.
  await frame.waitForSelector('[data-testid=embed-status] .Badge:text("On")');
  await frame.waitForSelector('[data-testid=events-status]:has-text("None in the last 24 h")');
  // The merchant switches it off; "Check again" asks Shopify again and the page says what to do, with the deep link.
  // Another app's embed block, also named "app-embed", is on meanwhile: it is not pagelift's.
  const setTheme = async (state) => assert.equal((await fetch(`${simUrl}/_sim/shops/${SHOP}/theme`, {
    method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(state),
  })).status, 200);
  const setEmbed = (enabled) => setTheme({app_embed_enabled: enabled});
  await setTheme({app_embed_enabled: false, other_app_embed_enabled: true});
  const recheckUntil = async (what, selector) => waitFor(what, async () => {
    await frame.click('[data-testid=embed-status] button:text-matches("check again", "i")');
    return frame.waitForSelector(selector, {timeout: 2000}).then(() => true, () => false);
  }, 20000);
  await recheckUntil('the embed reported off', '[data-testid=embed-status] .Banner--warning');
  const link = frame.locator('[data-testid=embed-link]');
  assert.equal(await link.getAttribute('href'),
               `https://${SHOP}/admin/themes/current/editor?context=apps&activateAppId=${API_KEY}/app-embed`);
  assert.equal(await link.getAttribute('target'), '_top');
  assert.deepEqual((await criticalViolations(frame)).critical, [], 'embed-off banner: critical axe violations');
  await setEmbed(true);
  await recheckUntil('the embed reported on again', '[data-testid=embed-status] .Badge:text("On")');
  await context.close();
});

test('create and start an experiment through the UI; its results and charts render', async () => {
  const context = await browser.newContext({viewport: {width: 1280, height: 1000}});
  const page = await context.newPage();
  await page.goto(appPageUrl('/app/experiments'));
  await page.click('text=Create your first experiment');
  await page.waitForSelector('h1:text("Create experiment")');
  // The API's 400 (no name) is shown next to the form, with its message.
  await page.click('button:text("Create experiment")');
  await page.waitForSelector('.Banner--critical .ErrorMessage:has-text("name")');
  await page.fill('label:text("Name") >> xpath=.. >> input', 'Buy button wording');
  await page.fill('label:text("Configuration (JSON)") >> nth=1 >> xpath=.. >> textarea', '{"text": "Add to bag"}');
  await page.click('button:text("Create experiment")');
  await page.waitForSelector('h1:text("Buy button wording")');
  await page.waitForSelector('text=This experiment is a draft');
  const id = psql(`SELECT id FROM experiments WHERE name = 'Buy button wording'`);
  assert.match(id, /^[0-9a-f-]{36}$/);
  assert.equal(psql(`SELECT status FROM experiments WHERE id = '${id}'`), 'draft');

  await page.click('button:text("Start")');
  await page.waitForSelector('.Page-actions .Badge:text("Running")');
  await page.waitForSelector('.Toast:has-text("start done")');
  assert.equal(psql(`SELECT status FROM experiments WHERE id = '${id}'`), 'running');

  // Results as the aggregation worker would store them: the variant wins overall and loses on mobile (guarded).
  const rows = [];
  const arm = (variant, segment, metric, n, conversions) =>
    rows.push(`((SELECT shop_id FROM experiments WHERE id = '${id}'), '${id}', '${variant}', '${segment}', '${metric}',
               ${n}, ${conversions}, ${conversions})`);
  for (const [metric, control, variant] of [['purchase_rate', 100, 140], ['view_rate', 1900, 1920],
                                            ['add_to_cart_rate', 400, 470], ['checkout_rate', 180, 230]]) {
    arm('control', '', metric, 2000, control);
    arm('variant', '', metric, 2000, variant);
  }
  arm('control', 'device:mobile', 'purchase_rate', 1200, 70);
  arm('variant', 'device:mobile', 'purchase_rate', 1200, 40);
  arm('control', 'device:desktop', 'purchase_rate', 800, 30);
  arm('variant', 'device:desktop', 'purchase_rate', 800, 100);
  psql(`INSERT INTO results_aggregates (shop_id, experiment_id, variant, segment, metric, n, sum, sum_squares)
        VALUES ${rows.join(',')}`);
  await page.click('text=Refresh results');
  await page.waitForSelector('[data-testid=results] table >> text=7.00%');
  await page.waitForSelector('[data-testid=results] .Chart canvas');  // the posterior of the lift (uPlot)
  await page.waitForSelector('.Row--critical:has-text("Mobile")');   // the guarded segment that loses
  await page.waitForSelector('text=Funnel per variant');
  const funnelCells = await page.locator('.FunnelStep').count();
  assert.equal(funnelCells, 8, 'four funnel steps for each of two variants');
  await page.screenshot({path: join(artifacts, 'admin-experiment-results.png'), fullPage: true});
  const {critical} = await criticalViolations(page.mainFrame());
  assert.deepEqual(critical, [], 'results page: critical axe violations');
  await context.close();
});

test('401, 403 and 500 from the API show a readable message', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // 401: App Bridge hands out a token the server cannot verify; the server's own message is shown.
  await page.route(`${simUrl}/_sim/app-bridge/session-token*`,
                   (route) => route.fulfill({json: {token: 'not.a.token'}, headers: {'Access-Control-Allow-Origin': '*'}}));
  const refused = await (await fetch(`${appUrl}/api/experiments`, {headers: {Authorization: 'Bearer not.a.token'}})).json();
  await page.goto(appPageUrl('/app/experiments'));
  await page.waitForSelector('.Banner--critical:has-text("(401)")');
  assert.ok(await page.isVisible(`.ErrorMessage:text("${refused.error.message}")`), refused.error.message);
  await page.unroute(`${simUrl}/_sim/app-bridge/session-token*`);
  await page.goto(appPageUrl('/app'));  // App Bridge (the stand-in too) keeps a token until it expires: start afresh

  for (const [status, code, message] of [[403, 'forbidden', 'the session token belongs to another shop'],
                                         [500, 'internal', 'the results could not be computed (test)']]) {
    await page.route(`${appUrl}/api/experiments*`,
                     (route) => route.fulfill({status, json: {error: {code, message, details: {}}}}));
    await page.click('text=Overview');
    await page.click('nav.Nav >> text=Experiments');
    await page.waitForSelector(`.Banner--critical:has-text("(${status})")`);
    assert.ok(await page.isVisible(`.ErrorMessage:text("${message}")`), `${status}: ${message}`);
    await page.unroute(`${appUrl}/api/experiments*`);
  }
  // A failed action shows its message in a toast, too.
  await page.route(`${appUrl}/api/settings`, (route) => route.request().method() === 'PUT'
    ? route.fulfill({status: 500, json: {error: {code: 'internal', message: 'settings store is down (test)'}}})
    : route.continue());
  await page.click('nav.Nav >> text=Settings');
  await page.click('text=Save settings');
  await page.waitForSelector('.Toast--error:text("settings store is down (test)")');
  await context.close();
});

// Records LCP, CLS and the Event Timing API's interactions (INP) into window.__vitals from the page's start.
function recordVitals() {
  window.__vitals = {lcp: 0, cls: 0, element: '', interactions: {}, firstInput: null};
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      window.__vitals.lcp = entry.startTime;
      window.__vitals.element = entry.element ? `${entry.element.tagName}.${entry.element.className}` : '';
    }
  }).observe({type: 'largest-contentful-paint', buffered: true});
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__vitals.cls += entry.value;
  }).observe({type: 'layout-shift', buffered: true});
  // INP: the longest interaction, an interaction being every event entry sharing one interactionId.
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (!entry.interactionId) continue;
      const seen = window.__vitals.interactions[entry.interactionId];
      if (!seen || entry.duration > seen.duration) {
        window.__vitals.interactions[entry.interactionId] = {name: entry.name, duration: entry.duration,
                                                             target: entry.target ? entry.target.tagName : ''};
      }
    }
  }).observe({type: 'event', durationThreshold: 16, buffered: true});
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.__vitals.firstInput = {name: entry.name, duration: entry.duration};
  }).observe({type: 'first-input', buffered: true});
}

// The worst interaction so far ({inp_ms, interactions, worst}); the first-input entry proves input was measured.
async function interactionFigures(page) {
  const vitals = await page.evaluate(() => window.__vitals);
  const all = Object.values(vitals.interactions);
  const worst = all.reduce((a, b) => (b.duration > (a?.duration ?? -1) ? b : a), null);
  return {inp_ms: worst ? Math.round(worst.duration) : 0, worst, interactions_over_16ms: all.length,
          first_input: vitals.firstInput};
}

// Resolves once the page has been idle (requestIdleCallback) after the network went quiet.
// Two animation frames: the last interaction has painted, so a screenshot taken next cannot stall that paint and
// lengthen the interaction's measured duration (Event Timing ends at the next paint).
async function painted(page) {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

async function settle(page) {
  await page.waitForLoadState('networkidle');
  await page.evaluate(() => new Promise((r) => requestIdleCallback(() => r(), {timeout: 2000})));
}

test('Overview loads within Built for Shopify thresholds: LCP ≤ 2.5 s, CLS ≤ 0.1', async () => {
  // One load's figures; measured after the page is idle, so the last paint's entries have arrived.
  const measure = async () => {
    const context = await browser.newContext({viewport: {width: 1280, height: 800}});
    try {
      const page = await context.newPage();
      await page.addInitScript(recordVitals);
      await page.goto(appPageUrl('/app'));
      await page.waitForSelector('text=Running experiments');
      await page.waitForFunction(() => !document.querySelector('.Loading'));
      await settle(page);
      const vitals = await page.evaluate(() => window.__vitals);
      const navigation = await page.evaluate(() => performance.getEntriesByType('navigation')[0].toJSON());
      return {lcp_ms: Math.round(vitals.lcp), lcp_element: vitals.element, cls: Number(vitals.cls.toFixed(4)),
              dom_content_loaded_ms: Math.round(navigation.domContentLoadedEventEnd)};
    } finally {
      await context.close();
    }
  };
  const within = (f) => f.lcp_ms > 0 && f.lcp_ms <= 2500 && f.cls <= 0.1;
  // A loaded CI machine can stall one load: the measurement (not the threshold) is taken once more.
  const first = await measure();
  const figure = within(first) ? first : {...(await measure()), first_attempt: first};
  figures.overview = figure;
  console.log(`admin overview: ${JSON.stringify(figure)}`);
  assert.ok(figure.lcp_ms > 0, 'an LCP entry was reported');
  assert.ok(figure.lcp_ms <= 2500, `LCP ${figure.lcp_ms} ms`);
  assert.ok(figure.cls <= 0.1, `CLS ${figure.cls}`);
});

test('apply a recommendation after its preview: the product changes in the simulator; the rollback restores it', async () => {
  // Its own pagelift with workers on: the install's follow-up jobs sync the simulator's catalog and audit it.
  const db = `${dbName}_rec`;
  psql(`CREATE DATABASE ${db}`, 'postgres');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const worker = startProcess(['serve'], serveEnv({db, port, apiKey: API_KEY, secret: SECRET, simUrl, workers: true}),
                              'pagelift serve (workers)');
  const context = await browser.newContext({viewport: {width: 1280, height: 900}});
  try {
    await waitReady(worker, `${url}/readyz`);
    await context.addInitScript(recordVitals);
    const page = await context.newPage();
    // The products as the simulator holds them; updatedAt moves on every write (as on Shopify), so it is left out.
    const simState = async () => JSON.stringify((await (await fetch(`${simUrl}/_sim/shops/${SHOP}/state`)).json()).products,
                                                (key, value) => (key === 'updatedAt' ? undefined : value));
    await page.goto(`${url}/app/settings?shop=${SHOP}&host=aG9zdA&embedded=1`);
    await page.getByLabel('Allow pagelift to edit product fields', {exact: false}).check();
    await page.click('text=Save settings');
    await page.waitForSelector('.Toast:text("Settings saved")');
    const rec = await waitFor('the audit of the synced catalog', () => {
      const row = psql(`SELECT id || '|' || rationale FROM recommendations
                        WHERE status = 'pending' AND patch_payload->>'kind' = 'product_update' ORDER BY rule_id LIMIT 1`, db);
      return row ? {id: row.split('|')[0], rationale: row.slice(row.indexOf('|') + 1)} : null;
    }, 40000);
    const before = await simState();

    await page.click('nav.Nav >> text=Recommendations');
    const card = page.locator('.Rec', {hasText: rec.rationale.slice(0, 60)}).first();
    // Cards name products by their title from the synced catalog, not by their gid.
    const titles = JSON.parse(await simState()).map((p) => p.title);
    const entity = (await card.locator('p.muted.small').first().textContent()).trim();
    assert.ok(titles.some((title) => entity === `Product: ${title}`), `"${entity}" names one of ${titles.join(', ')}`);
    await card.getByRole('button', {name: /Preview and apply/}).click();
    await page.waitForSelector('[role=dialog] .Table');
    await painted(page);
    await page.screenshot({path: join(artifacts, 'admin-apply-preview.png')});
    await page.click('[role=dialog] >> text=Apply change');
    await page.waitForSelector('.Toast:has-text("Applied")');
    // Several products can share a rationale's opening words, so the card applied may be another product's with the
    // same finding: exactly one recommendation is applied, and it is one with that rationale.
    const applied = psql(`SELECT id || '|' || rationale FROM recommendations WHERE status = 'applied'`, db).split('\n');
    assert.equal(applied.length, 1, `one recommendation applied: ${applied}`);
    const appliedId = applied[0].split('|')[0];
    assert.ok(applied[0].slice(applied[0].indexOf('|') + 1).startsWith(rec.rationale.slice(0, 60)));
    const after = await simState();
    assert.notEqual(after, before, 'the product changed in the simulator');

    await page.waitForSelector('button:text("Roll back")');
    await page.click('button:text("Roll back")');
    await page.waitForSelector('.Toast:has-text("Rolled back")');
    assert.equal(psql(`SELECT status FROM patches WHERE recommendation_id = '${appliedId}'`, db), 'rolled_back');
    assert.equal(await simState(), before, 'the simulator is back to the state before the patch');

    // More interactions for INP: a filter changed by keyboard, a preview opened and closed, navigation.
    await page.waitForFunction(() => !document.querySelector('.Loading'));
    await page.getByLabel('Severity').focus();
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction(() => !document.querySelector('.Loading'));
    await page.getByLabel('Severity').focus();
    await page.keyboard.press('ArrowUp');
    await page.locator('.Rec').first().getByRole('button', {name: /Preview and apply|Show the steps/}).click();
    await page.waitForSelector('[role=dialog]');
    await page.click('[role=dialog] >> text=Cancel');
    for (const label of ['Experiments', 'Overview', 'Recommendations']) {
      await page.click(`nav.Nav >> text=${label}`);
      await page.waitForSelector(`h1:text("${label}")`);
    }

    // Sync now: a full sync is queued, the page follows its progress until both kinds are done again.
    const runsBefore = Number(psql(`SELECT count(*) FROM sync_runs WHERE state = 'done'`, db));
    await page.click('nav.Nav >> text=Settings');
    await page.waitForSelector('button:text("Sync now"):not([disabled])');
    await page.click('button:text("Sync now")');
    await page.waitForSelector('.Toast:has-text("Full sync started")');
    await page.waitForSelector('[data-testid=sync-active]');
    await page.waitForSelector('button:text("Syncing…")');
    await page.waitForSelector('button:text("Sync now"):not([disabled])', {timeout: 60000});
    assert.equal(Number(psql(`SELECT count(*) FROM sync_runs WHERE state = 'done'`, db)),
                 runsBefore + 2, 'products and orders synced once more');
    await page.waitForSelector('[data-testid=sync-products] .Badge:text("Done")');
    await page.waitForSelector('[data-testid=sync-orders] .Badge:text("Done")');
    await painted(page);
    await page.screenshot({path: join(artifacts, 'admin-settings-after-sync.png'), fullPage: true});

    await settle(page);
    figures.interactions = await interactionFigures(page);
    console.log(`admin interactions: ${JSON.stringify(figures.interactions)}`);
    assert.ok(figures.interactions.first_input, 'the Event Timing API reported the first input');
    assert.ok(figures.interactions.inp_ms <= 200, `INP ${figures.interactions.inp_ms} ms`);
  } finally {
    await context.close();
    writeFileSync(join(artifacts, 'admin-serve-workers.log'), worker.output);
    await stop(worker);
    try {
      psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`, 'postgres');
    } catch (e) {
      // throw-away
    }
  }
});
