// The storefront script as it ships (tests/js/minify-storefront.mjs): the checked-in pagelift.min.js is exactly
// terser's output of pagelift.js, the app embed loads that file, and it weighs at most 8 KB gzipped, so that pagelift
// costs the shopper almost nothing (ARCHITECTURE.md: no more than a couple of Lighthouse points). The minified script
// must also still export its functions under node (the minifier keeps the `module` check).
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {gzipSync} from 'node:zlib';
import {SHIPPED, SOURCE, minifyStorefront} from './minify-storefront.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BUDGET = 8 * 1024;

test('the shipped pagelift.min.js is the minified pagelift.js', async () => {
  const expected = await minifyStorefront();
  assert.ok(readFileSync(SHIPPED, 'utf8') === expected,
            'pagelift.min.js is stale: run `node tests/js/minify-storefront.mjs` and commit the result');
});

test('the app embed loads the minified script, deferred', () => {
  const embed = readFileSync(join(repo, 'extensions/pagelift-theme/blocks/app-embed.liquid'), 'utf8');
  assert.match(embed, /<script src="{{ 'pagelift\.min\.js' \| asset_url }}" defer><\/script>/);
});

test('pagelift.min.js is at most 8 KB gzipped and still works', () => {
  const source = readFileSync(SOURCE, 'utf8');
  const shipped = readFileSync(SHIPPED, 'utf8');
  const gzipped = gzipSync(shipped, {level: 9}).length;
  console.log(`pagelift.js: ${source.length} B source, ${shipped.length} B minified, ${gzipped} B gzipped`);
  assert.ok(gzipped <= BUDGET, `${gzipped} B gzipped exceeds the ${BUDGET} B budget`);
  const pl = createRequire(import.meta.url)(SHIPPED);
  assert.equal(pl.hash('', 'a', 1), 0.22);
  assert.equal(pl.deviceClass('Mozilla/5.0 (iPhone)', 390), 'mobile');
});
