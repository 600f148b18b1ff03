// tools/storefront/storefront.mjs, the stand-in storefront of the simulator and the browser tests: product pages with
// the theme extension's embed and blocks (schema defaults, product and app metafields, block stylesheets, translated
// texts), the embed's hold and settings, the page without pagelift (?pagelift=0), the AJAX cart, and the app proxy's
// signature (the published vector).
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {cpSync, mkdtempSync, writeFileSync, rmSync} from 'node:fs';
import http from 'node:http';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {DEFAULT_EXTENSION_DIR, signProxyQuery, startStorefront} from '../../tools/storefront/storefront.mjs';

test('the app proxy query is signed as Shopify does (published vector)', () => {
  const query = new URLSearchParams(signProxyQuery({
    extra: '1,2', logged_in_customer_id: '1', path_prefix: '/apps/awesome_reviews', shop: 'shop-name.myshopify.com',
    timestamp: '1317327555',
  }, 'hush'));
  assert.equal(query.get('signature'), '4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb');
});

// An extension with one extra app block that shows a product metafield and a setting's default.
function extensionWithBlock() {
  const dir = mkdtempSync(join(tmpdir(), 'pagelift-ext-'));
  cpSync(DEFAULT_EXTENSION_DIR, dir, {recursive: true});
  writeFileSync(join(dir, 'blocks', 'test-badge.liquid'), `<p id="badge">{{ product.metafields.app.badge.value }}|{{
    block.settings.label }}</p>{% schema %}{"name": "Badge", "target": "section",
    "settings": [{"type": "text", "id": "label", "label": "Label", "default": "from-default"}]}{% endschema %}`);
  return dir;
}

const catalog = {
  currency: 'CAD',
  shopMetafields: async () => ({$app: {shop_public_id: {value: 'pub-1'}}}),
  product: async (handle) => handle !== 'mug' ? null : {
    id: 11, handle: 'mug', title: 'Mug <Large>', description: '<p>Big.</p>', images: [{src: '/m.jpg', alt: 'A mug'}],
    variants: [{id: 21, price: 1000, available: false}, {id: 22, price: 1200, available: true}],
    metafields: {app: {badge: {value: 'Bestseller'}}},
  },
};

