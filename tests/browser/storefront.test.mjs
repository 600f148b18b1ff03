// The storefront script end to end, in headless Chromium (Debian's, driven by playwright-core): a product page
// rendered from the theme app extension by a stand-in storefront (storefront-server.mjs), events sent through the app
// proxy to a real `pagelift serve` on a private PostgreSQL database. A shopper views a product, adds it to the cart,
// loses the network while events happen, comes back and reloads, then checks out: every event arrives exactly once,
// the cart carries the visitor id, and the visitor gets one sticky experiment variant. A second test checks that
// nothing is tracked before consent, and that a text experiment waits for the next page once the page was shown. A
// third shows that only a running experiment's target holds a page before its first paint: with none, the page is
// painted before the (delayed) script runs; with one, it is painted only once the variant is applied.
//
// Needs PAGELIFT_BINARY and PAGELIFT_TEST_PG_DIR (the test cluster's directory, whose `env` file names the socket);
// tests/CMakeLists.txt passes both and requires the postgres fixture.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {join} from 'node:path';
import {createRequire} from 'node:module';
import {PRODUCT, eventsDelivered, fixedCatalog, startShopApp, startStorefront} from './storefront-server.mjs';
import {launchBrowser, repo, waitFor} from './support.mjs';

const SECRET = 'browser-test-secret';
const SHOP_DOMAIN = 'browser-test.myshopify.com';
const SHOP_PUBLIC_ID = 'browsershop0001';

const dbName = `b_${process.pid}_${Date.now()}`;
const pagelift = createRequire(import.meta.url)(join(repo, 'extensions/pagelift-theme/assets/pagelift.js'));
const EXPERIMENT = {
  key: '5d1b7a52-6f3c-4f0e-9a51-7c2b0e8d9f10', seed: 'badge-seed', hashVersion: 2, bucketVersion: 1,
  target: 'product_page:badge', weights: [0.5, 0.5], coverage: 1,
  variations: [{key: 'control', config: {}}, {key: 'urgent', config: {text: 'Free shipping, today only'}}],
};

// The visitor's stored events, as "type" or "type:note" strings, sorted.
function storedEvents(anonId) {
  const out = psql(`SELECT event_type || coalesce(':' || (props->>'note'), '') FROM events
                    WHERE anon_id = '${anonId.replace(/'/g, "''")}' ORDER BY 1`);
  return out ? out.split('\n') : [];
}

let app;
let psql;
let storefront;
let browser;

before(async () => {
  app = await startShopApp({dbName, apiKey: 'browser-test-key', secret: SECRET, shopDomain: SHOP_DOMAIN,
                            shopPublicId: SHOP_PUBLIC_ID});
  psql = app.psql;
  storefront = await startStorefront({extensionDir: join(repo, 'extensions/pagelift-theme'), appUrl: app.appUrl,
                                      shopDomain: SHOP_DOMAIN, shopPublicId: SHOP_PUBLIC_ID, secret: SECRET,
                                      sdkDocument: {shop: SHOP_PUBLIC_ID, experiments: [EXPERIMENT]},
                                      // The shop's $app.experiment_holds as the app writes it for EXPERIMENT running.
                                      catalog: fixedCatalog({shopPublicId: SHOP_PUBLIC_ID,
                                                             experimentHolds: {targets: [EXPERIMENT.target]}}),
                                      // A long hold, so that a loaded machine still applies the variant before the
                                      // first paint (storefront-vitals.test.mjs tests the hold's timeout).
                                      embedSettings: {reveal_timeout_ms: 5000}});
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await storefront?.close();
  await app?.close();
});

