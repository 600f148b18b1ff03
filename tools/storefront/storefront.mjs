// A stand-in for a shop's Shopify storefront, shared by the browser tests and the demo: product pages rendered from
// the theme app extension (extensions/pagelift-theme: the app embed in <head>, every app block in the product
// section, a rendered block's schema stylesheet linked in <head>, texts from the default locale) with liquidjs, the
// extension's assets, the AJAX cart (/cart/add.js, /cart/update.js, /cart.js; in memory,
// `cart` cookie), and Shopify's app proxy: /apps/pagelift/* is forwarded to {app}/proxy/* with the signed query
// Shopify adds (shop, logged_in_customer_id, path_prefix, timestamp, signature; ../shared/spec/shopify-platform.md,
// "App proxy").
//
// Why a node process next to the C++ simulator: Shopify renders Liquid, and liquidjs is the faithful renderer we
// have; the simulator stays the source of the data (catalog: simulatorCatalog reads its /_sim state, so the page shows
// the product as the Admin API has it, including the app metafields pagelift's patches write, and the shop's: the
// $app.shop_public_id and $app.experiment_holds the app writes, src/shopify/storefront_metafields.h).
//
// Query flags of a product page: ?consent=1 (the embed waits for the visitor's consent), ?pagelift=0 (the page without
// the app embed, i.e. without pagelift's script: the baseline the browser tests measure the script's cost against).
//
// As a program: node tools/storefront/storefront.mjs --sim URL --shop DOMAIN --app URL --secret S [--port N]
// [--public-id ID]
// serves http://127.0.0.1:N/products/{handle} for that shop until SIGINT/SIGTERM.
import {createHmac, randomUUID} from 'node:crypto';
import {readFileSync, readdirSync} from 'node:fs';
import http from 'node:http';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {Liquid} from 'liquidjs';

const here = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_EXTENSION_DIR = join(here, '..', '..', 'extensions', 'pagelift-theme');

// The product of a storefront without a simulator (the browser test's): handle "widget".
export const PRODUCT = {id: 7001, variantId: 9001, price: 2500, currency: 'EUR'};

// Shopify's app proxy signature: sorted "k=v" strings (repeated keys joined with ","), concatenated, HMAC-SHA256 hex.
export function signProxyQuery(params, secret) {
  const message = Object.keys(params).map((k) => `${k}=${params[k]}`).sort().join('');
  const signature = createHmac('sha256', secret).update(message).digest('hex');
  return new URLSearchParams({...params, signature}).toString();
}

// Liquid's view of metafields: {namespace: {key: {value, type}}}. App-owned namespaces ("$app", "app--{client id}")
// are also reachable as "$app" and "app", however a block names them.
function metafieldTree(list) {
  const tree = {};
  for (const m of list) {
    const names = [m.namespace];
    if (m.namespace === '$app' || m.namespace.startsWith('app--')) names.push('$app', 'app');
    let value = m.value;
    if (typeof value === 'string' && (m.type || '').startsWith('json')) {
      try { value = JSON.parse(value); } catch { /* keep the text */ }
    }
    for (const ns of names) (tree[ns] ??= {})[m.key] = {value, type: m.type};
  }
  return tree;
}

const cents = (amount) => Math.round(Number(amount) * 100);

// The shop's $app.experiment_holds metafield as the app writes it (src/shopify/storefront_metafields.h): the targets
// and blocks of its running experiments, which the app embed holds before the first paint.
export function experimentHoldsMetafield({targets = [], blocks = []} = {}) {
  return {namespace: '$app', key: 'experiment_holds', type: 'json', value: JSON.stringify({targets, blocks})};
}

// The shop's $app.shop_public_id metafield as the app writes it at install (src/shopify/storefront_metafields.h): the
// id snippets/pagelift-config.liquid gives pagelift.js when the block setting is empty.
export function shopPublicIdMetafield(publicId) {
  return {namespace: '$app', key: 'shop_public_id', type: 'single_line_text_field', value: publicId};
}

