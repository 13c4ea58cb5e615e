'use strict';
// Runs every test/*.test.js against one addon variant (NAPIX_TEST_VARIANT) and writes mocha's
// counts to NAPIX_STATS_FILE, so scripts/test.js can sum all suites into one closing line.
// Runs under Node, Bun and Deno (scripts/runtimes.js). On Bun and Deno the specs that
// test/runtime-skips.js names for that runtime are skipped, each printed with its reason.
//   NAPIX_TEST_FILES=convert,error   only spec files whose name contains one of these
//   NAPIX_TEST_GREP                  mocha's --grep
//   NAPIX_PROGRESS_FILE              appends one JSON line per spec started and finished (and per
//                                    hook that fails), so a runner that kills a hung process
//                                    knows what finished and which spec hung
//   NAPIX_TEST_EXCLUDE               a JSON file: full titles of specs to leave out entirely
//                                    (already run by an earlier process that hung later on)
const fs = require('fs');
const path = require('path');
const Mocha = require('mocha');
const { runtime, skipsFor, specName } = require('../test/runtime-skips');

const testDir = path.resolve(__dirname, '..', 'test');
const variant = process.env.NAPIX_TEST_VARIANT || 'except';
const grep = process.env.NAPIX_TEST_GREP;
const mocha = new Mocha({
  reporter: process.env.NAPIX_TEST_REPORTER || 'spec',
  timeout: 30000,
  ...(grep ? { grep } : {}),
});
const only = process.env.NAPIX_TEST_FILES ? process.env.NAPIX_TEST_FILES.split(',') : null;
const files = [];
for (const f of fs.readdirSync(testDir).sort()) {
  if (!f.endsWith('.test.js')) continue;
  if (only && !only.some((o) => f.includes(o))) continue;
  files.push(f);
  mocha.addFile(path.join(testDir, f));
}
mocha.loadFiles();
mocha.lazyLoadFiles(true); // loaded above, so the suites can be walked before the run

function eachTest(suite, fn) {
  for (const t of [...suite.tests]) fn(t, suite);
  for (const s of suite.suites) eachTest(s, fn);
}

const excluded = new Set(process.env.NAPIX_TEST_EXCLUDE
  ? JSON.parse(fs.readFileSync(process.env.NAPIX_TEST_EXCLUDE, 'utf8')) : []);
if (excluded.size) {
  eachTest(mocha.suite, (t, suite) => {
    if (excluded.has(t.fullTitle())) suite.tests.splice(suite.tests.indexOf(t), 1);
  });
}

// Skips by exact spec name for this runtime and variant; a listed spec that no loaded file has is
// an error (a renamed spec must not turn a skip into a silent nothing).
const skips = skipsFor(runtime, variant).filter((s) => files.includes(`${s.file}.test.js`));
const used = new Set();
eachTest(mocha.suite, (t) => {
  const skip = skips.find((s) => s.spec === specName(t.fullTitle(), variant));
  if (!skip) return;
  used.add(skip);
  t.pending = true;
  t.napixSkipReason = skip.reason;
});
const stale = skips.filter((s) => !used.has(s) && !grep && !excluded.size);
if (stale.length) {
  for (const s of stale) console.error(`test/runtime-skips.js names a spec that ${s.file}.test.js does not have: ${s.spec}`);
  process.exitCode = 1;
}

const progressFile = process.env.NAPIX_PROGRESS_FILE;
const progress = (event, runnable, extra = {}) => {
  if (progressFile) {
    fs.appendFileSync(progressFile, `${JSON.stringify({ event, title: runnable.fullTitle(), ...extra })}\n`);
  }
};

const runner = mocha.run((failures) => {
  const { passes = 0, pending = 0 } = runner.stats || {};
  const skipped = [];
  eachTest(mocha.suite, (t) => { if (t.napixSkipReason) skipped.push(t); });
  if (skipped.length) {
    console.log(`\n${skipped.length} spec(s) skipped on ${runtime} [${variant}] (test/runtime-skips.js):`);
    for (const t of skipped) console.log(`  SKIP ${t.fullTitle()}\n       ${t.napixSkipReason}`);
  }
  if (process.env.NAPIX_STATS_FILE) {
    fs.writeFileSync(process.env.NAPIX_STATS_FILE, JSON.stringify({ passes, failures, pending }));
  }
  if (!stale.length) process.exitCode = failures ? 1 : 0;
  if (progressFile) fs.appendFileSync(progressFile, `${JSON.stringify({ event: 'end', passes, failures, pending })}\n`);
});
runner.on('test', (t) => progress('start', t));
runner.on('pass', (t) => progress('pass', t));
runner.on('pending', (t) => progress('pending', t, { reason: t.napixSkipReason || null }));
runner.on('fail', (t, err) => progress(t.type === 'hook' ? 'hookfail' : 'fail', t, { error: String(err && err.message).slice(0, 300) }));
