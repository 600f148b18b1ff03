// What every browser test needs around the browser: the test cluster (tests/support/pg-cluster writes its env file),
// a throw-away database, free ports, waiting on a condition, and the real pagelift binary as a child process.
import assert from 'node:assert/strict';
import {execFileSync, spawn} from 'node:child_process';
import {readFileSync} from 'node:fs';
import net from 'node:net';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium} from 'playwright-core';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const binary = process.env.PAGELIFT_BINARY;
export const pgDir = process.env.PAGELIFT_TEST_PG_DIR;
assert.ok(binary && pgDir, 'PAGELIFT_BINARY and PAGELIFT_TEST_PG_DIR must be set (see tests/CMakeLists.txt)');
export const pg =
    Object.fromEntries(readFileSync(join(pgDir, 'env'), 'utf8').trim().split('\n').map((l) => l.split('=')));

// A conninfo for `db` on the test cluster.
export function databaseUrl(db) {
  return `host=${pg.PGHOST} port=${pg.PGPORT} user=${pg.PGUSER} dbname=${db}`;
}

// psql(sql, db = defaultDb): runs one statement with psql and returns its unaligned output.
export function psqlFor(defaultDb) {
  return (sql, db = defaultDb) => execFileSync('/usr/lib/postgresql/15/bin/psql',
                      ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', pg.PGHOST, '-p', pg.PGPORT, '-U', pg.PGUSER,
                       '-d', db, '-c', sql], {encoding: 'utf8'}).trim();
}

// The environment of `pagelift serve` on `port` and database `db` with the app's credentials (SHOPIFY_APP_URL is its
// own address); with `simUrl`, the simulator plays Shopify (Admin API, App Bridge). `workers`: it runs the jobs too.
export function serveEnv({db, port, apiKey, secret, simUrl, workers = false}) {
  return {
    DATABASE_URL: databaseUrl(db),
    PAGELIFT_LISTEN: `127.0.0.1:${port}`,
    PAGELIFT_TOKEN_KEYS: 'test1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=',
    SHOPIFY_API_KEY: apiKey, SHOPIFY_API_SECRET: secret, SHOPIFY_APP_URL: `http://127.0.0.1:${port}`,
    ...(simUrl ? {SHOPIFY_ADMIN_BASE_URL: simUrl, PAGELIFT_APP_BRIDGE_URL: `${simUrl}/_sim/app-bridge.js`} : {}),
    PAGELIFT_WORKERS: String(workers),
  };
}

// The environment of `pagelift shopify-sim` on `port`, for the app at `appUrl`, with one shop.
export function simEnv({port, apiKey, secret, appUrl, shop, products = 20, orders = 20}) {
  return {
    SIM_LISTEN: `127.0.0.1:${port}`, SHOPIFY_API_KEY: apiKey, SHOPIFY_API_SECRET: secret, SIM_APP_URL: appUrl,
    SIM_SHOPS: shop, SIM_PRODUCTS: String(products), SIM_ORDERS: String(orders),
  };
}

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

// Polls `probe` every 100 ms until it returns something truthy (returned), or throws after `timeoutMs`.
export async function waitFor(what, probe, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

// The pagelift binary with `args` and extra environment; its output collects in child.output.
export function startProcess(args, env, label) {
  const child = spawn(binary, args, {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']});
  child.output = '';
  child.stdout.on('data', (d) => { child.output += d; });
  child.stderr.on('data', (d) => { child.output += d; });
  child.label = label;
  return child;
}

// Waits until `url` answers 2xx, failing at once if the child exits.
export async function waitReady(child, url) {
  await waitFor(`${child.label} to be ready`, async () => {
    if (child.exitCode !== null) throw new Error(`${child.label} exited: ${child.output}`);
    try {
      return (await fetch(url)).ok;
    } catch (e) {
      return false;
    }
  }, 30000);
}

// SIGTERM, then waits for the exit.
export async function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

// Debian's chromium, headless; launch() gives it a fresh temporary profile and removes it on close.
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.PAGELIFT_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
           '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}