// A catalog with one product (handle "widget"), the shape the browser test expects. `metafields`: the product's, as
// metafieldTree's input ([{namespace, key, value, type}]), e.g. the $app content that makes pagelift's blocks render.
// `shopPublicId`: what the app would have written to the shop's $app.shop_public_id (none when not given).
// `experimentHolds` ({targets, blocks}, or a function returning it at each page view): what the app would have written
// to the shop's $app.experiment_holds for its running experiments; none by default, i.e. no page is held.
export function fixedCatalog({shopPublicId, currency = PRODUCT.currency, metafields = [], experimentHolds} = {}) {
  const product = {
    id: PRODUCT.id, handle: 'widget', title: 'Widget', description: '<p>A widget.</p>', images: [],
    metafields: metafieldTree(metafields),
    variants: [{id: PRODUCT.variantId, title: 'Default', price: PRODUCT.price, available: true}],
  };
  return {
    currency,
    shopMetafields: async () => {
      const holds = typeof experimentHolds === 'function' ? experimentHolds() : experimentHolds;
      return metafieldTree([...(shopPublicId ? [shopPublicIdMetafield(shopPublicId)] : []),
                            ...(holds ? [experimentHoldsMetafield(holds)] : [])]);
    },
    product: async (handle) => (handle === 'widget' ? product : null),
  };
}

