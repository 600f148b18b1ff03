// pagelift's Web Pixel (runtime strict): maps Shopify's checkout_started and checkout_completed customer events to the
// collector's wire format (begin_checkout / checkout_completed, ARCHITECTURE.md "Contract") and sends them to
// {settings.collector_url}/v1/collect. The visitor is the one the storefront script wrote into the cart's attributes
// (`_pagelift_vid`), so checkout events join the same visitor's page views; failing that, the storefront script's
// localStorage copy; failing that, Shopify's client id (the events still count, unattributed to an experiment).
import {register} from '@shopify/web-pixels-extension';

const VISITOR_ATTRIBUTE = '_pagelift_vid';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

function attribute(attributes, key) {
  const found = (attributes || []).find((a) => a && a.key === key);
  return found ? found.value : null;
}

// Values the storefront script stored with JSON.stringify.
async function storedJson(browser, key) {
  try {
    const raw = await browser.localStorage.getItem(key);
    return raw ? JSON.parse(raw) : null;
  } catch (e) {
    return null;
  }
}

function amount(money) {
  return money && money.amount != null ? Number(money.amount) : null;
}

// Shopify's event ids look like "sh-<uuid>"; the collector wants the uuid (a stable id lets it drop redeliveries).
function eventId(event) {
  const match = UUID.exec(String(event.id || ''));
  return match ? match[0].toLowerCase() : crypto.randomUUID();
}

export function mapCheckoutEvent(type, event, ids) {
  const checkout = (event.data && event.data.checkout) || {};
  const props = {
    checkout_token: checkout.token || null,
    value: amount(checkout.totalPrice),
    subtotal: amount(checkout.subtotalPrice),
    currency: checkout.currencyCode || (checkout.totalPrice && checkout.totalPrice.currencyCode) || null,
    line_count: (checkout.lineItems || []).length,
    url: event.context && event.context.document && event.context.document.location
      ? event.context.document.location.href : null,
    source: 'web_pixel',
  };
  if (checkout.order && checkout.order.id) props.order_id = String(checkout.order.id);
  for (const key of Object.keys(props)) if (props[key] == null) delete props[key];
  return {
    id: eventId(event),
    type,
    ts: event.timestamp || new Date().toISOString(),
    anon_id: ids.anonId,
    session_id: ids.sessionId,
    props,
  };
}

async function identify(event, init, browser) {
  const checkout = (event.data && event.data.checkout) || {};
  const cart = init && init.data && init.data.cart;
  let anonId = attribute(checkout.attributes, VISITOR_ATTRIBUTE) || attribute(cart && cart.attributes, VISITOR_ATTRIBUTE);
  if (!anonId) anonId = await storedJson(browser, 'pagelift_vid');
  if (!anonId) anonId = event.clientId || checkout.token || 'unknown';
  const session = await storedJson(browser, 'pagelift_session');
  const sessionId = (session && session.id) || checkout.token || anonId;
  return {anonId: String(anonId), sessionId: String(sessionId)};
}

async function send(browser, settings, events) {
  const url = String(settings.collector_url || '').replace(/\/$/, '') + '/v1/collect';
  // text/plain keeps the cross-origin POST a "simple" request (no preflight); the collector accepts it.
  const body = JSON.stringify({shop: settings.shop_public_id, events});
  if (browser.sendBeacon) {
    try {
      if (await browser.sendBeacon(url, body)) return;
    } catch (e) {
      // fall back to fetch
    }
  }
  await fetch(url, {method: 'POST', headers: {'Content-Type': 'text/plain'}, body, keepalive: true, mode: 'no-cors'});
}

register(({analytics, browser, settings, init}) => {
  const forward = (shopifyName, type) => {
    analytics.subscribe(shopifyName, async (event) => {
      try {
        const ids = await identify(event, init, browser);
        await send(browser, settings, [mapCheckoutEvent(type, event, ids)]);
      } catch (e) {
        // A pixel must never break checkout; a lost checkout event is reconciled from orders/paid.
      }
    });
  };
  forward('checkout_started', 'begin_checkout');
  forward('checkout_completed', 'checkout_completed');
});
