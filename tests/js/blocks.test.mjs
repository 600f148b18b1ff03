// The theme app extension's pagelift blocks (extensions/pagelift-theme/blocks/{trust-badges,shipping-returns,
// size-guide,low-stock}.liquid) rendered with liquidjs the way a product page would: each renders only from its
// app-owned metafield ($app namespace, product first, then shop), carries data-pagelift-block for the storefront
// script's experiments, reserves its height, escapes the merchant's text, and uses accessible structure.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {Liquid} from 'liquidjs';

const extension = resolve(dirname(fileURLToPath(import.meta.url)), '../../extensions/pagelift-theme');
const locale = JSON.parse(readFileSync(join(extension, 'locales/en.default.json'), 'utf8'));

const engine = new Liquid();
engine.registerFilter('t', (key) => key.split('.').reduce((node, part) => node?.[part], locale) ?? `missing ${key}`);

function source(name) {
  // {% schema %} is configuration for the theme editor, never markup.
  return readFileSync(join(extension, 'blocks', `${name}.liquid`), 'utf8')
    .replace(/{%-?\s*schema\s*-?%}[\s\S]*?{%-?\s*endschema\s*-?%}/, '');
}

function schema(name) {
  const text = readFileSync(join(extension, 'blocks', `${name}.liquid`), 'utf8');
  return JSON.parse(text.match(/{%\s*schema\s*%}([\s\S]*?){%\s*endschema\s*%}/)[1]);
}

async function render(name, {product = {}, shop = {}, minHeight = 40} = {}) {
  const variant = product.variant ?? {inventory_management: 'shopify', inventory_quantity: 3};
  return engine.parseAndRender(source(name), {
    product: {metafields: {$app: product.metafields ?? {}}, selected_or_first_available_variant: variant},
    shop: {metafields: {$app: shop}},
    block: {id: 'b1', settings: {min_height: minHeight}, shopify_attributes: ''},
  });
}

const cases = {
  'trust-badges': {key: 'trust_badges', value: {heading: 'Why us', badges: [{label: 'Free shipping', icon: 'shipping'}, {label: '<b>30-day</b> returns', icon: 'returns'}]}},
  'shipping-returns': {key: 'shipping_returns', value: {shipping: 'Ships in 2 days', returns: '<i>Free</i> returns', policy_url: '/policies/refund-policy'}},
  'size-guide': {key: 'size_guide', value: {columns: ['Size', 'Chest'], rows: [['S', '86-91'], ['M', '<92>']]}},
  'low-stock': {key: 'low_stock', value: {threshold: 5, message: 'Only [count] left <hurry>'}},
};

for (const [name, {key, value}] of Object.entries(cases)) {
  test(`${name}: renders nothing without its metafield`, async () => {
    assert.equal((await render(name)).trim(), '');
  });

  test(`${name}: renders from the product's $app.${key}, marked for experiments, height reserved, text escaped`, async () => {
    const html = await render(name, {product: {metafields: {[key]: {value}}}});
    assert.match(html, new RegExp(`data-pagelift-block="${key}"`));
    assert.match(html, /--pagelift-min-height: 40px/);
    assert.doesNotMatch(html, /<(b|i|hurry|92)>/, 'merchant text must be escaped');
    assert.doesNotMatch(html, /missing /, 'every translation key exists');
  });

  test(`${name}: falls back to the shop's metafield`, async () => {
    const html = await render(name, {shop: {[key]: {value}}});
    assert.match(html, new RegExp(`data-pagelift-block="${key}"`));
  });

  test(`${name}: schema targets a section, loads the shared stylesheet, names a translated title`, () => {
    const block = schema(name);
    assert.equal(block.target, 'section');
    assert.equal(block.stylesheet, 'pagelift-blocks.css');
    assert.match(block.name, /^t:blocks\./);
  });
}

test('trust-badges: a labelled list with decorative icons', async () => {
  const html = await render('trust-badges', {product: {metafields: {trust_badges: {value: cases['trust-badges'].value}}}});
  assert.match(html, /<section[^>]*aria-label="Why us"/);
  assert.match(html, /<ul class="pagelift-block__list" role="list">/);
  assert.equal((html.match(/<li /g) ?? []).length, 2);
  assert.equal((html.match(/aria-hidden="true"/g) ?? []).length, 2);
});

test('size-guide: a captioned table with column and row headers', async () => {
  const html = await render('size-guide', {product: {metafields: {size_guide: {value: cases['size-guide'].value}}}});
  assert.match(html, /<caption>Size guide<\/caption>/);
  assert.equal((html.match(/<th scope="col">/g) ?? []).length, 2);
  assert.equal((html.match(/<th scope="row">/g) ?? []).length, 2);
});

test('low-stock: the real count at or under the threshold, an empty reserved line above it', async () => {
  const metafields = {low_stock: {value: cases['low-stock'].value}};
  const low = await render('low-stock', {product: {metafields, variant: {inventory_management: 'shopify', inventory_quantity: 3}}});
  assert.match(low, /role="status"/);
  assert.match(low, /Only 3 left &lt;hurry&gt;/);
  const plenty = await render('low-stock', {product: {metafields, variant: {inventory_management: 'shopify', inventory_quantity: 40}}});
  assert.match(plenty, /data-pagelift-block="low_stock"/, 'the line stays, keeping its height');
  assert.doesNotMatch(plenty, /left/);
  const untracked = await render('low-stock', {product: {metafields, variant: {inventory_management: null, inventory_quantity: 1}}});
  assert.doesNotMatch(untracked, /left/, 'no count without tracked stock');
});
