'use strict';
// Bun and Deno, the JavaScript runtimes besides Node that load Node-API addons: how each is
// installed (from the npm registry, once, into .cache/<name>/) and how it runs a CommonJS script.
// Used by scripts/runtimes.js (`npm run test:runtimes`) and scripts/examples.js (--runtime=).
const path = require('path');
const { spawnSync } = require('child_process');
const { ensureFromNpm } = require('./npm');

function output(bin, args) {
  const r = spawnSync(bin, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

const RUNTIMES = {
  bun: {
    npm: '@oven/bun-linux-x64@1',
    bin: path.join('bin', 'bun'),
    args: (script) => ['--expose-gc', script],
    version: (bin) => { const v = output(bin, ['--version']); return v && `bun ${v}`; },
  },
  deno: {
    npm: '@deno/linux-x64-glibc@2',
    bin: 'deno',
    // Deno treats a .js file as an ES module unless told; V8's --expose-gc for the specs that use gc().
    args: (script) => ['run', '-A', '--unstable-detect-cjs', '--v8-flags=--expose-gc', script],
    version: (bin) => { const v = output(bin, ['--version']); return v && v.split('\n')[0].replace(/\s*\(.*$/, ''); },
  },
};

// { name, bin, label, args(script) } for a runtime, installed when missing; or { error }.
function ensureRuntime(name) {
  const spec = RUNTIMES[name];
  if (!spec) return { error: `unknown runtime ${name} (have: ${Object.keys(RUNTIMES).join(', ')})` };
  const got = ensureFromNpm(spec.npm, name, spec.bin, name);
  if (got.skip || got.error) return { error: got.skip || got.error };
  const label = spec.version(got.bin);
  if (!label) return { error: `${got.bin} does not run` };
  return { name, bin: got.bin, label, args: spec.args };
}

module.exports = { RUNTIMES, ensureRuntime };