test('view, add to cart, offline events, reload, checkout: every event stored exactly once', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const productUrl = `${storefront.url}/products/widget?utm_source=newsletter&utm_campaign=spring`;
  await page.goto(productUrl);
  const anonId = await page.waitForFunction(() => window.pagelift && window.pagelift.anonId).then((h) => h.jsonValue());
  assert.match(anonId, /^[0-9a-f-]{36}$/);

  await waitFor('page_view, product_view and exposure', () => storedEvents(anonId).length === 3);

  // The experiment: the visitor's variant is the one GrowthBook's hashing gives, applied to the marked element and
  // recorded by one exposure event.
  const variant = EXPERIMENT.variations[pagelift.assign(EXPERIMENT, anonId)];
  assert.equal(await page.getAttribute('html', `data-pagelift-${EXPERIMENT.key}`), variant.key);
  assert.equal(await page.textContent('[data-pagelift-target="product_page:badge"]'),
               variant.config.text || 'Free shipping');
  const exposure = psql(`SELECT experiment_id || '/' || variant FROM events
                         WHERE anon_id = '${anonId}' AND event_type = 'exposure'`);
  assert.equal(exposure, `${EXPERIMENT.key}/${variant.key}`);
  const productView = JSON.parse(psql(`SELECT row_to_json(e) FROM (SELECT product_id, session_id, props FROM events
                                       WHERE anon_id = '${anonId}' AND event_type = 'product_view') e`));
  assert.equal(productView.product_id, String(PRODUCT.id));
  assert.equal(productView.props.variant_id, PRODUCT.variantId);
  assert.equal(productView.props.value, PRODUCT.price / 100);
  assert.equal(productView.props.currency, PRODUCT.currency);
  assert.equal(productView.props.utm_source, 'newsletter');
  assert.equal(productView.props.device, 'desktop');

  // The theme's AJAX add to cart; the script sees the /cart/add.js response and tags the cart with the visitor.
  await page.click('#add');
  await page.waitForFunction(() => document.body.dataset.added === '1');
  await waitFor('add_to_cart', () => storedEvents(anonId).includes('add_to_cart'));
  const addToCart = JSON.parse(psql(`SELECT props FROM events WHERE anon_id = '${anonId}'
                                     AND event_type = 'add_to_cart'`));
  assert.equal(addToCart.variant_id, PRODUCT.variantId);
  assert.equal(addToCart.quantity, 1);
  assert.equal(addToCart.value, PRODUCT.price / 100);
  assert.ok(addToCart.cart_token, 'add_to_cart carries the cart token');
  const cart = await waitFor('the visitor id in the cart attributes',
                             () => [...storefront.carts.values()].find((c) => c.attributes._pagelift_vid));
  assert.equal(cart.attributes._pagelift_vid, anonId);
  assert.equal(cart.token, addToCart.cart_token);

  // Offline: events are kept in the local queue, nothing reaches the collector.
  await context.setOffline(true);
  await page.evaluate(() => {
    window.pagelift.track('page_view', {note: 'offline-1'});
    window.pagelift.track('page_view', {note: 'offline-2'});
  });
  await page.waitForTimeout(2500);  // past the 2 s flush interval
  const queued = await page.evaluate(() => JSON.parse(localStorage.getItem('pagelift_queue')).length);
  assert.equal(queued, 2);
  assert.equal(storedEvents(anonId).length, 4);

  // Back online: the queue is flushed; then a reload (page_view + product_view again, same visitor and session).
  await context.setOffline(false);
  await waitFor('the offline events', () => storedEvents(anonId).length === 6);
  await page.reload();
  assert.equal(await page.waitForFunction(() => window.pagelift && window.pagelift.anonId).then((h) => h.jsonValue()),
               anonId);
  await waitFor('the reload events', () => storedEvents(anonId).length === 8);
  // Sticky: the same variant after the reload, and no second exposure.
  assert.equal(await page.getAttribute('html', `data-pagelift-${EXPERIMENT.key}`), variant.key);

  // Checkout: the click is recorded and handed to sendBeacon as the page goes away.
  await page.click('#checkout');
  await page.waitForURL('**/checkout');
  await waitFor('begin_checkout', () => storedEvents(anonId).includes('begin_checkout'));
  await page.waitForTimeout(500);

  assert.deepEqual(storedEvents(anonId), [
    'add_to_cart', 'begin_checkout', 'exposure', 'page_view', 'page_view', 'page_view:offline-1', 'page_view:offline-2',
    'product_view', 'product_view',
  ]);
  assert.equal(psql(`SELECT count(*) - count(DISTINCT event_id) FROM events WHERE anon_id = '${anonId}'`), '0');
  assert.equal(psql(`SELECT count(DISTINCT session_id) FROM events WHERE anon_id = '${anonId}'`), '1');
  // Everything went through the signed app proxy; the SDK document does not exist yet and was a harmless 404.
  assert.ok(storefront.proxied.some((p) => p.path === '/proxy/v1/collect' && p.status === 200));
  assert.ok(storefront.proxied.every((p) => p.path !== '/proxy/v1/collect' || p.status === 200),
            JSON.stringify(storefront.proxied));
  await context.close();
});

