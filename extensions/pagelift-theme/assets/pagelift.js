// pagelift storefront script, loaded `defer` by the app embed block (blocks/app-embed.liquid).
// It owns, in the shopper's browser: the first-party visitor and session ids, the events the collector stores
// (page_view, product_view, add_to_cart, begin_checkout, exposure), their delivery (batched, retried, kept in a bounded
// localStorage queue while offline), consent (Shopify's Customer Privacy API), the visitor id in the cart's attributes
// (how orders are attributed), experiment assignment with GrowthBook-compatible hashing (the same arithmetic as
// src/experiments/hashing.h; ../shared/spec/statistics.md, "Assignment"), and releasing the page the app embed holds
// until the variants are applied (no layout shift; tests/browser/storefront-vitals.test.mjs measures it).
// Plain JS without dependencies, so that it stays within its size budget (tests/js/size.test.mjs). Under node
// (`module` exists) it only exports its pure functions for the tests and touches no browser API.
(function () {
  'use strict';

  // ---- Assignment (GrowthBook-compatible) -------------------------------------------------------------------------

  // FNV-1a 32-bit over UTF-16 code units (charCodeAt), as every GrowthBook SDK does.
  function fnv1a32(str) {
    var h = 0x811c9dc5;
    for (var i = 0; i < str.length; i++) {
      h ^= str.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h >>> 0;
  }

  function hash(seed, value, version) {
    if (version === 2) return (fnv1a32(fnv1a32(seed + value) + '') % 1e4) / 1e4;
    if (version === 1) return (fnv1a32(value + seed) % 1e3) / 1e3;
    return null;
  }

  function getEqualWeights(n) {
    var out = [];
    for (var i = 0; i < n; i++) out.push(1 / n);
    return out;
  }

  function getBucketRanges(numVariations, coverage, weights) {
    coverage = coverage < 0 ? 0 : coverage > 1 ? 1 : coverage;
    var equal = getEqualWeights(numVariations);
    var w = equal;
    if (weights && weights.length === numVariations) {
      var total = 0;
      for (var i = 0; i < weights.length; i++) total += weights[i];
      // Rounding in user-entered weights is tolerated; anything else falls back to equal weights.
      if (total >= 0.99 && total <= 1.01) w = weights;
    }
    var cumulative = 0;
    return w.map(function (x) {
      var start = cumulative;
      cumulative += x;
      return [start, start + coverage * x];
    });
  }

  function chooseVariation(n, ranges) {
    for (var i = 0; i < ranges.length; i++) {
      if (n >= ranges[i][0] && n < ranges[i][1]) return i;
    }
    return -1;
  }

  function inNamespace(userId, namespace) {
    var n = hash('__' + namespace[0], userId, 1);
    return n !== null && n >= namespace[1] && n < namespace[2];
  }

  // The variation index for a visitor, or -1 when not in the experiment. `exp` follows GrowthBook's experiment shape:
  // {key, variations, weights?, coverage?, hashVersion?, seed?, namespace?: [id, start, end]}.
  function assign(exp, hashValue) {
    var count = (exp.variations || []).length;
    if (count < 2 || !hashValue) return -1;
    if (exp.namespace && !inNamespace(hashValue, exp.namespace)) return -1;
    var n = hash(exp.seed || exp.key, hashValue, exp.hashVersion || 1);
    if (n === null) return -1;
    return chooseVariation(n, getBucketRanges(count, exp.coverage == null ? 1 : exp.coverage, exp.weights));
  }

  function deviceClass(ua, width) {
    if (/iPad|Tablet|PlayBook|Silk|Android(?!.*Mobi)/i.test(ua)) return 'tablet';
    if (/Mobi|iPhone|iPod|Android|BlackBerry|Opera Mini|IEMobile/i.test(ua)) return 'mobile';
    return width && width < 768 ? 'mobile' : 'desktop';
  }

  var exported = {
    fnv1a32: fnv1a32,
    hash: hash,
    getEqualWeights: getEqualWeights,
    getBucketRanges: getBucketRanges,
    chooseVariation: chooseVariation,
    inNamespace: inNamespace,
    assign: assign,
    deviceClass: deviceClass,
  };
  if (typeof module === 'object' && module.exports) {
    module.exports = exported;
    return;
  }

  // ---- Browser ----------------------------------------------------------------------------------------------------

  var w = window;
  var d = document;

  // Without a layout shift: the app embed's style (blocks/app-embed.liquid) holds a page that has the target of a
  // running experiment (visibility: hidden on <body>; on a pagelift block a running experiment shows or hides, only
  // that block) until <html data-pagelift-ready> or, should this script never run, until a CSS animation reveals it
  // after the same timeout. Which targets and blocks have a running experiment the app writes to the shop metafield
  // $app.experiment_holds, which the style reads (a page with none is painted at once, this script or not). A text or css variant is applied only while
  // the page is held, i.e. before its first paint, so no element that was ever painted moves; one that would come
  // later is not applied on this page view (no exposure: the visitor did not see it; the next page applies it).
  // Block variants toggle visibility in a reserved box and apply at any time.
  var held = false;
  function reveal() {
    held = false;
    d.documentElement.setAttribute('data-pagelift-ready', '');
  }
  var configElement = d.getElementById('pagelift-config');
  var config;
  try {
    config = JSON.parse(configElement.textContent);
  } catch (e) {
    return reveal();  // no (or broken) configuration: do nothing rather than throw on the merchant's page
  }
  if (w.pagelift) return;  // loaded twice (theme preview, duplicated embed): the first copy reveals
  if (!config.shop) return reveal();
  // Held or not is what the style did: only a page with a running experiment's target is held, only in a browser with
  // :has(), and not once the fallback animation has run. (A theme that hides <body> itself holds the page as well, which is as good.)
  held = !!d.body && getComputedStyle(d.body).visibility === 'hidden';
  // The deadline counts from the navigation's start (performance.now()), which is never later than the start of the
  // CSS fallback's animation: the script gives up no later than the style does.
  var holdUntil = +config.revealTimeout || 2000;
  setTimeout(reveal, Math.max(0, holdUntil - performance.now()));
  var endpoint = (config.collector || '/apps/pagelift').replace(/\/$/, '');

  var PREFIX = 'pagelift_';
  var QUEUE_KEY = PREFIX + 'queue';
  var MAX_QUEUE = 200;
  var BATCH = 20;
  var FLUSH_MS = 2000;
  var SESSION_MS = 30 * 60 * 1000;
  var DAY_MS = 864e5;

  function now() {
    return Date.now();
  }
  function uuid() {
    if (w.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }
  // localStorage may be missing or throw (Safari private mode, storage full, blocked third-party contexts).
  function load(key) {
    try {
      return JSON.parse(localStorage.getItem(key));
    } catch (e) {
      return null;
    }
  }
  function save(key, value) {
    try {
      localStorage.setItem(key, JSON.stringify(value));
      return true;
    } catch (e) {
      return false;
    }
  }
  function cookie(name, value, days) {
    if (value !== undefined) {
      d.cookie = name + '=' + encodeURIComponent(value) + ';path=/;max-age=' + days * 86400 + ';SameSite=Lax' +
        (location.protocol === 'https:' ? ';Secure' : '');
      return value;
    }
    var m = d.cookie.match(new RegExp('(?:^|; )' + name + '=([^;]*)'));
    return m ? decodeURIComponent(m[1]) : null;
  }

  // The visitor id: localStorage first, a first-party cookie as the fallback (and as a second copy, so that clearing
  // one of them does not make a returning visitor new).
  function visitorId() {
    var id = load(PREFIX + 'vid') || cookie('_pagelift_vid');
    if (!id) id = uuid();
    save(PREFIX + 'vid', id);
    cookie('_pagelift_vid', id, 365);
    return id;
  }

  // The session: a new id after 30 minutes without an event. UTM parameters are kept for the whole session.
  function session() {
    var s = load(PREFIX + 'session');
    var t = now();
    if (!s || t - s.last > SESSION_MS) {
      s = {id: uuid(), utm: {}};
      var q = new URLSearchParams(location.search);
      ['source', 'medium', 'campaign', 'term', 'content'].forEach(function (k) {
        var v = q.get('utm_' + k);
        if (v) s.utm['utm_' + k] = v.slice(0, 200);
      });
    }
    s.last = t;
    save(PREFIX + 'session', s);
    return s;
  }

  var anonId;
  var started = false;
  var retries = 0;
  var retryAt = 0;
  var sending = false;
  var timer;
  var memoryQueue = [];  // used when localStorage is unavailable

  function readQueue() {
    var q = load(QUEUE_KEY);
    return Array.isArray(q) ? q : memoryQueue;
  }
  function writeQueue(q) {
    if (q.length > MAX_QUEUE) q = q.slice(q.length - MAX_QUEUE);  // oldest dropped first
    memoryQueue = q;
    save(QUEUE_KEY, q);
  }

  function cartToken() {
    return cookie('cart');
  }

  function track(type, props, extra) {
    if (!started) return;
    var s = session();
    var p = {
      url: location.href.slice(0, 1000),
      referrer: d.referrer.slice(0, 1000),
      device: deviceClass(navigator.userAgent, screen.width),
    };
    var token = cartToken();
    if (token) p.cart_token = token;
    var k;
    for (k in s.utm) p[k] = s.utm[k];
    for (k in props || {}) if (props[k] != null) p[k] = props[k];
    var e = {id: uuid(), type: type, ts: new Date().toISOString(), anon_id: anonId, session_id: s.id, props: p};
    for (k in extra || {}) e[k] = extra[k];
    if (p.product_id) e.product_id = String(p.product_id);
    var q = readQueue();
    q.push(e);
    writeQueue(q);
    if (q.length >= BATCH) flush();
    else schedule(FLUSH_MS);
  }

  function schedule(ms) {
    if (!timer) timer = setTimeout(function () { timer = 0; flush(); }, ms);
  }

  function body(events) {
    return JSON.stringify({shop: config.shop, events: events});
  }

  // Sends the queue in batches; a 2xx or a client error (which no retry can fix) removes the batch, a network error,
  // 429 or 5xx keeps it and retries with exponential backoff (2 s .. 64 s, with jitter), never sooner than the
  // answer's Retry-After (the collector's rate limit and outages say when to come back).
  function flush() {
    if (sending || !started) return;
    var q = readQueue();
    if (!q.length || navigator.onLine === false) return;
    if (now() < retryAt) return schedule(retryAt - now());
    var batch = q.slice(0, 100);
    sending = true;
    fetch(endpoint + '/v1/collect', {
      method: 'POST',
      headers: {'Content-Type': 'text/plain'},
      body: body(batch),
      keepalive: true,
      credentials: 'same-origin',
    }).then(function (r) {
      if (r.status >= 500 || r.status === 429) throw +r.headers.get('Retry-After') || 0;
      return true;
    }).then(function () {
      retries = 0;
      retryAt = 0;
      forget(batch);
      sending = false;
      if (readQueue().length) flush();
    }, function (retryAfter) {
      sending = false;
      var backoff = Math.min(64e3, FLUSH_MS * Math.pow(2, retries++)) * (0.75 + Math.random() / 2);
      retryAt = now() + Math.max(backoff, Math.min(600, retryAfter > 0 ? retryAfter : 0) * 1e3);
      schedule(retryAt - now());
    });
  }

  function forget(batch) {
    var sent = {};
    batch.forEach(function (e) { sent[e.id] = 1; });
    writeQueue(readQueue().filter(function (e) { return !sent[e.id]; }));
  }

  // The page is going away: hand what is queued to the browser with sendBeacon (text/plain: no CORS preflight). While
  // offline the events stay queued for the next page.
  function flushOnExit() {
    if (!started || navigator.onLine === false) return;
    var q = readQueue();
    if (!q.length) return;
    var batch = q.slice(0, 100);
    var ok = false;
    try {
      ok = navigator.sendBeacon(endpoint + '/v1/collect', new Blob([body(batch)], {type: 'text/plain'}));
    } catch (e) {}
    if (!ok) {
      try {
        fetch(endpoint + '/v1/collect', {method: 'POST', headers: {'Content-Type': 'text/plain'}, body: body(batch),
          keepalive: true});
        ok = true;
      } catch (e) {}
    }
    if (ok) forget(batch);
  }

  // ---- Cart ---------------------------------------------------------------------------------------------------------

  // Writes the visitor id into the cart's attributes, once per session and cart: orders carry their cart's attributes,
  // which is how the orders/paid webhook attributes a purchase to a visitor.
  function tagCart() {
    var token = cartToken();
    if (!token) return;
    var mark = session().id + '|' + token;
    if (load(PREFIX + 'cart_tag') === mark) return;
    origFetch((w.Shopify && Shopify.routes && Shopify.routes.root || '/') + 'cart/update.js', {
      method: 'POST',
      headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({attributes: {_pagelift_vid: anonId}}),
      credentials: 'same-origin',
    }).then(function (r) {
      if (r.ok) save(PREFIX + 'cart_tag', mark);
    }, function () {});
  }

  var currency = function () {
    return (w.Shopify && Shopify.currency && Shopify.currency.active) || config.currency || null;
  };

  function isCartAdd(url) {
    try {
      return /\/cart\/add(\.js)?$/.test(new URL(url, location.href).pathname);
    } catch (e) {
      return false;
    }
  }

  // A /cart/add(.js) response: the added line item, or {items: [...]}.
  function addedToCart(responseText) {
    var data;
    try {
      data = JSON.parse(responseText);
    } catch (e) {
      data = {};
    }
    var items = data.items || [data];
    items.forEach(function (it) {
      var qty = it.quantity || 1;
      track('add_to_cart', {
        product_id: it.product_id,
        variant_id: it.variant_id || it.id,
        quantity: qty,
        value: it.final_line_price != null ? it.final_line_price / 100 : it.price != null ? it.price * qty / 100 : null,
        currency: currency(),
      });
    });
    tagCart();
  }

  var origFetch = w.fetch && w.fetch.bind(w);

  function interceptCart() {
    if (origFetch) {
      w.fetch = function (input, init) {
        var url = typeof input === 'string' ? input : input && input.url;
        var method = (init && init.method) || (input && input.method) || 'GET';
        var p = origFetch(input, init);
        if (method.toUpperCase() === 'POST' && isCartAdd(url)) {
          p.then(function (r) {
            if (r.ok) r.clone().text().then(addedToCart, function () {});
          }, function () {});
        }
        return p;
      };
    }
    var X = w.XMLHttpRequest && XMLHttpRequest.prototype;
    if (X) {
      var open = X.open;
      var send = X.send;
      X.open = function (method, url) {
        this._pl = String(method).toUpperCase() === 'POST' && isCartAdd(url);
        return open.apply(this, arguments);
      };
      X.send = function () {
        if (this._pl) {
          this.addEventListener('load', function () {
            if (this.status >= 200 && this.status < 300) addedToCart(this.responseText);
          });
        }
        return send.apply(this, arguments);
      };
    }
    // A plain form post to /cart/add navigates away; themes that submit with AJAX cancel the submit and are seen by
    // the fetch/XHR hooks instead, so only submits nobody prevented count here (bubble phase, after theme handlers).
    d.addEventListener('submit', function (ev) {
      var f = ev.target;
      if (ev.defaultPrevented || !f || !f.action) return;
      if (isCartAdd(f.action)) {
        var data = new FormData(f);
        track('add_to_cart', {
          variant_id: data.get('id'),
          quantity: +(data.get('quantity') || 1),
          product_id: config.product && config.product.id,
          currency: currency(),
        });
        flushOnExit();
      } else if (/\/checkout/.test(f.action) || (ev.submitter && ev.submitter.name === 'checkout')) {
        beginCheckout();
      }
    });
    d.addEventListener('click', function (ev) {
      var a = ev.target.closest && ev.target.closest('a[href*="/checkout"],button[name="checkout"]');
      if (a && a.tagName === 'A') beginCheckout();
    }, true);
  }

  var lastCheckout = 0;
  function beginCheckout() {
    if (now() - lastCheckout < 2000) return;  // a click on a submit button also submits its form
    lastCheckout = now();
    track('begin_checkout', {currency: currency()});
    flushOnExit();
  }

  // ---- Experiments --------------------------------------------------------------------------------------------------

  // The shop's running experiments (the SDK document of src/experiments/sdk_document.h: GrowthBook's experiment shape,
  // variations as {key, config}). A 404 or a network error means none. Assignment is sticky per experiment key and
  // bucket version; the first assignment sends `exposure`. A variant is applied by its config: `css` (a style sheet)
  // and `text` (the text of the elements marked data-pagelift-target="<the experiment's target>" in the theme's
  // markup), and `block` + `show` (the app block data-pagelift-block="<block>" shown or hidden); <html> gets
  // data-pagelift-<key>="<variant>" and `pagelift:experiment` is dispatched, so blocks and themes can apply anything
  // else without a layout shift.
  var assignments = {};
  function movesLayout(variation) {
    var c = variation.config || {};
    return !!c.css || typeof c.text === 'string';
  }
  function runExperiments() {
    origFetch(endpoint + '/v1/sdk/' + encodeURIComponent(config.shop) + '.json', {credentials: 'same-origin'})
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (doc) {
        if (held && performance.now() >= holdUntil) reveal();
        (doc.experiments || []).forEach(function (exp) {
          var key = PREFIX + 'exp_' + exp.key + '__' + (exp.bucketVersion || 0);
          var stored = load(key);
          var index = stored != null ? stored : assign(exp, anonId);
          var v = exp.variations[index];
          if (!v) return;
          var variant = v.key != null ? String(v.key) : String(index);
          var c = v.config || {};
          // Too late to apply without a shift. Decided by the experiment, not by the visitor's variant, so that the
          // control and the variants lose the same visitors (otherwise late pages would be exposed in control only).
          if (!held && exp.variations.some(movesLayout)) return;
          assignments[exp.key] = {variant: variant, target: exp.target, config: c};
          d.documentElement.setAttribute('data-pagelift-' + exp.key, variant);
          if (c.css) {
            var style = d.createElement('style');
            style.textContent = c.css;
            d.head.appendChild(style);
          }
          if (exp.target) {
            d.querySelectorAll('[data-pagelift-target="' + String(exp.target).replace(/["\\]/g, '') + '"]')
              .forEach(function (el) {
                if (typeof c.text === 'string') el.textContent = c.text;
                el.setAttribute('data-pagelift-variant', variant);
              });
          }
          if (typeof c.block === 'string') {
            // A block experiment (autopilot's block patches): hiding keeps the block's reserved space (CSS visibility),
            // so neither arm shifts the layout.
            d.querySelectorAll('[data-pagelift-block="' + c.block.replace(/["\\]/g, '') + '"]').forEach(function (el) {
              if (c.show === false) el.setAttribute('data-pagelift-hidden', '');
              else el.removeAttribute('data-pagelift-hidden');
            });
          }
          d.dispatchEvent(new CustomEvent('pagelift:experiment', {detail: {experiment: exp.key, variant: variant,
            target: exp.target, config: c}}));
          if (stored == null) {
            save(key, index);
            track('exposure', {}, {experiment: String(exp.key), variant: variant});
          }
        });
        reveal();
      })
      .catch(reveal);
  }

  // ---- Start --------------------------------------------------------------------------------------------------------

  function start() {
    if (started) return;
    started = true;
    anonId = visitorId();
    w.pagelift = {anonId: anonId, track: track, flush: flush, experiments: assignments};
    interceptCart();
    track('page_view', {});
    var product = config.product;
    if (product && product.id) {
      track('product_view', {
        product_id: product.id,
        variant_id: product.variant_id,
        value: product.price != null ? product.price / 100 : null,
        currency: product.currency || currency(),
      });
    }
    tagCart();
    runExperiments();
    w.addEventListener('online', flush);
    w.addEventListener('pagehide', flushOnExit);
    d.addEventListener('visibilitychange', function () {
      if (d.visibilityState === 'hidden') flushOnExit();
    });
  }

  function analyticsAllowed() {
    var cp = w.Shopify && Shopify.customerPrivacy;
    if (cp && cp.analyticsProcessingAllowed) return !!cp.analyticsProcessingAllowed();
    return !config.consentRequired;
  }

  // Consent: track only when analytics processing is allowed; a visitor who consents later starts tracking then.
  d.addEventListener('visitorConsentCollected', function (ev) {
    if (ev.detail && ev.detail.analyticsAllowed) start();
  });
  if (analyticsAllowed()) {
    start();
    return;
  }
  // Until the visitor consents there is no visitor id, hence no assignment and nothing to hold the page for; a
  // consent given on an earlier page is known once Shopify's privacy API has loaded (within the hold's deadline).
  if (w.Shopify && Shopify.loadFeatures && !(Shopify.customerPrivacy)) {
    Shopify.loadFeatures([{name: 'consent-tracking-api', version: '0.1'}], function (error) {
      if (!error && analyticsAllowed()) start();
      else reveal();
    });
  } else {
    reveal();
  }
})();
