// A stand-in for a Shopify storefront, for the browser test: renders the theme app extension's app embed block with
// liquidjs into a product page (with an AJAX add-to-cart form like Dawn's), serves the extension's assets, implements
// the AJAX cart (/cart/add.js, /cart/update.js, /cart.js; in memory, `cart` cookie) and plays Shopify's app proxy:
// /apps/pagelift/* is forwarded to {app}/proxy/* with the signed query Shopify adds (shop, logged_in_customer_id,
// path_prefix, timestamp, signature; ../shared/spec/shopify-platform.md, "App proxy").
import {createHmac, randomUUID} from 'node:crypto';
import {readFileSync} from 'node:fs';
import http from 'node:http';
import {join} from 'node:path';
import {Liquid} from 'liquidjs';

export const PRODUCT = {id: 7001, variantId: 9001, price: 2500, currency: 'EUR'};

// Shopify's app proxy signature: sorted "k=v" strings (repeated keys joined with ","), concatenated, HMAC-SHA256 hex.
export function signProxyQuery(params, secret) {
  const message = Object.keys(params).map((k) => `${k}=${params[k]}`).sort().join('');
  const signature = createHmac('sha256', secret).update(message).digest('hex');
  return new URLSearchParams({...params, signature}).toString();
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

// `sdkDocument`, when given, is served for /apps/pagelift/v1/sdk/{id}.json instead of forwarding that request, so the
// test controls the experiment without going through the experiments API (the document's shape is
// src/experiments/sdk_document.h's); every other /apps/pagelift/ path, /v1/sdk included, is forwarded.
export async function startStorefront({extensionDir, appUrl, shopDomain, shopPublicId, secret, sdkDocument}) {
  const engine = new Liquid({root: [join(extensionDir, 'blocks'), join(extensionDir, 'snippets')], extname: '.liquid'});
  engine.registerFilter('asset_url', (name) => `/assets/${name}`);
  // Shopify's {% schema %} is configuration, not markup; the storefront never renders it.
  const embedSource = readFileSync(join(extensionDir, 'blocks/app-embed.liquid'), 'utf8')
    .replace(/{%-?\s*schema\s*-?%}[\s\S]*?{%-?\s*endschema\s*-?%}/, '');
  const carts = new Map();  // cart token -> {token, attributes, items}
  const proxied = [];       // what the app proxy answered: {method, path, status, at (ms, when the request came)}
  const control = {failCollects: 0};  // the next n collect requests get a 503 (an outage between proxy and app)

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
    token: cart.token, attributes: cart.attributes, items: cart.items, currency: PRODUCT.currency,
    item_count: cart.items.reduce((n, i) => n + i.quantity, 0),
    total_price: cart.items.reduce((n, i) => n + i.final_line_price, 0),
  });
  const send = (res, status, body, type = 'application/json') => {
    res.writeHead(status, {'Content-Type': type});
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

  async function productPage(consentRequired) {
    const embed = await engine.parseAndRender(embedSource, {
      block: {settings: {shop_public_id: '', collector_url: '/apps/pagelift', consent_required: consentRequired}},
      app: {metafields: {pagelift: {shop_public_id: {value: shopPublicId}}}},
      product: {id: PRODUCT.id, selected_or_first_available_variant: {id: PRODUCT.variantId, price: PRODUCT.price}},
      cart: {currency: {iso_code: PRODUCT.currency}},
      shop: {permanent_domain: shopDomain},
    });
    return `<!doctype html><html><head><meta charset="utf-8"><title>Widget</title>${embed}</head><body>
<h1>Widget</h1>
<form action="/cart/add" method="post" id="product-form">
  <input type="hidden" name="id" value="${PRODUCT.variantId}"><input type="number" name="quantity" value="1">
  <button type="submit" id="add">Add to cart</button>
</form>
<a href="/checkout" id="checkout">Check out</a>
<p data-pagelift-target="product_page:badge">Free shipping</p>
<script>
  // The theme's AJAX add to cart (what Dawn and most themes do): the form submit is cancelled and posted with fetch.
  document.getElementById('product-form').addEventListener('submit', function (e) {
    e.preventDefault();
    fetch('/cart/add.js', {method: 'POST', headers: {'Content-Type': 'application/json'},
                           body: JSON.stringify({id: ${PRODUCT.variantId}, quantity: 1})})
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
        const query = signProxyQuery({
          shop: shopDomain, logged_in_customer_id: '', path_prefix: '/apps/pagelift',
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
      if (url.pathname === '/products/widget') {
        return send(res, 200, await productPage(url.searchParams.get('consent') === '1'), 'text/html');
      }
      if (url.pathname === '/checkout') return send(res, 200, '<!doctype html><title>Checkout</title>', 'text/html');
      if (url.pathname.startsWith('/assets/')) {
        const name = url.pathname.slice('/assets/'.length).replace(/[^\w.-]/g, '');
        return send(res, 200, readFileSync(join(extensionDir, 'assets', name), 'utf8'), 'text/javascript');
      }
      if (url.pathname === '/cart/add.js' && req.method === 'POST') {
        const {id, quantity = 1} = JSON.parse((await readBody(req)).toString() || '{}');
        const cart = cartOf(req, res);
        const item = {id: Number(id), variant_id: Number(id), product_id: PRODUCT.id, quantity: Number(quantity),
                      price: PRODUCT.price, final_line_price: PRODUCT.price * Number(quantity)};
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
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    carts,
    proxied,
    control,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}
