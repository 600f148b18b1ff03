// Shopify's theme-check (the linter `shopify app deploy` runs) on the theme app extension, with its
// theme-app-extension configuration: no offense of any severity. A broken copy of the extension proves the linter
// really ran over these files.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {cpSync, mkdtempSync, readFileSync, writeFileSync, rmSync} from 'node:fs';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

const require = createRequire(import.meta.url);
const themeCheck = require('@shopify/theme-check-node');
const config = require.resolve('@shopify/theme-check-node/configs/theme-app-extension.yml');
const extension = resolve(dirname(fileURLToPath(import.meta.url)), '../../extensions/pagelift-theme');

const describe = (offenses) => offenses.map((o) => `${o.check} ${o.uri}: ${o.message}`).join('\n');

test('theme-check passes on extensions/pagelift-theme', async () => {
  const offenses = await themeCheck.check(extension, config);
  assert.deepEqual(offenses, [], describe(offenses));
});

test('theme-check reports a parser-blocking script (the linter is live)', async () => {
  const copy = mkdtempSync(join(tmpdir(), 'pagelift-theme-'));
  try {
    cpSync(extension, copy, {recursive: true});
    const block = join(copy, 'blocks/app-embed.liquid');
    writeFileSync(block, readFileSync(block, 'utf8').replace(' defer></script>', '></script>'));
    const offenses = await themeCheck.check(copy, config);
    assert.ok(offenses.some((o) => o.check === 'ParserBlockingScript'), describe(offenses));
  } finally {
    rmSync(copy, {recursive: true, force: true});
  }
});
