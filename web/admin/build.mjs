// Builds the embedded admin UI: `node web/admin/build.mjs OUTDIR` bundles src/main.tsx (Preact, uPlot, the CSS) with
// esbuild into OUTDIR/app-{hash}.js and app-{hash}.css and writes OUTDIR/index.html naming them under /app/assets/.
// The output directory is emptied first, so only the current hashes are embedded (web/admin/admin_ui.cmake).
import {build} from 'esbuild';
import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {basename, dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] || join(here, 'dist'));
rmSync(out, {recursive: true, force: true});
mkdirSync(out, {recursive: true});

const result = await build({
  entryPoints: {app: join(here, 'src/main.tsx')},
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome109', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  entryNames: '[name]-[hash]',
  outdir: out,
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
const script = outputs.find((name) => name.endsWith('.js'));
const style = outputs.find((name) => name.endsWith('.css'));
if (!script || !style) throw new Error(`esbuild produced ${outputs.join(', ')}; expected one .js and one .css`);

const html = readFileSync(join(here, 'index.html'), 'utf8')
  .replace('%APP_SCRIPT%', `/app/assets/${script}`)
  .replace('%APP_STYLE%', `/app/assets/${style}`);
writeFileSync(join(out, 'index.html'), html);
const sizes = Object.entries(result.metafile.outputs).map(([path, o]) => `${basename(path)} ${o.bytes} B`);
console.log(`admin UI: ${sizes.join(', ')}`);
