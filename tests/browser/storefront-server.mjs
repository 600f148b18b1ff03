// The storefront browser tests' common ground. Their storefront is the simulator's stand-in storefront
// (tools/storefront/storefront.mjs: the theme app extension rendered with liquidjs, the AJAX cart, Shopify's signed app
// proxy), serving its one fixed product (/products/widget, PRODUCT) when no simulator catalog is given. Behind it, a
// real `pagelift serve` on a throw-away database of the test cluster with one installed shop (startShopApp).
import {freePort, psqlFor, serveEnv, startProcess, stop, waitFor, waitReady} from './support.mjs';

export {PRODUCT, fixedCatalog, signProxyQuery, startStorefront} from '../../tools/storefront/storefront.mjs';

// `pagelift serve` (no workers) on a new database named `dbName`, with the shop (domain, public id) installed: its
// row holds a placeholder offline token, so session tokens need no exchange with Shopify. Returns {serve, appUrl,
// psql (bound to the database), close()}; close() stops the server and drops the database.
export async function startShopApp({dbName, apiKey, secret, shopDomain, shopPublicId}) {
  const psql = psqlFor(dbName);
  psql(`CREATE DATABASE ${dbName}`, 'postgres');
  const port = await freePort();
  const appUrl = `http://127.0.0.1:${port}`;
  const serve = startProcess(['serve'], serveEnv({db: dbName, port, apiKey, secret}), 'pagelift serve');
  await waitReady(serve, `${appUrl}/readyz`);
  psql(`INSERT INTO shops (domain, public_id, access_token_enc) VALUES ('${shopDomain}', '${shopPublicId}', '\\x00')`);
  return {
    serve, appUrl, psql,
    close: async () => {
      await stop(serve);
      try {
        psql(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`, 'postgres');
      } catch (e) {
        // the cluster may already be stopping; the database is throw-away
      }
    },
  };
}

// Hands the page's queued events to the collector now (instead of waiting for pagelift.js's 2 s flush timer) and waits
// until its queue is empty, i.e. everything tracked so far was accepted (and is stored: the collector answers after
// its commit).
export async function eventsDelivered(page) {
  await waitFor('the event queue to be delivered', () => page.evaluate(() => {
    window.pagelift.flush();
    return (JSON.parse(localStorage.getItem('pagelift_queue')) || []).length === 0;
  }), 20000);
}