test('with consent required, nothing is tracked until the visitor allows analytics; a failed delivery is retried',
     async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${storefront.url}/products/widget?consent=1`);
  await page.waitForLoadState('load');
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.pagelift === undefined), true);
  assert.equal(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('pagelift')).length), 0);
  assert.equal(await page.evaluate(() => document.cookie.includes('_pagelift_vid')), false);

  // The first delivery after consent meets a 503: the batch stays queued and is retried after a backoff.
  const since = Date.now();  // requests of the first test may still be being relayed: look only at newer ones
  storefront.control.failCollects = 1;
  await page.evaluate(() => document.dispatchEvent(new CustomEvent('visitorConsentCollected',
                                                                   {detail: {analyticsAllowed: true}})));
  const anonId = await page.waitForFunction(() => window.pagelift && window.pagelift.anonId).then((h) => h.jsonValue());
  await waitFor('events after consent', () => storedEvents(anonId).length === 2);
  // The stand-in proxy logs a forwarded request once it has relayed pagelift's answer, which can be a moment after
  // the rows are visible in PostgreSQL (on a loaded machine, long enough to matter): wait for the log, do not race it.
  const collects = () => storefront.proxied.filter((p) => p.at >= since && p.path === '/proxy/v1/collect');
  await waitFor('the retried delivery to be answered', () => collects().some((p) => p.status === 200));
  const [failed, retried] = collects();
  assert.deepEqual([failed.status, retried.status], [503, 200], JSON.stringify(collects()));
  // Retried only after the backoff, which honours the 503's Retry-After (1 s).
  assert.ok(retried.at - failed.at >= 1000, `retried after ${retried.at - failed.at} ms`);
  // The page was shown before the consent came: the text experiment is not applied to it any more (that would move
  // what the visitor already sees), so there is no exposure on this page, whatever the visitor's variant.
  await eventsDelivered(page);
  assert.deepEqual(storedEvents(anonId), ['page_view', 'product_view']);
  assert.equal(await page.getAttribute('html', `data-pagelift-${EXPERIMENT.key}`), null);
  // The next page view, with the consent remembered by Shopify's privacy API, applies the variant and exposes it.
  await context.addInitScript(() => {
    window.Shopify = {customerPrivacy: {analyticsProcessingAllowed: () => true}};
  });
  await page.reload();
  await waitFor('the exposure on the next page view', () => storedEvents(anonId).includes('exposure'));
  const variant = EXPERIMENT.variations[pagelift.assign(EXPERIMENT, anonId)];
  assert.equal(await page.getAttribute('html', `data-pagelift-${EXPERIMENT.key}`), variant.key);
  await context.close();
});

test('the SDK document reaches the storefront through the signed app proxy', async () => {
  const response = await fetch(`${storefront.url}/apps/pagelift/v1/sdk`);
  assert.equal(response.status, 200);
  const document = await response.json();
  assert.equal(document.shop, SHOP_PUBLIC_ID);
  assert.deepEqual(document.experiments, []);
  assert.ok(storefront.proxied.some((p) => p.path === '/proxy/v1/sdk' && p.status === 200));
});

test('only a running experiment holds the page: without one it is painted before the script runs, with one only ' +
     'once the variant is applied', async () => {
  // The same page (it has the badge marked data-pagelift-target), on a shop with no running experiment: the app
  // wrote empty holds and its SDK document lists nothing.
  const idle = await startStorefront({extensionDir: join(repo, 'extensions/pagelift-theme'), appUrl: app.appUrl,
                                      shopDomain: SHOP_DOMAIN, shopPublicId: SHOP_PUBLIC_ID, secret: SECRET,
                                      sdkDocument: {shop: SHOP_PUBLIC_ID, experiments: []},
                                      catalog: fixedCatalog({shopPublicId: SHOP_PUBLIC_ID,
                                                             experimentHolds: {targets: [], blocks: []}}),
                                      embedSettings: {reveal_timeout_ms: 5000}});
  // When the first contentful paint and <html data-pagelift-ready> happened, with pagelift.min.js held back 1.5 s
  // (a slow script: well within the 5 s hold, well over a page's own paint).
  const visit = async (url) => {
    const context = await browser.newContext();
    await context.addInitScript(() => {
      new MutationObserver(() => {
        if (window.__readyAt == null && document.documentElement.hasAttribute('data-pagelift-ready')) {
          window.__readyAt = performance.now();
        }
      }).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-pagelift-ready']});
    });
    const page = await context.newPage();
    await page.route('**/assets/pagelift.min.js', async (route) => {
      await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
    });
    await page.goto(url);
    await page.waitForSelector('html[data-pagelift-ready]', {state: 'attached', timeout: 20000});
    const fcp = await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime)
      .then((h) => h.jsonValue());
    const readyAt = await page.evaluate(() => window.__readyAt);
    const held = await page.evaluate(() => document.querySelector('style')?.textContent ?? '');
    return {context, page, fcp, readyAt, held};
  };
  try {
    const unheld = await visit(`${idle.url}/products/widget`);
    assert.equal(unheld.held, '', 'no holding style without a running experiment');
    assert.ok(unheld.fcp < unheld.readyAt, `painted at ${unheld.fcp} ms, before the script was ready at ` +
              `${unheld.readyAt} ms`);
    assert.equal(await unheld.page.textContent('[data-pagelift-target="product_page:badge"]'), 'Free shipping');
    await unheld.context.close();

    const held = await visit(`${storefront.url}/products/widget`);
    assert.match(held.held, /body:has\(\[data-pagelift-target="product_page:badge"\]\)/);
    assert.ok(held.fcp >= held.readyAt, `painted at ${held.fcp} ms, not before the script was ready at ` +
              `${held.readyAt} ms`);
    // Revealed with the visitor's variant applied.
    const anonId = await held.page.waitForFunction(() => window.pagelift && window.pagelift.anonId)
      .then((h) => h.jsonValue());
    const variant = EXPERIMENT.variations[pagelift.assign(EXPERIMENT, anonId)];
    assert.equal(await held.page.getAttribute('html', `data-pagelift-${EXPERIMENT.key}`), variant.key);
    assert.equal(await held.page.textContent('[data-pagelift-target="product_page:badge"]'),
                 variant.config.text || 'Free shipping');
    assert.equal(await held.page.evaluate(() => getComputedStyle(document.body).visibility), 'visible');
    await held.context.close();
  } finally {
    await idle.close();
  }
});
