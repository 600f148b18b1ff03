// The storefront script's weight budget: at most 8 KB gzipped after minification with terser, so that pagelift costs
// the shopper almost nothing (ARCHITECTURE.md: no more than a couple of Lighthouse points). The minified script must
// also still export its functions under node (the minifier keeps the `module` check).
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync, writeFileSync, mkdtempSync} from 'node:fs';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {gzipSync} from 'node:zlib';
import {minify} from 'terser';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BUDGET = 8 * 1024;

test('pagelift.js is at most 8 KB gzipped after terser', async () => {
  const source = readFileSync(join(repo, 'extensions/pagelift-theme/assets/pagelift.js'), 'utf8');
  const {code} = await minify(source, {compress: {passes: 2}, mangle: true});
  const gzipped = gzipSync(code, {level: 9}).length;
  console.log(`pagelift.js: ${source.length} B source, ${code.length} B minified, ${gzipped} B gzipped`);
  assert.ok(gzipped <= BUDGET, `${gzipped} B gzipped exceeds the ${BUDGET} B budget`);

  const file = join(mkdtempSync(join(tmpdir(), 'pagelift-min-')), 'pagelift.min.js');
  writeFileSync(file, code);
  const pl = createRequire(import.meta.url)(file);
  assert.equal(pl.hash('', 'a', 1), 0.22);
});
