'use strict';
// Runs every test/*.test.js against one addon variant (NAPIX_TEST_VARIANT) and writes mocha's
// counts to NAPIX_STATS_FILE, so scripts/test.js can sum all suites into one closing line.
const fs = require('fs');
const path = require('path');
const Mocha = require('mocha');

const testDir = path.resolve(__dirname, '..', 'test');
const grep = process.env.NAPIX_TEST_GREP;
const mocha = new Mocha({
  reporter: process.env.NAPIX_TEST_REPORTER || 'spec',
  timeout: 30000,
  ...(grep ? { grep } : {}),
});
const only = process.env.NAPIX_TEST_FILES ? process.env.NAPIX_TEST_FILES.split(',') : null;
for (const f of fs.readdirSync(testDir).sort()) {
  if (!f.endsWith('.test.js')) continue;
  if (only && !only.some((o) => f.includes(o))) continue;
  mocha.addFile(path.join(testDir, f));
}

const runner = mocha.run((failures) => {
  const { passes = 0, pending = 0 } = runner.stats || {};
  if (process.env.NAPIX_STATS_FILE) {
    fs.writeFileSync(process.env.NAPIX_STATS_FILE, JSON.stringify({ passes, failures, pending }));
  }
  process.exitCode = failures ? 1 : 0;
});
