// The storefront's page experience with pagelift, measured in headless Chromium (Debian's, driven by playwright-core)
// on the stand-in storefront (tools/storefront/storefront.mjs) in front of a real `pagelift serve`. Three experiments
// are created and started through the admin API (/api/experiments, with an App Bridge session token signed as Shopify
// signs them) and reach the page through the signed app proxy's /v1/sdk document:
//   - text: the badge [data-pagelift-target="product_page:badge"] gets a text several lines longer than the control's;
//   - css: a style sheet that makes the price larger (pushes everything below it);
//   - block: the trust-badges app block hidden for the control and shown for the variant (autopilot's shape).
// Checks: cumulative layout shift is 0 for a control and a treatment visitor (the variant is applied while the page is
// held, before its first paint: blocks/app-embed.liquid, assets/pagelift.js), and the measurement is live (the same
// changes made after the first paint do shift); a page the style did not hold gets no text or css variant; when the SDK document is late the page shows the original after the hold's
// timeout, without a shift and without an exposure, and the next page view applies the variant; block experiments are
// sticky across a reload and send one exposure; total blocking time with and without pagelift's script differs by
// less than 50 ms (issue 7). The figures are printed and saved to PAGELIFT_TEST_ARTIFACTS/storefront-vitals.json.
//
// Needs PAGELIFT_BINARY and PAGELIFT_TEST_PG_DIR (tests/CMakeLists.txt passes both and requires the postgres fixture).
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {createHmac, randomUUID} from 'node:crypto';
import {cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {eventsDelivered, fixedCatalog, startShopApp, startStorefront} from './storefront-server.mjs';
import {launchBrowser, pgDir, repo, waitFor} from './support.mjs';

const API_KEY = 'vitals-test-key';
const SECRET = 'vitals-test-secret';
const SHOP_DOMAIN = 'vitals-test.myshopify.com';
const SHOP_PUBLIC_ID = 'vitalsshop0001';
const EXTENSION = join(repo, 'extensions/pagelift-theme');
// Long enough to wrap into several lines at a phone's width, where the control's text takes one.
const LONG_TEXT = 'Free shipping on every order today, free returns within 60 days, and a two-year warranty on ' +
                  'every widget: no questions asked, no forms to fill in, no restocking fee.';
const VIEWPORT = {width: 390, height: 844};
// The hold's timeout for the measuring storefront: generous, so that a loaded CI machine still applies the variant
// in time (the late-document test sets a short one).
const GENEROUS_HOLD_MS = 5000;

const artifacts = process.env.PAGELIFT_TEST_ARTIFACTS || join(dirname(pgDir), 'test-artifacts');
mkdirSync(artifacts, {recursive: true});
const dbName = `v_${process.pid}_${Date.now()}`;
const pagelift = createRequire(import.meta.url)(join(EXTENSION, 'assets/pagelift.js'));
const figures = {};

// The trust-badges block renders from its $app metafield (as after the merchant applied the recommendation). The
// shop's $app.experiment_holds is what the app writes for the three experiments below once they run (this stand-in
// storefront has no Shopify the app could write it to).
const catalog = fixedCatalog({shopPublicId: SHOP_PUBLIC_ID, metafields: [{
  namespace: '$app', key: 'trust_badges', type: 'json',
  value: JSON.stringify({heading: 'Why shop with us', badges: [{label: 'Free shipping', icon: 'shipping'},
                                                              {label: '30-day returns', icon: 'returns'}]}),
}], experimentHolds: {targets: ['block:trust_badges', 'product_page:badge', 'product_page:price'],
                      blocks: ['trust_badges']}});

let app;
let appUrl;
let psql;
let storefront;
let browser;
const experiments = {};  // text, css, block -> the experiment as the SDK document lists it

// An App Bridge session token for the test shop (HS256 over the claims Shopify sends; src/shopify/session_token.h).
function sessionToken() {
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${b64({alg: 'HS256', typ: 'JWT'})}.${b64({
    iss: `https://${SHOP_DOMAIN}/admin`, dest: `https://${SHOP_DOMAIN}`, aud: API_KEY, sub: '1', exp: now + 60,
    nbf: now, iat: now, jti: randomUUID(), sid: randomUUID(),
  })}`;
  return `${unsigned}.${createHmac('sha256', SECRET).update(unsigned).digest('base64url')}`;
}

async function api(method, path, body) {
  const response = await fetch(`${appUrl}${path}`, {
    method, body: body && JSON.stringify(body),
    headers: {'Authorization': `Bearer ${sessionToken()}`, 'Content-Type': 'application/json'},
  });
  const json = await response.json();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

async function startExperiment(definition) {
  const {experiment} = await api('POST', '/api/experiments', definition);
  await api('POST', `/api/experiments/${experiment.id}/start`);
  return experiment.id;
}

// A visitor id (UUID-shaped, distinct per `purpose`) that lands in the wanted variant of each experiment:
// arms = {text: 'long', css: 'control', ...}.
function visitorIn(arms, purpose) {
  const prefix = createHmac('sha256', purpose).digest('hex').slice(0, 8);
  for (let i = 0; i < 100000; i++) {
    const id = `${prefix}-0000-4000-8000-${String(i).padStart(12, '0')}`;
    if (Object.entries(arms).every(([name, key]) => {
      const exp = experiments[name];
      return exp.variations[pagelift.assign(exp, id)]?.key === key;
    })) return id;
  }
  throw new Error(`no visitor for ${JSON.stringify(arms)}`);
}

// Installed before any of the page's scripts: layout shifts (with the nodes that moved), long tasks, paints and event
// timings, buffered so that nothing before the observers' start is lost.
function observeVitals() {
  const v = window.__vitals = {cls: 0, shifts: [], longTasks: [], fcp: null, events: []};
  const describe = (node) => (node && node.nodeType === 1
    ? node.nodeName.toLowerCase() + (node.getAttribute('id') ? `#${node.getAttribute('id')}` : '') +
      (node.getAttribute('class') ? `.${node.getAttribute('class').replace(/ /g, '.')}` : '')
    : String(node && node.nodeName));
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.hadRecentInput) continue;
      v.cls += e.value;
      v.shifts.push({value: e.value, at: Math.round(e.startTime), nodes: (e.sources || []).map((s) => describe(s.node))});
    }
  }).observe({type: 'layout-shift', buffered: true});
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) v.longTasks.push({start: e.startTime, duration: e.duration});
  }).observe({type: 'longtask', buffered: true});
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.name === 'first-contentful-paint') v.fcp = e.startTime;
  }).observe({type: 'paint', buffered: true});
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.interactionId) v.events.push({name: e.name, duration: e.duration});
  }).observe({type: 'event', buffered: true, durationThreshold: 16});
}

