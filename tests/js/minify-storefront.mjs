// The storefront script as it ships: extensions/pagelift-theme/assets/pagelift.js is the readable source (kept next to
// the shipped file so tests and reviewers read one place), pagelift.min.js is terser's output of it, checked in,
// because a theme app extension is deployed by the Shopify CLI exactly as the folder is (no build step), and the app
// embed loads the minified file. tests/js/size.test.mjs fails when the checked-in copy is not the source's output.
//   node tests/js/minify-storefront.mjs     rewrites pagelift.min.js after pagelift.js changed
import {readFileSync, writeFileSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {minify} from 'terser';

const assets = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'extensions/pagelift-theme/assets');
export const SOURCE = join(assets, 'pagelift.js');
export const SHIPPED = join(assets, 'pagelift.min.js');

// terser is pinned by package-lock.json, so the output is reproducible byte for byte.
export async function minifyStorefront(source = readFileSync(SOURCE, 'utf8')) {
  const {code} = await minify(source, {compress: {passes: 2}, mangle: true, format: {comments: false}});
  return `/* pagelift storefront script; generated from pagelift.js by tests/js/minify-storefront.mjs */\n${code}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(SHIPPED, await minifyStorefront());
  console.log(`wrote ${SHIPPED}`);
}
