// GrowthBook's cross-SDK conformance cases (../shared/conformance/growthbook-sdk-cases.json, read in place) against
// the assignment functions of the storefront script: the same sections and the same float truncation as the C++ test
// (tests/unit/experiments/conformance_test.cpp), so that browser and server assign every visitor identically.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {dirname, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const sharedDir = process.env.PAGELIFT_SHARED_DIR || resolve(repo, '../shared');
const cases = JSON.parse(readFileSync(resolve(sharedDir, 'conformance/growthbook-sdk-cases.json'), 'utf8'));
const pl = createRequire(import.meta.url)(resolve(repo, 'extensions/pagelift-theme/assets/pagelift.js'));

const truncate8 = (x) => Math.floor(x * 1e8) / 1e8;

test('hash', () => {
  assert.ok(cases.hash.length > 0);
  for (const [seed, value, version, expected] of cases.hash) {
    const actual = pl.hash(seed, value, version);
    if (expected === null) assert.equal(actual, null, `${seed}/${value}/v${version}`);
    else assert.equal(truncate8(actual), truncate8(expected), `${seed}/${value}/v${version}`);
  }
});

test('getBucketRange', () => {
  assert.ok(cases.getBucketRange.length > 0);
  for (const [name, [n, coverage, weights], expected] of cases.getBucketRange) {
    const actual = pl.getBucketRanges(n, coverage, weights);
    assert.deepEqual(actual.map((r) => r.map(truncate8)), expected.map((r) => r.map(truncate8)), name);
  }
});

test('chooseVariation', () => {
  assert.ok(cases.chooseVariation.length > 0);
  for (const [name, n, ranges, expected] of cases.chooseVariation) {
    assert.equal(pl.chooseVariation(n, ranges), expected, name);
  }
});

test('getEqualWeights', () => {
  assert.ok(cases.getEqualWeights.length > 0);
  for (const [n, expected] of cases.getEqualWeights) {
    assert.deepEqual(pl.getEqualWeights(n).map(truncate8), expected.map(truncate8), `n=${n}`);
  }
});

test('inNamespace', () => {
  assert.ok(cases.inNamespace.length > 0);
  for (const [name, id, ns, expected] of cases.inNamespace) {
    assert.equal(pl.inNamespace(id, ns), expected, name);
  }
});

test('fnv1a32 hashes UTF-16 code units (astral characters as surrogate pairs)', () => {
  // FNV-1a of "" is the offset basis; "a" is a published vector (0xe40c292c).
  assert.equal(pl.fnv1a32(''), 0x811c9dc5);
  assert.equal(pl.fnv1a32('a'), 0xe40c292c);
  let h = 0x811c9dc5;
  for (const unit of [0xd83d, 0xde00]) h = Math.imul(h ^ unit, 0x01000193) >>> 0;
  assert.equal(pl.fnv1a32('\u{1F600}'), h);
});

test('assign: v2 hashing, seed defaults to key, namespaces and coverage gaps exclude', () => {
  const exp = {key: 'k', variations: [{key: 'a'}, {key: 'b'}], hashVersion: 2};
  for (const id of ['v1', 'v2', 'v3', 'v4']) {
    const n = pl.hash('k', id, 2);
    assert.equal(pl.assign(exp, id), n < 0.5 ? 0 : 1, id);
    assert.equal(pl.assign({...exp, seed: 'k'}, id), pl.assign(exp, id));
  }
  assert.equal(pl.assign({...exp, variations: [{}]}, 'v1'), -1);
  assert.equal(pl.assign(exp, ''), -1);
  assert.equal(pl.assign({...exp, coverage: 0}, 'v1'), -1);
  assert.equal(pl.assign({...exp, hashVersion: 99}, 'v1'), -1);
  const out = cases.inNamespace.find((c) => c[3] === false);
  assert.equal(pl.assign({...exp, namespace: out[2]}, out[1]), -1);
});

test('deviceClass', () => {
  assert.equal(pl.deviceClass('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148', 390), 'mobile');
  assert.equal(pl.deviceClass('Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)', 1024), 'tablet');
  assert.equal(pl.deviceClass('Mozilla/5.0 (Linux; Android 14; SM-X700) AppleWebKit/537.36 Safari/537.36', 1200),
               'tablet');
  assert.equal(pl.deviceClass('Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36', 412), 'mobile');
  assert.equal(pl.deviceClass('Mozilla/5.0 (X11; Linux x86_64) Chrome/120', 1920), 'desktop');
});