// A fresh browser context for one visitor (`visitor`: the id pagelift.js finds in localStorage; none: a new one).
async function visitorPage(visitor) {
  const context = await browser.newContext({viewport: VIEWPORT, isMobile: false});
  await context.addInitScript(observeVitals);
  if (visitor) {
    await context.addInitScript((id) => localStorage.setItem('pagelift_vid', JSON.stringify(id)), visitor);
  }
  return {context, page: await context.newPage()};
}

// Waits until pagelift has released the page and applied what it applies, then lets the last frames' layout-shift
// entries arrive (a wait for reporting, not an assertion).
async function settled(page, experimentCount) {
  await page.waitForSelector('html[data-pagelift-ready]', {state: 'attached', timeout: 20000});
  if (experimentCount) {
    await page.waitForFunction((n) => window.pagelift && Object.keys(window.pagelift.experiments).length >= n,
                               experimentCount, {timeout: 20000});
  }
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.waitForTimeout(300);
  return page.evaluate(() => window.__vitals);
}

// What the visitor sees of the three experiments.
function appearance(page) {
  return page.evaluate(() => {
    const block = document.querySelector('[data-pagelift-block="trust_badges"]');
    return {
      badge: document.querySelector('[data-pagelift-target="product_page:badge"]').textContent,
      priceFontSize: getComputedStyle(document.querySelector('.price')).fontSize,
      blockVisibility: getComputedStyle(block).visibility,
      blockHeight: Math.round(block.getBoundingClientRect().height),
      checkoutTop: Math.round(document.querySelector('#checkout').getBoundingClientRect().top),
    };
  });
}

