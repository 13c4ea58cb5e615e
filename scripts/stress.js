'use strict';
// `npm run test:stress`: the loops `npm test` runs briefly, run long — the teardown specs with 50
// repetitions of every scenario (NAPIX_STRESS_REPEAT overrides), and the conversion fuzz with
// more values — against both addon variants.
const { spawnSync } = require('child_process');
const path = require('path');

const env = {
  ...process.env,
  NAPIX_STRESS_REPEAT: process.env.NAPIX_STRESS_REPEAT || '50',
  NAPIX_FUZZ_ITERATIONS: process.env.NAPIX_FUZZ_ITERATIONS || '5000',
  NAPIX_TEST_FILES: process.env.NAPIX_TEST_FILES || 'teardown,fuzz',
};
const r = spawnSync(process.execPath, [path.join(__dirname, 'test.js'), '--only=js', ...process.argv.slice(2)], {
  stdio: 'inherit', env,
});
process.exitCode = r.status === null ? 1 : r.status;
