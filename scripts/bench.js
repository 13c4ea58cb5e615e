'use strict';
// `npm run bench`: builds the benchmark addon in bench/build (incrementally: configure only when
// bench/binding.gyp changed, then make rebuilds what changed), then runs bench/run.js with the
// arguments given (`npm run bench -- --quick`). Offline: node-gyp uses the local Node headers.
//   --force        reconfigure first
//   --build-only   build, do not run
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { root, runNodeGyp, needsConfigure } = require('./lib/node-gyp');

const benchDir = path.join(root, 'bench');

function build({ force = false } = {}) {
  const opts = { cwd: benchDir };
  if ((force || needsConfigure(benchDir, ['binding.gyp'])) && !runNodeGyp(['configure'], [], opts)) return false;
  return runNodeGyp(['build'], ['--jobs', String(Math.max(1, os.cpus().length))], opts);
}

const args = process.argv.slice(2);
if (!build({ force: args.includes('--force') })) {
  console.error('bench: building the benchmark addon failed');
  process.exitCode = 1;
} else if (!args.includes('--build-only')) {
  const r = spawnSync(process.execPath, ['--expose-gc', path.join(benchDir, 'run.js'), ...args.filter((a) => a !== '--force')], {
    cwd: root,
    stdio: 'inherit',
  });
  process.exitCode = r.status === null ? 1 : r.status;
}
