// The storefront's shop id end to end, in headless Chromium: a real `pagelift serve` with its workers, the simulator
// (`pagelift shopify-sim`) as Shopify, and the stand-in storefront rendering the theme app extension from the
// simulator's data with NO shop id given to it (the app embed's block setting left empty, no --public-id stand-in).
// Installing the shop (its first /api call: token exchange) runs shop_installed, which queues storefront_metafields;
// that job writes $app.shop_public_id on the shop in the simulator (src/shopify/storefront_metafields.h). The product
// page then carries that id (snippets/pagelift-config.liquid), and pagelift.js fetches the shop's SDK document with it
// through the app proxy, which the app answers for that shop.
//
// Needs PAGELIFT_BINARY and PAGELIFT_TEST_PG_DIR (tests/CMakeLists.txt passes both and requires the postgres fixture).
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {mkdirSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {freePort, launchBrowser, pgDir, psqlFor, serveEnv, simEnv, startProcess, stop, waitFor,
        waitReady} from './support.mjs';
import {simulatorCatalog, startStorefront} from '../../tools/storefront/storefront.mjs';

const API_KEY = 'shop-id-test-key';
const SECRET = 'shop-id-test-secret';
const SHOP = 'shop-id-test.myshopify.com';

const artifacts = process.env.PAGELIFT_TEST_ARTIFACTS || join(dirname(pgDir), 'test-artifacts');
mkdirSync(artifacts, {recursive: true});
const dbName = `sid_${process.pid}_${Date.now()}`;
const psql = psqlFor(dbName);

let sim;
let serve;
let storefront;
let browser;
let simUrl;
let appUrl;

const simState = async () => (await fetch(`${simUrl}/_sim/shops/${SHOP}/state`)).json();

before(async () => {
  psql(`CREATE DATABASE ${dbName}`, 'postgres');
  const [appPort, simPort] = [await freePort(), await freePort()];
  appUrl = `http://127.0.0.1:${appPort}`;
  simUrl = `http://127.0.0.1:${simPort}`;
  sim = startProcess(['shopify-sim'], simEnv({port: simPort, apiKey: API_KEY, secret: SECRET, appUrl, shop: SHOP,
                                              products: 3, orders: 0}), 'the simulator');
  serve = startProcess(['serve'], serveEnv({db: dbName, port: appPort, apiKey: API_KEY, secret: SECRET, simUrl,
                                            workers: true}), 'pagelift serve (workers)');
  await Promise.all([waitReady(sim, `${simUrl}/_sim/health`), waitReady(serve, `${appUrl}/readyz`)]);
  storefront = await startStorefront({appUrl, shopDomain: SHOP, secret: SECRET, catalog: simulatorCatalog(simUrl, SHOP)});
  browser = await launchBrowser();
});

after(async () => {
  writeFileSync(join(artifacts, 'storefront-shop-id-serve.log'), serve?.output ?? '');
  await browser?.close();
  await storefront?.close();
  await stop(serve);
  await stop(sim);
  try {
    psql(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`, 'postgres');
  } catch (e) {
    // the cluster may already be stopping; the database is throw-away
  }
});

test('after install, the app embed gets the shop id from the metafield the app wrote, with the block setting empty',
     async () => {
  const {products} = await simState();
  const productUrl = `${storefront.url}/products/${products[0].handle}`;
  // Before the install the store has no shop id: the page carries none.
  const pageConfig = async () => {
    const html = await (await fetch(productUrl)).text();
    return JSON.parse(html.match(/<script type="application\/json" id="pagelift-config">([\s\S]*?)<\/script>/)[1]);
  };
  assert.equal((await pageConfig()).shop, '');

  // The merchant opens the app: its first /api call exchanges App Bridge's session token and installs the shop.
  const {token} = await (await fetch(`${simUrl}/_sim/shops/${SHOP}/session-token`, {method: 'POST'})).json();
  const shop = await fetch(`${appUrl}/api/shop`, {headers: {Authorization: `Bearer ${token}`}});
  assert.equal(shop.status, 200, await shop.text());
  const publicId = psql(`SELECT public_id FROM shops WHERE domain = '${SHOP}'`);
  assert.ok(publicId);

  // The install's jobs write the shop's app-owned metafield in the simulator.
  const written = await waitFor('the $app.shop_public_id metafield', async () => (await simState()).metafields.find(
      (m) => m.key === 'shop_public_id' && m.ownerId.startsWith('gid://shopify/Shop/')), 60000);
  assert.equal(written.namespace, `app--${API_KEY}`);
  assert.equal(written.value, publicId);

  // The page carries it, and pagelift.js fetches the shop's SDK document with it through the app proxy.
  assert.equal((await pageConfig()).shop, publicId);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const sdk = page.waitForResponse((r) => r.url().includes(`/apps/pagelift/v1/sdk/${publicId}.json`));
    await page.goto(productUrl);
    const response = await sdk;
    assert.equal(response.status(), 200);
    assert.equal((await response.json()).shop, publicId);
    assert.equal(await page.evaluate(() => JSON.parse(document.getElementById('pagelift-config').textContent).shop),
                 publicId);
  } finally {
    await context.close();
  }
});