// The catalog of one shop of the Shopify simulator, read from its control API at each page view (so patches show at
// once). Product metafields come from the simulator's metafields owned by the product, the shop's (`shop.metafields`:
// $app.shop_public_id, $app.experiment_holds) from those owned by the Shop, as on Shopify.
// `shopPublicId`, when given, stands in for $app.shop_public_id until the app has written it (the app's value wins).
export function simulatorCatalog(simUrl, shopDomain, {shopPublicId} = {}) {
  const state = async () => {
    const response = await fetch(`${simUrl}/_sim/shops/${shopDomain}/state`);
    if (!response.ok) throw new Error(`simulator state: HTTP ${response.status}`);
    return response.json();
  };
  return {
    currency: null,  // from the products' prices
    shopMetafields: async () => {
      const fallback = shopPublicId ? [shopPublicIdMetafield(shopPublicId)] : [];
      return metafieldTree([...fallback, ...(await state()).metafields.filter((m) => m.ownerId?.includes('/Shop/'))]);
    },
    product: async (handle) => {
      const s = await state();
      const p = s.products.find((x) => x.handle === handle);
      if (!p) return null;
      const nodes = (c) => (Array.isArray(c) ? c : c?.nodes ?? (c?.edges ?? []).map((e) => e.node));
      const legacy = (gid) => Number(String(gid).split('/').pop());
      return {
        id: legacy(p.id), handle: p.handle, title: p.title, description: p.descriptionHtml, status: p.status,
        vendor: p.vendor, tags: p.tags,
        currency: p.priceRangeV2?.minVariantPrice?.currencyCode,
        images: nodes(p.images).map((i) => ({src: i.url, alt: i.altText ?? '', width: i.width, height: i.height})),
        variants: nodes(p.variants).map((v) => ({
          id: legacy(v.id), title: v.title, sku: v.sku, price: cents(v.price),
          compare_at_price: v.compareAtPrice == null ? null : cents(v.compareAtPrice),
          available: v.availableForSale !== false, inventory_quantity: v.inventoryQuantity,
        })),
        metafields: metafieldTree(s.metafields.filter((m) => m.ownerId === p.id)),
      };
    },
  };
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function cookies(req) {
  const out = {};
  for (const part of (req.headers.cookie || '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0) out[part.slice(0, at).trim()] = decodeURIComponent(part.slice(at + 1).trim());
  }
  return out;
}

const escapeHtml = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const SCHEMA = /{%-?\s*schema\s*-?%}([\s\S]*?){%-?\s*endschema\s*-?%}/;

// A block's Liquid without its {% schema %} (configuration, never rendered) and its settings' defaults.
function loadBlock(path) {
  const source = readFileSync(path, 'utf8');
  const match = source.match(SCHEMA);
  const schema = match ? JSON.parse(match[1]) : {};
  const settings = {};
  for (const s of schema.settings ?? []) if ('default' in s) settings[s.id] = s.default;
  return {source: source.replace(SCHEMA, ''), schema, settings};
}

// `catalog` (fixedCatalog or simulatorCatalog; default: fixedCatalog) supplies the products. `sdkDocument`, when
// given, is served for /apps/pagelift/v1/sdk/{id}.json instead of forwarding that request. `embedSettings` override
// the app embed's settings (as a merchant sets them in the theme editor).
export async function startStorefront({extensionDir = DEFAULT_EXTENSION_DIR, appUrl, shopDomain, shopPublicId, secret,
                                       sdkDocument, catalog, embedSettings = {}, host = '127.0.0.1', port = 0}) {
  catalog ??= fixedCatalog({shopPublicId});
  const engine = new Liquid({root: [join(extensionDir, 'blocks'), join(extensionDir, 'snippets')], extname: '.liquid'});
  engine.registerFilter('asset_url', (name) => `/assets/${name}`);
  engine.registerFilter('money', (c) => (Number(c) / 100).toFixed(2));
  // Translations from the extension's default locale (read once; a missing key shows as itself, as on Shopify).
  const locale = JSON.parse(readFileSync(join(extensionDir, 'locales', 'en.default.json'), 'utf8'));
  engine.registerFilter('t', (key) => String(key).split('.').reduce((node, part) => node?.[part], locale) ?? key);
  // Blocks are read at each page view: the extension's files may change while the demo runs.
  const blocks = () => readdirSync(join(extensionDir, 'blocks')).filter((f) => f.endsWith('.liquid'))
    .map((f) => ({file: f, ...loadBlock(join(extensionDir, 'blocks', f))}));
  const carts = new Map();  // cart token -> {token, attributes, items}
  const proxied = [];       // what the app proxy answered: {method, path, status, at (ms, when the request came)}
  const control = {failCollects: 0};  // the next n collect requests get a 503 (an outage between proxy and app)
  const products = new Map();  // variant id -> product, for the cart
  let cartCurrency = catalog.currency ?? PRODUCT.currency;  // the shop's currency, as its last product page showed

  const cartOf = (req, res) => {
    let token = cookies(req).cart;
    if (!token || !carts.has(token)) {
      token = randomUUID().replace(/-/g, '');
      carts.set(token, {token, attributes: {}, items: []});
      res.setHeader('Set-Cookie', `cart=${token}; Path=/; SameSite=Lax`);
    }
    return carts.get(token);
  };
  const cartJson = (cart) => ({
    token: cart.token, attributes: cart.attributes, items: cart.items, currency: cartCurrency,
    item_count: cart.items.reduce((n, i) => n + i.quantity, 0),
    total_price: cart.items.reduce((n, i) => n + i.final_line_price, 0),
  });
  const send = (res, status, body, type = 'application/json') => {
    res.writeHead(status, {'Content-Type': type});
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

  async function productPage(product, {consentRequired, withEmbed}) {
    const variant = product.variants.find((v) => v.available) ?? product.variants[0] ?? {id: 0, price: 0};
    for (const v of product.variants) products.set(v.id, {product, variant: v});
    const currency = product.currency ?? catalog.currency ?? PRODUCT.currency;
    cartCurrency = currency;
    const liquidProduct = {...product, selected_or_first_available_variant: variant, price: variant.price,
                           featured_image: product.images[0] ?? null};
    const shopMetafields = (await catalog.shopMetafields?.()) ?? {};
    // app.metafields are app-data metafields (on the app's installation): pagelift writes none.
    const shopify = {app: {metafields: {}}, product: liquidProduct, cart: {currency: {iso_code: currency}},
                     shop: {permanent_domain: shopDomain, metafields: shopMetafields}};
    // Shopify's objects are global: a snippet rendered with {% render %} reads them as well (its caller's variables,
    // `block` among them, only when passed).
    const render = (source, settings) =>
      engine.parseAndRender(source, {block: {settings}, ...shopify}, {globals: shopify});
    let head = '';
    let section = '';
    const stylesheets = new Set();  // Shopify links a rendered block's schema stylesheet into <head>, once
    for (const block of blocks()) {
      const settings = {...block.settings};
      if (block.file === 'app-embed.liquid') {
        if (!withEmbed) continue;
        Object.assign(settings, embedSettings);
        settings.shop_public_id = settings.shop_public_id ?? '';
        settings.consent_required = consentRequired;
        head += await render(block.source, settings);
      } else if (block.schema.target === 'head' || block.schema.target === 'body') {
        head += await render(block.source, settings);
      } else {
        const markup = await render(block.source, settings);
        if (markup.trim() && block.schema.stylesheet) stylesheets.add(block.schema.stylesheet);
        section += `<div class="shopify-app-block" data-block="${escapeHtml(block.file)}">${markup}</div>`;
      }
    }
    for (const name of stylesheets) head += `<link rel="stylesheet" href="/assets/${escapeHtml(name)}">`;
    const images = product.images.map((i) => `<img src="${escapeHtml(i.src)}" alt="${escapeHtml(i.alt)}"${
      i.width ? ` width="${i.width}" height="${i.height}"` : ''}>`).join('');
    return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(product.title)}</title>${head}</head><body>
<h1>${escapeHtml(product.title)}</h1>
<div class="product__media">${images}</div>
<p class="price">${(variant.price / 100).toFixed(2)} ${escapeHtml(currency)}</p>
<form action="/cart/add" method="post" id="product-form">
  <input type="hidden" name="id" value="${variant.id}"><input type="number" name="quantity" value="1">
  <button type="submit" id="add">Add to cart</button>
</form>
<a href="/checkout" id="checkout">Check out</a>
<div class="product__description">${product.description ?? ''}</div>
<p data-pagelift-target="product_page:badge">Free shipping</p>
${section}
<script>
  // The theme's AJAX add to cart (what Dawn and most themes do): the form submit is cancelled and posted with fetch.
  document.getElementById('product-form').addEventListener('submit', function (e) {
    e.preventDefault();
    fetch('/cart/add.js', {method: 'POST', headers: {'Content-Type': 'application/json'},
                           body: JSON.stringify({id: ${variant.id}, quantity: 1})})
      .then(function (r) { return r.json(); })
      .then(function () { document.body.dataset.added = String(+(document.body.dataset.added || 0) + 1); });
  });
</script>
</body></html>`;
  }

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://storefront');
      if (sdkDocument && url.pathname === `/apps/pagelift/v1/sdk/${shopPublicId}.json`) {
        return send(res, 200, sdkDocument);
      }
      if (url.pathname.startsWith('/apps/pagelift/')) {
        const at = Date.now();
        const body = await readBody(req);
        if (control.failCollects > 0 && url.pathname === '/apps/pagelift/v1/collect') {
          control.failCollects -= 1;
          proxied.push({method: req.method, path: '/proxy/v1/collect', status: 503, at});
          res.writeHead(503, {'Content-Type': 'application/json', 'Retry-After': '1'});
          return res.end('{"error":{"code":"unavailable","message":"injected by the test"}}');
        }
        // Shopify forwards the storefront's own query parameters too, and signs them with the ones it adds.
        const params = Object.fromEntries(url.searchParams);
        const query = signProxyQuery({
          ...params, shop: shopDomain, logged_in_customer_id: '', path_prefix: '/apps/pagelift',
          timestamp: String(Math.floor(Date.now() / 1000)),
        }, secret);
        const path = '/proxy/' + url.pathname.slice('/apps/pagelift/'.length);
        const headers = {'User-Agent': req.headers['user-agent'] || ''};
        if (req.headers['content-type']) headers['Content-Type'] = req.headers['content-type'];
        const upstream = await fetch(`${appUrl}${path}?${query}`, {
          method: req.method, headers, body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
        });
        proxied.push({method: req.method, path, status: upstream.status, at});
        return send(res, upstream.status, await upstream.text(), upstream.headers.get('content-type') || 'text/plain');
      }
      // /products/{handle}, also as /{shop}/products/{handle} (the simulator's URL scheme: one server, many shops).
      const productPath = url.pathname.match(/^(?:\/([\w.-]+))?\/products\/([\w-]+)$/);
      if (productPath && (!productPath[1] || productPath[1] === shopDomain)) {
        const product = await catalog.product(productPath[2]);
        if (!product) return send(res, 404, '<!doctype html><title>Not found</title><h1>404</h1>', 'text/html');
        return send(res, 200, await productPage(product, {consentRequired: url.searchParams.get('consent') === '1',
                                                          withEmbed: url.searchParams.get('pagelift') !== '0'}),
                    'text/html');
      }
      if (url.pathname === '/checkout') return send(res, 200, '<!doctype html><title>Checkout</title>', 'text/html');
      if (url.pathname.startsWith('/assets/')) {
        const name = url.pathname.slice('/assets/'.length).replace(/[^\w.-]/g, '');
        const type = name.endsWith('.css') ? 'text/css' : 'text/javascript';
        return send(res, 200, readFileSync(join(extensionDir, 'assets', name), 'utf8'), type);
      }
      if (url.pathname === '/cart/add.js' && req.method === 'POST') {
        const {id, quantity = 1} = JSON.parse((await readBody(req)).toString() || '{}');
        const cart = cartOf(req, res);
        const known = products.get(Number(id));
        const price = known ? known.variant.price : PRODUCT.price;
        const item = {id: Number(id), variant_id: Number(id), product_id: known ? known.product.id : PRODUCT.id,
                      quantity: Number(quantity), price, final_line_price: price * Number(quantity)};
        cart.items.push(item);
        return send(res, 200, item);
      }
      if (url.pathname === '/cart/update.js' && req.method === 'POST') {
        const update = JSON.parse((await readBody(req)).toString() || '{}');
        const cart = cartOf(req, res);
        Object.assign(cart.attributes, update.attributes || {});
        return send(res, 200, cartJson(cart));
      }
      if (url.pathname === '/cart.js') return send(res, 200, cartJson(cartOf(req, res)));
      return send(res, 404, 'not found', 'text/plain');
    } catch (e) {
      return send(res, 500, String(e && e.stack || e), 'text/plain');
    }
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  return {
    url: `http://${host}:${server.address().port}`,
    carts,
    proxied,
    control,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

// As a program, next to the simulator.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = {};
  for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
  for (const required of ['sim', 'shop', 'app', 'secret']) {
    if (!args[required]) {
      console.error('usage: storefront.mjs --sim URL --shop DOMAIN --app URL --secret S [--port N] [--public-id ID] [--extension DIR]');
      process.exit(2);
    }
  }
  const storefront = await startStorefront({
    extensionDir: args.extension ?? DEFAULT_EXTENSION_DIR, appUrl: args.app, shopDomain: args.shop,
    secret: args.secret, catalog: simulatorCatalog(args.sim, args.shop, {shopPublicId: args['public-id']}),
    port: Number(args.port ?? 0),
  });
  console.log(`storefront of ${args.shop} on ${storefront.url} (e.g. ${storefront.url}/products/{handle})`);
  const stop = () => storefront.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