test('a product page renders the embed and the blocks with the catalog\'s data', async () => {
  const extensionDir = extensionWithBlock();
  const storefront = await startStorefront({extensionDir, appUrl: 'http://127.0.0.1:1', shopDomain: 's.myshopify.com',
                                            secret: 'hush', catalog});
  try {
    const page = await (await fetch(`${storefront.url}/products/mug`)).text();
    assert.match(page, /<title>Mug &#60;Large&#62;<\/title>/);
    const config = JSON.parse(page.match(/<script type="application\/json" id="pagelift-config">([\s\S]*?)<\/script>/)[1]);
    assert.equal(config.shop, 'pub-1');
    assert.deepEqual(config.product, {id: 11, variant_id: 22, price: 1200, currency: 'CAD'});  // first available
    assert.match(page, /<script src="\/assets\/pagelift\.min\.js" defer><\/script>/);
    assert.match(page, /<p id="badge">Bestseller\|from-default<\/p>/);
    assert.doesNotMatch(page, /schema/);
    assert.equal((await fetch(`${storefront.url}/s.myshopify.com/products/mug`)).status, 200);
    assert.equal((await fetch(`${storefront.url}/products/none`)).status, 404);
    assert.equal((await fetch(`${storefront.url}/other.myshopify.com/products/mug`)).status, 404);
  } finally {
    await storefront.close();
    rmSync(extensionDir, {recursive: true, force: true});
  }
});

test('the cart keeps attributes and items per cart cookie', async () => {
  const storefront = await startStorefront({appUrl: 'http://127.0.0.1:1', shopDomain: 's.myshopify.com', secret: 'hush',
                                            catalog});
  try {
    await fetch(`${storefront.url}/products/mug`);  // makes the variant's price known
    const first = await fetch(`${storefront.url}/cart.js`);
    const cookie = first.headers.get('set-cookie').split(';')[0];
    const headers = {Cookie: cookie, 'Content-Type': 'application/json'};
    await fetch(`${storefront.url}/cart/update.js`, {method: 'POST', headers,
                                                     body: JSON.stringify({attributes: {_pagelift_vid: 'v1'}})});
    await fetch(`${storefront.url}/cart/add.js`, {method: 'POST', headers, body: JSON.stringify({id: 22, quantity: 2})});
    const cart = await (await fetch(`${storefront.url}/cart.js`, {headers})).json();
    assert.deepEqual(cart.attributes, {_pagelift_vid: 'v1'});
    assert.equal(cart.item_count, 2);
    assert.equal(cart.total_price, 2400);
    assert.equal(cart.currency, 'CAD');
    const other = await (await fetch(`${storefront.url}/cart.js`)).json();
    assert.equal(other.item_count, 0);
  } finally {
    await storefront.close();
  }
});

test('the app proxy forwards to the app with a signed query', async () => {
  let seen;
  const app = http.createServer((req, res) => {
    seen = new URL(req.url, 'http://app');
    res.writeHead(200, {'Content-Type': 'application/json'});
    res.end('{"ok":true}');
  });
  await new Promise((resolve) => app.listen(0, '127.0.0.1', resolve));
  const storefront = await startStorefront({appUrl: `http://127.0.0.1:${app.address().port}`,
                                            shopDomain: 's.myshopify.com', secret: 'hush', catalog});
  try {
    const reply = await fetch(`${storefront.url}/apps/pagelift/v1/sdk/x.json?v=2`);
    assert.equal(reply.status, 200);
    assert.equal(seen.pathname, '/proxy/v1/sdk/x.json');
    const params = Object.fromEntries(seen.searchParams);
    const {signature, ...signed} = params;
    assert.equal(signed.shop, 's.myshopify.com');
    assert.equal(signed.v, '2');
    assert.equal(new URLSearchParams(signProxyQuery(signed, 'hush')).get('signature'), signature);
  } finally {
    await storefront.close();
    await new Promise((resolve) => { app.closeAllConnections(); app.close(resolve); });
  }
});

test('the app embed holds a page only for running experiments\' targets and blocks, until pagelift.js is ready, for ' +
     'the configured time; ?pagelift=0 renders without it', async () => {
  // The shop's $app.experiment_holds metafield, as the app writes it: changed between page views.
  let holds = {targets: ['product_page:badge', 'product_page:price'], blocks: ['trust_badges']};
  const holding = {...catalog, shopMetafields: async () => ({
    $app: {shop_public_id: {value: 'pub-1'}, experiment_holds: {value: holds, type: 'json'}}})};
  const storefront = await startStorefront({appUrl: 'http://127.0.0.1:1', shopDomain: 's.myshopify.com', secret: 'hush',
                                            catalog: holding, embedSettings: {reveal_timeout_ms: 1500}});
  try {
    const page = await (await fetch(`${storefront.url}/products/mug`)).text();
    const style = page.match(/<style>([\s\S]*?)<\/style>/)[1];
    for (const target of ['product_page:badge', 'product_page:price']) {
      assert.match(style, new RegExp(`html:not\\(\\[data-pagelift-ready\\]\\) body:has\\(\\[data-pagelift-target="${target}"\\]\\) ` +
                                     '\\{\\s*visibility: hidden; animation: pagelift-reveal 0s 1500ms forwards;'));
    }
    assert.match(style, /html:not\(\[data-pagelift-ready\]\) \[data-pagelift-block="trust_badges"\] \{\s*visibility: hidden;/);
    assert.doesNotMatch(style, /\[data-pagelift-target\]|\[data-pagelift-block\]/, 'no hold for any marked element');
    const config = JSON.parse(page.match(/<script type="application\/json" id="pagelift-config">([\s\S]*?)<\/script>/)[1]);
    assert.equal(config.revealTimeout, 1500);
    // The SDK document is preloaded as the script fetches it (same URL, CORS mode, same-origin credentials).
    assert.match(page, /<link rel="preload" href="\/apps\/pagelift\/v1\/sdk\/pub-1\.json" as="fetch" crossorigin>/);
    assert.ok(page.indexOf('<style>') < page.indexOf('<script src="/assets/pagelift.min.js"'));

    // A name that could break out of the selector is not written, whatever the metafield holds.
    holds = {targets: ['product_page:badge"] body, [x="y', 'a:</style><script>'], blocks: []};
    const odd = await (await fetch(`${storefront.url}/products/mug`)).text();
    assert.doesNotMatch(odd, /body, \[x=|<\/style><script>/);

    // No running experiment (an empty list, or no metafield at all): no style, nothing is held.
    holds = {targets: [], blocks: []};
    const idle = await (await fetch(`${storefront.url}/products/mug`)).text();
    assert.doesNotMatch(idle, /<style>|visibility: hidden/);
    assert.match(idle, /pagelift\.min\.js/, 'the script still loads (events, later experiments)');
    holds = null;
    assert.doesNotMatch(await (await fetch(`${storefront.url}/products/mug`)).text(), /<style>/);

    const without = await (await fetch(`${storefront.url}/products/mug?pagelift=0`)).text();
    assert.doesNotMatch(without, /pagelift-config|pagelift\.min\.js|data-pagelift-ready/);
    assert.match(without, /data-pagelift-target="product_page:badge"/, 'the page itself is the same');
  } finally {
    await storefront.close();
  }
});

test('a rendered app block brings its schema stylesheet (once) and its translated texts', async () => {
  const withBadges = {
    ...catalog,
    product: async (handle) => ({
      ...(await catalog.product(handle)),
      metafields: {$app: {trust_badges: {value: {badges: [{label: 'Free shipping', icon: 'shipping'}]}}}},
    }),
  };
  const storefront = await startStorefront({appUrl: 'http://127.0.0.1:1', shopDomain: 's.myshopify.com', secret: 'hush',
                                            catalog: withBadges});
  try {
    const page = await (await fetch(`${storefront.url}/products/mug`)).text();
    assert.match(page, /data-pagelift-block="trust_badges"/);
    assert.equal(page.match(/<link rel="stylesheet" href="\/assets\/pagelift-blocks\.css">/g)?.length, 1);
    assert.ok(page.indexOf('pagelift-blocks.css') < page.indexOf('</head>'));
    assert.doesNotMatch(page, /blocks\.trust_badges\.default_heading/, 'the label is translated');
    const none = await startStorefront({appUrl: 'http://127.0.0.1:1', shopDomain: 's.myshopify.com', secret: 'hush',
                                        catalog});
    try {
      const bare = await (await fetch(`${none.url}/products/mug`)).text();
      assert.doesNotMatch(bare, /pagelift-blocks\.css/, 'no block rendered, no stylesheet');
    } finally {
      await none.close();
    }
  } finally {
    await storefront.close();
  }
});
