// The shop id the storefront page gives pagelift.js (extensions/pagelift-theme/snippets/pagelift-config.liquid), read
// as a real store reads it: from the app-owned shop metafield $app.shop_public_id the app writes at install
// (src/shopify/storefront_metafields.h), which the simulator stores under the resolved namespace app--{client id} on
// the Shop. The stand-in storefront's simulatorCatalog is fed the simulator's /_sim/shops/{shop}/state shape by a
// stub here; tests/browser/storefront-shop-id.test.mjs runs the real app and simulator end to end.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {simulatorCatalog, startStorefront} from '../../tools/storefront/storefront.mjs';

const SHOP = 's.myshopify.com';

// A stub of the simulator's control API: one product, and the shop's metafields as given (changed between requests).
async function startSimStub() {
  const stub = {metafields: []};
  const product = {
    id: 'gid://shopify/Product/11', handle: 'mug', title: 'Mug', descriptionHtml: '<p>Big.</p>', status: 'ACTIVE',
    images: [], variants: [{id: 'gid://shopify/ProductVariant/21', title: 'Default', price: '12.00',
                            availableForSale: true}],
    priceRangeV2: {minVariantPrice: {currencyCode: 'EUR'}},
  };
  const server = http.createServer((req, res) => {
    if (req.url !== `/_sim/shops/${SHOP}/state`) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {'Content-Type': 'application/json'});
    res.end(JSON.stringify({products: [product], metafields: stub.metafields}));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  stub.url = `http://127.0.0.1:${server.address().port}`;
  stub.close = () => new Promise((resolve) => server.close(resolve));
  return stub;
}

const shopMetafield = (key, value, owner = 'gid://shopify/Shop/1') => ({
  id: 'gid://shopify/Metafield/1', ownerId: owner, namespace: 'app--test-key', key, type: 'single_line_text_field',
  value,
});

async function renderedConfig(storefront) {
  const page = await (await fetch(`${storefront.url}/products/mug`)).text();
  const configJson = page.match(/<script type="application\/json" id="pagelift-config">([\s\S]*?)<\/script>/)[1];
  const config = JSON.parse(configJson);
  const preload = page.match(/<link rel="preload" href="([^"]*)" as="fetch" crossorigin>/)?.[1] ?? null;
  return {shop: config.shop, preload};
}

test('with the block setting empty, the page carries the shop id from the shop\'s $app.shop_public_id metafield',
     async () => {
  const sim = await startSimStub();
  const storefront = await startStorefront({appUrl: 'http://127.0.0.1:1', shopDomain: SHOP, secret: 'hush',
                                            catalog: simulatorCatalog(sim.url, SHOP)});
  try {
    // Before the app has written it: no id, and no SDK document is preloaded.
    assert.deepEqual(await renderedConfig(storefront), {shop: '', preload: null});

    // A metafield of that key on another owner, or in another namespace, is not the app's shop metafield.
    sim.metafields = [shopMetafield('shop_public_id', 'on-a-product', 'gid://shopify/Product/11'),
                      {...shopMetafield('shop_public_id', 'not-the-apps'), namespace: 'custom'}];
    assert.equal((await renderedConfig(storefront)).shop, '');

    sim.metafields.push(shopMetafield('shop_public_id', 'pub-from-metafield'));
    assert.deepEqual(await renderedConfig(storefront),
                     {shop: 'pub-from-metafield', preload: '/apps/pagelift/v1/sdk/pub-from-metafield.json'});
  } finally {
    await storefront.close();
    await sim.close();
  }
});

test('a shop id the merchant set in the block overrides the metafield; the demo\'s stand-in yields to the app\'s value',
     async () => {
  const sim = await startSimStub();
  sim.metafields = [shopMetafield('shop_public_id', 'pub-from-metafield')];
  const pinned = await startStorefront({appUrl: 'http://127.0.0.1:1', shopDomain: SHOP, secret: 'hush',
                                        catalog: simulatorCatalog(sim.url, SHOP),
                                        embedSettings: {shop_public_id: 'pub-from-setting'}});
  const standIn = await startStorefront({appUrl: 'http://127.0.0.1:1', shopDomain: SHOP, secret: 'hush',
                                         catalog: simulatorCatalog(sim.url, SHOP, {shopPublicId: 'pub-stand-in'})});
  try {
    assert.equal((await renderedConfig(pinned)).shop, 'pub-from-setting');
    assert.equal((await renderedConfig(standIn)).shop, 'pub-from-metafield');
    sim.metafields = [];
    assert.equal((await renderedConfig(standIn)).shop, 'pub-stand-in');
  } finally {
    await pinned.close();
    await standIn.close();
    await sim.close();
  }
});