function exposures(anonId) {
  const out = psql(`SELECT experiment_id || '/' || variant FROM events
                    WHERE anon_id = '${anonId}' AND event_type = 'exposure' ORDER BY 1`);
  return out ? out.split('\n') : [];
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

before(async () => {
  app = await startShopApp({dbName, apiKey: API_KEY, secret: SECRET, shopDomain: SHOP_DOMAIN,
                            shopPublicId: SHOP_PUBLIC_ID});
  ({appUrl, psql} = app);
  storefront = await startStorefront({extensionDir: EXTENSION, appUrl, shopDomain: SHOP_DOMAIN,
                                      shopPublicId: SHOP_PUBLIC_ID, secret: SECRET, catalog,
                                      embedSettings: {reveal_timeout_ms: GENEROUS_HOLD_MS}});
  const ids = {
    text: await startExperiment({name: 'Badge wording', target: 'product_page:badge', seed: 'vitals-text',
                                 variants: [{key: 'control'}, {key: 'long', config: {text: LONG_TEXT}}]}),
    css: await startExperiment({name: 'Bigger price', target: 'product_page:price', seed: 'vitals-css',
                                variants: [{key: 'control'}, {key: 'big', config: {
                                  css: '.price { font-size: 3rem; line-height: 1.25; padding: 1rem 0; }'}}]}),
    block: await startExperiment({name: 'Trust badges', target: 'block:trust_badges', seed: 'vitals-block',
                                  variants: [{key: 'control', config: {block: 'trust_badges', show: false}},
                                             {key: 'shown', config: {block: 'trust_badges', show: true}}]}),
  };
  // The SDK document follows the start within seconds (LISTEN/NOTIFY); read it as the page does, through the proxy.
  const document = await waitFor('the three experiments in the SDK document', async () => {
    const response = await fetch(`${storefront.url}/apps/pagelift/v1/sdk/${SHOP_PUBLIC_ID}.json`);
    const doc = response.ok ? await response.json() : {experiments: []};
    return doc.experiments.length === 3 ? doc : null;
  }, 30000);
  for (const [name, id] of Object.entries(ids)) experiments[name] = document.experiments.find((e) => e.key === id);
  browser = await launchBrowser();
});

after(async () => {
  writeFileSync(join(artifacts, 'storefront-vitals.json'), JSON.stringify(figures, null, 2));
  writeFileSync(join(artifacts, 'storefront-vitals-serve.log'), app?.serve.output ?? '');
  await browser?.close();
  await storefront?.close();
  await app?.close();
});

test('no layout shift from a text, a css and a block variant: control and treatment visitors', async () => {
  const arms = {
    control: {text: 'control', css: 'control', block: 'control'},
    treatment: {text: 'long', css: 'big', block: 'shown'},
  };
  const seen = {};
  figures.cls = {};
  for (const [arm, variants] of Object.entries(arms)) {
    const visitor = visitorIn(variants, `cls-${arm}`);
    const {context, page} = await visitorPage(visitor);
    const sdkRequests = () => storefront.proxied.filter((p) => p.path.startsWith('/proxy/v1/sdk/')).length;
    const sdkBefore = sdkRequests();
    await page.goto(`${storefront.url}/products/widget`);
    const vitals = await settled(page, 3);
    // The embed's preload and the script's fetch are one request (the preload matches the fetch's mode).
    assert.equal(sdkRequests() - sdkBefore, 1, 'one request for the SDK document');
    seen[arm] = await appearance(page);
    figures.cls[arm] = {cls: Number(vitals.cls.toFixed(4)), shifts: vitals.shifts, fcp_ms: Math.round(vitals.fcp),
                        ...seen[arm]};
    console.log(`CLS ${arm}: ${vitals.cls.toFixed(4)} ${JSON.stringify(vitals.shifts)}`);
    // Every experiment's variant is the one assigned, applied, and recorded by one exposure.
    assert.deepEqual(await page.evaluate(() => Object.fromEntries(Object.entries(window.pagelift.experiments)
                                                                    .map(([k, v]) => [k, v.variant]))),
                     Object.fromEntries(Object.entries(variants).map(([name, key]) => [experiments[name].key, key])));
    await eventsDelivered(page);
    assert.equal(exposures(visitor).length, 3);
    // Chromium reports layout shifts in fractions of the viewport without sub-pixel noise on this static page (no
    // fonts, no images): anything above 0 is a real move of painted content, so the bar is 0 itself.
    assert.equal(vitals.cls, 0, `${arm}: layout shifts ${JSON.stringify(vitals.shifts)}`);
    await context.close();
  }
  // The variants were really applied (and make a visible difference that would have shifted the page).
  assert.equal(seen.control.badge, 'Free shipping');
  assert.equal(seen.treatment.badge, LONG_TEXT);
  assert.equal(seen.treatment.priceFontSize, '48px');
  assert.notEqual(seen.control.priceFontSize, '48px');
  assert.deepEqual([seen.control.blockVisibility, seen.treatment.blockVisibility], ['hidden', 'visible']);
  assert.equal(seen.control.blockHeight, seen.treatment.blockHeight, 'the hidden block keeps its box');
  assert.ok(seen.treatment.checkoutTop > seen.control.checkoutTop + 20,
            `the treatment's larger price moves what follows (${JSON.stringify(seen)})`);
});

test('the measurement is live: the same changes made after the first paint shift the page', async () => {
  // The page without pagelift, changed the way the treatment changes it, but after it was painted (what a script that
  // swaps text when its document arrives does): the observer must see that.
  const {context, page} = await visitorPage(null);
  await page.goto(`${storefront.url}/products/widget?pagelift=0`);
  await page.waitForFunction(() => window.__vitals.fcp !== null);
  await page.evaluate((text) => new Promise((resolve) => requestAnimationFrame(() => setTimeout(() => {
    document.querySelector('[data-pagelift-target="product_page:badge"]').textContent = text;
    const style = document.createElement('style');
    style.textContent = '.price { font-size: 3rem; line-height: 1.25; padding: 1rem 0; }';
    document.head.appendChild(style);
    resolve();
  }, 100))), LONG_TEXT);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.waitForTimeout(300);  // the entries of the last frames (not an assertion)
  const vitals = await page.evaluate(() => window.__vitals);
  figures.cls.treatment_after_first_paint = {cls: Number(vitals.cls.toFixed(4)), shifts: vitals.shifts};
  console.log(`CLS of the treatment's changes after the first paint: ${vitals.cls.toFixed(4)} ${
    JSON.stringify(vitals.shifts)}`);
  assert.ok(vitals.cls > 0.02, `the late changes shift the page (CLS ${vitals.cls})`);
  await context.close();
});

test('pagelift.js never applies a text or css variant to a page that was not held', async () => {
  // The extension with the app embed's holding style removed: the page is painted at once, so the script leaves the
  // text and css experiments alone (no exposure either) and applies only the block experiment.
  const dir = mkdtempSync(join(tmpdir(), 'pagelift-nohold-'));
  cpSync(EXTENSION, dir, {recursive: true});
  const embed = join(dir, 'blocks/app-embed.liquid');
  const unheld = readFileSync(embed, 'utf8').replace(/<style>[\s\S]*?<\/style>/, '');
  assert.notEqual(unheld, readFileSync(embed, 'utf8'));
  writeFileSync(embed, unheld);
  const unheldStorefront = await startStorefront({
    extensionDir: dir, appUrl, shopDomain: SHOP_DOMAIN, shopPublicId: SHOP_PUBLIC_ID, secret: SECRET, catalog,
    embedSettings: {reveal_timeout_ms: GENEROUS_HOLD_MS},
  });
  try {
    const visitor = visitorIn({text: 'long', css: 'big', block: 'shown'}, 'unheld');
    const {context, page} = await visitorPage(visitor);
    await page.goto(`${unheldStorefront.url}/products/widget`);
    const vitals = await settled(page, 1);
    const seen = await appearance(page);
    assert.equal(seen.badge, 'Free shipping');
    assert.notEqual(seen.priceFontSize, '48px');
    assert.equal(seen.blockVisibility, 'visible');
    assert.equal(vitals.cls, 0, JSON.stringify(vitals.shifts));
    await eventsDelivered(page);
    assert.deepEqual(exposures(visitor), [`${experiments.block.key}/shown`]);
    await context.close();
  } finally {
    await unheldStorefront.close();
    rmSync(dir, {recursive: true, force: true});
  }
});

test('a late SDK document: the original shows after the hold\'s timeout, unshifted and unexposed; the next page applies',
     async () => {
  // A hold of 1 s, and an SDK document that takes 4 s (a wide margin over the hold on a loaded machine).
  const shortHoldStorefront = await startStorefront({
    extensionDir: EXTENSION, appUrl, shopDomain: SHOP_DOMAIN, shopPublicId: SHOP_PUBLIC_ID, secret: SECRET,
    catalog, embedSettings: {reveal_timeout_ms: 1000},
  });
  try {
    const visitor = visitorIn({text: 'long', css: 'big'}, 'late-document');
    const {context, page} = await visitorPage(visitor);
    await page.route('**/apps/pagelift/v1/sdk/**', async (route) => {
      await new Promise((r) => setTimeout(r, 4000));
      await route.continue();
    });
    await page.goto(`${shortHoldStorefront.url}/products/widget`);
    // The document has arrived once the block experiment (applicable at any time) is recorded.
    const vitals = await settled(page, 1);
    const sdk = await page.evaluate(() => performance.getEntriesByType('resource')
      .find((e) => e.name.includes('/v1/sdk/')).responseEnd);
    figures.late_document = {fcp_ms: Math.round(vitals.fcp), sdk_response_end_ms: Math.round(sdk),
                             cls: Number(vitals.cls.toFixed(4))};
    console.log(`late SDK document: ${JSON.stringify(figures.late_document)}`);
    assert.ok(vitals.fcp < sdk, 'the page was painted before the SDK document came');
    assert.equal(vitals.cls, 0, JSON.stringify(vitals.shifts));
    assert.equal((await appearance(page)).badge, 'Free shipping');
    assert.deepEqual(Object.keys(await page.evaluate(() => window.pagelift.experiments)), [experiments.block.key]);
    await eventsDelivered(page);  // the page's events, an exposure of the text or css experiment among them if there were one
    assert.deepEqual(exposures(visitor).map((e) => e.split('/')[0]), [experiments.block.key]);

    // The next page view, with the document in time: the text and css variants apply now, and are exposed now.
    await page.unroute('**/apps/pagelift/v1/sdk/**');
    await page.reload();
    const next = await settled(page, 3);
    assert.equal((await appearance(page)).badge, LONG_TEXT);
    assert.equal(next.cls, 0, JSON.stringify(next.shifts));
    await eventsDelivered(page);
    assert.equal(exposures(visitor).length, 3);
    await context.close();
  } finally {
    await shortHoldStorefront.close();
  }
});

test('block experiments: hidden for one arm, shown for the other, sticky across a reload, exposed once', async () => {
  const blockExp = experiments.block;
  for (const [arm, visibility] of [['control', 'hidden'], ['shown', 'visible']]) {
    const visitor = visitorIn({block: arm}, `block-${arm}`);
    const {context, page} = await visitorPage(visitor);
    await page.goto(`${storefront.url}/products/widget`);
    await settled(page, 3);
    const first = await appearance(page);
    assert.equal(first.blockVisibility, visibility, arm);
    assert.equal(await page.getAttribute('html', `data-pagelift-${blockExp.key}`), arm);
    assert.equal(await page.evaluate(() => localStorage.getItem('pagelift_vid')), JSON.stringify(visitor));
    await eventsDelivered(page);
    assert.ok(exposures(visitor).includes(`${blockExp.key}/${arm}`), arm);

    // Sticky: after a reload the same arm, from the stored assignment, and no second exposure.
    await page.reload();
    await settled(page, 3);
    const again = await appearance(page);
    assert.equal(again.blockVisibility, visibility);
    assert.equal(again.blockHeight, first.blockHeight);
    await eventsDelivered(page);  // the reload's events, a second exposure among them if there were one
    assert.equal(psql(`SELECT count(*) FROM events WHERE anon_id = '${visitor}' AND event_type = 'page_view'`), '2');
    assert.equal(psql(`SELECT count(*) FROM events WHERE anon_id = '${visitor}' AND event_type = 'exposure'
                       AND experiment_id = '${blockExp.key}'`), '1');
    assert.equal(psql(`SELECT variant FROM assignments WHERE anon_id = '${visitor}'
                       AND experiment_id = '${blockExp.key}'`), arm);
    await context.close();
  }
});

// Total blocking time the way Lighthouse defines it: for every long task (> 50 ms, PerformanceObserver 'longtask'),
// the part of it inside the window [first contentful paint, end of loading], minus 50 ms, summed. The end of loading
// is the load event plus a quiet window of QUIET_MS, which covers pagelift's deferred work (the SDK document, the
// exposure, the first delivery of the event queue 2 s after the first event). Also reported: the same sum over the
// whole load (from the navigation's start), since the hold moves the first paint after pagelift's start-up work, and
// the first contentful paint itself (what the hold costs: the SDK document's round trip).
const QUIET_MS = 2500;
const RUNS = 5;

async function loadFigures(url) {
  const {context, page} = await visitorPage(null);
  await page.goto(url, {timeout: 30000});
  await page.waitForFunction((quiet) => {
    const nav = performance.getEntriesByType('navigation')[0];
    return nav && nav.loadEventEnd > 0 && performance.now() > nav.loadEventEnd + quiet;
  }, QUIET_MS, {timeout: 30000, polling: 100});
  const result = await page.evaluate((quiet) => {
    const v = window.__vitals;
    const end = performance.getEntriesByType('navigation')[0].loadEventEnd + quiet;
    const blocking = (from) => v.longTasks.reduce((sum, t) => {
      const clipped = Math.min(t.start + t.duration, end) - Math.max(t.start, from);
      return sum + Math.max(0, clipped - 50);
    }, 0);
    return {tbt: blocking(v.fcp), blockingFromStart: blocking(0), fcp: v.fcp, longTasks: v.longTasks.length,
            pagelift: Boolean(window.pagelift)};
  }, QUIET_MS);
  // Responsiveness (INP-style): the add-to-cart click's event timing (entries under 16 ms are not reported: 0).
  await page.click('#add');
  await page.waitForFunction(() => document.body.dataset.added === '1');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.waitForTimeout(200);
  result.interaction = await page.evaluate(() => Math.max(0, ...window.__vitals.events.map((e) => e.duration)));
  await context.close();
  return result;
}

test('total blocking time with and without pagelift\'s script differs by less than 50 ms', async () => {
  const url = `${storefront.url}/products/widget`;
  const runs = {with: [], without: []};
  for (let i = 0; i < RUNS; i++) {
    // Alternating, so that a burst of load on the machine falls on both sides.
    const order = i % 2 ? ['without', 'with'] : ['with', 'without'];
    for (const side of order) runs[side].push(await loadFigures(side === 'with' ? url : `${url}?pagelift=0`));
  }
  const summary = {};
  for (const side of ['with', 'without']) {
    summary[side] = {
      tbt_ms: median(runs[side].map((r) => r.tbt)),
      blocking_from_start_ms: median(runs[side].map((r) => r.blockingFromStart)),
      fcp_ms: Math.round(median(runs[side].map((r) => r.fcp))),
      long_tasks: median(runs[side].map((r) => r.longTasks)),
      add_to_cart_interaction_ms: median(runs[side].map((r) => r.interaction)),
    };
  }
  figures.tbt = {runs_per_side: RUNS, quiet_ms: QUIET_MS, ...summary, samples: runs};
  console.log(`TBT median with pagelift ${summary.with.tbt_ms} ms, without ${summary.without.tbt_ms} ms; ` +
              `blocking from the navigation's start ${summary.with.blocking_from_start_ms} vs ` +
              `${summary.without.blocking_from_start_ms} ms; FCP ${summary.with.fcp_ms} vs ${summary.without.fcp_ms} ms; ` +
              `add-to-cart interaction ${summary.with.add_to_cart_interaction_ms} vs ` +
              `${summary.without.add_to_cart_interaction_ms} ms`);
  // The page really ran pagelift on one side and not on the other.
  assert.ok(runs.with.every((r) => r.pagelift) && runs.without.every((r) => !r.pagelift));
  assert.ok([...runs.with, ...runs.without].every((r) => r.fcp > 0), 'every load painted');
  assert.ok(Math.abs(summary.with.tbt_ms - summary.without.tbt_ms) < 50, JSON.stringify(summary));
  // The blocking time of the whole load is reported, not asserted: on a CPU-starved machine (2 cores, tests in
  // parallel) every task stretches in wall time, so a few milliseconds of script cross the 50 ms line now and then;
  // on an idle machine both sides are 0. The lead's figures come from an idle machine.
});
