// The Web Pixel (extensions/pagelift-pixel/src/index.js) under a fake Web Pixels runtime: `register` from a stand-in
// @shopify/web-pixels-extension module, a fake `analytics.subscribe`, `browser.localStorage` and `browser.sendBeacon`.
// Checks the events it sends for checkout_started / checkout_completed, in the collector's wire format.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {cpSync, mkdirSync, mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';

const pixelSource = resolve(dirname(fileURLToPath(import.meta.url)), '../../extensions/pagelift-pixel/src/index.js');

// Loads a fresh copy of the pixel next to a stand-in runtime module; returns the callback it registered.
async function loadPixel() {
  const dir = mkdtempSync(join(tmpdir(), 'pagelift-pixel-'));
  const runtime = join(dir, 'node_modules/@shopify/web-pixels-extension');
  mkdirSync(runtime, {recursive: true});
  writeFileSync(join(runtime, 'package.json'), JSON.stringify({name: '@shopify/web-pixels-extension', type: 'module',
                                                               exports: './index.js'}));
  writeFileSync(join(runtime, 'index.js'), 'export function register(cb) { globalThis.__pageliftPixel = cb; }\n');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({type: 'module'}));
  cpSync(pixelSource, join(dir, 'index.js'));
  globalThis.__pageliftPixel = undefined;
  const module = await import(pathToFileURL(join(dir, 'index.js')).href);
  assert.equal(typeof globalThis.__pageliftPixel, 'function', 'the pixel calls register()');
  return {register: globalThis.__pageliftPixel, module};
}

function fakeRuntime({storage = {}, cartAttributes} = {}) {
  const handlers = {};
  const beacons = [];
  const api = {
    analytics: {subscribe: (name, fn) => { handlers[name] = fn; }},
    browser: {
      localStorage: {getItem: async (key) => (key in storage ? storage[key] : null)},
      sendBeacon: async (url, body) => { beacons.push({url, body: JSON.parse(body)}); return true; },
    },
    settings: {collector_url: 'https://app.example/', shop_public_id: 'shoppublic0001'},
    init: {data: {cart: cartAttributes ? {attributes: cartAttributes} : null}},
  };
  return {api, handlers, beacons};
}

const checkout = (extra = {}) => ({
  token: 'ck-123',
  totalPrice: {amount: 59.9, currencyCode: 'EUR'},
  subtotalPrice: {amount: 49.9, currencyCode: 'EUR'},
  currencyCode: 'EUR',
  lineItems: [{id: 'l1'}, {id: 'l2'}],
  attributes: [],
  ...extra,
});

const shopifyEvent = (name, data) => ({
  id: 'sh-88153C5A-8F2D-4CCA-3231-EF5C032A4C3B',
  name,
  timestamp: '2026-11-30T01:02:03.456Z',
  clientId: 'client-1',
  context: {document: {location: {href: 'https://shop.example/checkouts/cn/ck-123'}}},
  data,
});

test('the pixel subscribes to checkout_started and checkout_completed only', async () => {
  const {register} = await loadPixel();
  const rt = fakeRuntime();
  register(rt.api);
  assert.deepEqual(Object.keys(rt.handlers).sort(), ['checkout_completed', 'checkout_started']);
});

test('checkout_started → begin_checkout with totals, currency, line count, visitor from the checkout attributes',
     async () => {
  const {register} = await loadPixel();
  const rt = fakeRuntime({storage: {pagelift_vid: '"stored-visitor"', pagelift_session: '{"id":"sess-9"}'}});
  register(rt.api);
  await rt.handlers.checkout_started(shopifyEvent('checkout_started', {
    checkout: checkout({attributes: [{key: '_pagelift_vid', value: 'cart-visitor'}]}),
  }));
  assert.equal(rt.beacons.length, 1);
  const {url, body} = rt.beacons[0];
  assert.equal(url, 'https://app.example/v1/collect');
  assert.equal(body.shop, 'shoppublic0001');
  assert.deepEqual(body.events, [{
    id: '88153c5a-8f2d-4cca-3231-ef5c032a4c3b',
    type: 'begin_checkout',
    ts: '2026-11-30T01:02:03.456Z',
    anon_id: 'cart-visitor',
    session_id: 'sess-9',
    props: {checkout_token: 'ck-123', value: 59.9, subtotal: 49.9, currency: 'EUR', line_count: 2,
            url: 'https://shop.example/checkouts/cn/ck-123', source: 'web_pixel'},
  }]);
});

test('checkout_completed → checkout_completed with the order id; visitor from init cart, then localStorage',
     async () => {
  const {register} = await loadPixel();
  const fromCart = fakeRuntime({cartAttributes: [{key: '_pagelift_vid', value: 'init-visitor'}]});
  register(fromCart.api);
  const completed = shopifyEvent('checkout_completed', {checkout: checkout({order: {id: 'gid://shopify/Order/42'}})});
  await fromCart.handlers.checkout_completed(completed);
  const event = fromCart.beacons[0].body.events[0];
  assert.equal(event.type, 'checkout_completed');
  assert.equal(event.anon_id, 'init-visitor');
  assert.equal(event.props.order_id, 'gid://shopify/Order/42');
  assert.equal(event.session_id, 'ck-123');

  const fromStorage = fakeRuntime({storage: {pagelift_vid: '"stored-visitor"'}});
  register(fromStorage.api);
  await fromStorage.handlers.checkout_completed(completed);
  assert.equal(fromStorage.beacons[0].body.events[0].anon_id, 'stored-visitor');

  const anonymous = fakeRuntime();
  register(anonymous.api);
  await anonymous.handlers.checkout_completed(completed);
  assert.equal(anonymous.beacons[0].body.events[0].anon_id, 'client-1');
});

test('without sendBeacon the pixel posts text/plain with fetch keepalive; failures never throw', async () => {
  const {register} = await loadPixel();
  const rt = fakeRuntime();
  delete rt.api.browser.sendBeacon;
  const calls = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (url, init) => { calls.push({url, init}); throw new Error('offline'); };
  try {
    register(rt.api);
    await rt.handlers.checkout_started(shopifyEvent('checkout_started', {checkout: checkout()}));
  } finally {
    globalThis.fetch = realFetch;
  }
  assert.equal(calls.length, 1);
  assert.equal(calls[0].init.keepalive, true);
  assert.equal(calls[0].init.headers['Content-Type'], 'text/plain');
  const event = JSON.parse(calls[0].init.body).events[0];
  assert.equal(event.type, 'begin_checkout');
  assert.match(event.id, /^[0-9a-f-]{36}$/);
});
