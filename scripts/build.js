'use strict';
// Builds the test addon in both exception variants, incrementally: configure only when a .gyp file
// changed, then let make rebuild what changed. `node scripts/build.js --force` reconfigures.
const os = require('os');
const path = require('path');
const { root, runNodeGyp, needsConfigure } = require('./lib/node-gyp');

const addonDir = path.join(root, 'build', 'Release');
const variants = ['except', 'noexcept'];

function build({ force = false } = {}) {
  if ((force || needsConfigure(root, ['binding.gyp', 'napix.gyp'])) && !runNodeGyp(['configure'])) return false;
  const jobs = String(Math.max(1, os.cpus().length));
  return runNodeGyp(['build'], ['--jobs', jobs]);
}

function addonPath(variant) {
  return path.join(addonDir, `napix_test_${variant}.node`);
}

module.exports = { build, addonPath, variants };

if (require.main === module) {
  process.exitCode = build({ force: process.argv.includes('--force') }) ? 0 : 1;
}
