'use strict';
// `npm run test:stress`: the loops `npm test` runs briefly, run long, against both addon variants:
//   - test/stress.test.js, the mixed teardown stress: 4 producer threads mixing every kind of napix
//     traffic while their environment goes — 500 Worker terminate() cycles, 500 Worker
//     process.exit() cycles, 50 main-thread natural exits and 50 main-thread process.exit()s,
//     exact ledgers after each, a hard limit per cycle;
//   - test/teardown.test.js, every scenario 50 times;
//   - the conversion fuzz with 5000 values.
//
// ONE knob scales the teardown loops: NAPIX_STRESS_REPEAT (50 here; unset in `npm test`).
// teardown.test.js repeats each scenario REPEAT times (npm test: 3); stress.test.js runs
// 10 x REPEAT Worker cycles and REPEAT child processes per scenario (npm test: 5 of each).
// NAPIX_FUZZ_ITERATIONS sizes the fuzz; NAPIX_TEST_FILES picks spec files as for `npm test`.
//   --nodes=system,24          run on these Nodes, through scripts/matrix.js (one addon build;
//                              Node 22/24/26 from the npm registry, cached in .cache/node-N);
//                              default: the running Node only, through scripts/test.js
//   --variant=except|noexcept  one addon variant
// Prints the cycles/s of every stress scenario and, at the end, the wall time.
const { spawnSync } = require('child_process');
const path = require('path');
const { option } = require('./lib/summary');

const argv = process.argv.slice(2);
const env = {
  ...process.env,
  NAPIX_STRESS_REPEAT: process.env.NAPIX_STRESS_REPEAT || '50',
  NAPIX_FUZZ_ITERATIONS: process.env.NAPIX_FUZZ_ITERATIONS || '5000',
  NAPIX_TEST_FILES: process.env.NAPIX_TEST_FILES || 'stress,teardown,fuzz',
  NAPIX_TEST_REPORTER: process.env.NAPIX_TEST_REPORTER || 'spec',
};
const runner = option('nodes', argv) ? ['matrix.js'] : ['test.js', '--only=js'];
const started = Date.now();
const r = spawnSync(process.execPath, [path.join(__dirname, runner[0]), ...runner.slice(1), ...argv], {
  stdio: 'inherit', env,
});
console.log(`test:stress wall time: ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exitCode = r.status === null ? 1 : r.status;
