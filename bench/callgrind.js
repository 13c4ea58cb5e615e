'use strict';
// Instructions per call of each throughput and promise design, counted by valgrind's callgrind: stable to ~1%
// run to run on a noisy machine, unlike wall clock (bench/README.md, "Reading the numbers") — the
// number to gate regressions on. Each design runs once with N = 100,000 and once with 300,000
// calls (one producer); the difference over 200,000 cancels Node's startup. Build first
// (`npm run bench -- --build-only`).
//   node bench/callgrind.js [design ...]     (about 10 s per design; promise designs: promiseCross:napix etc.)
const path = require('path');
const { spawnSync } = require('child_process');

const addonPath = path.join(__dirname, 'build', 'Release', 'napix_bench.node');
const all = ['tputRaw', 'tputNaaLambda', 'tputNaaTyped', 'tputNapixArgs', 'tputNapixClosure', 'tputNapixTyped', 'limit',
  'promiseCreate:raw', 'promiseCreate:naa', 'promiseCreate:napix', 'promiseCross:raw', 'promiseCross:napix',
  'taskBatch:raw', 'taskBatch:naa', 'taskBatch:napix', 'taskSeq:raw', 'taskSeq:naa', 'taskSeq:napix'];

if (process.argv[2] === '--child') {
  // One run of one design, nothing else (no warm-up, no GC), so the two counts differ only by N.
  const addon = require(addonPath);
  const [design, n] = [process.argv[3], Number(process.argv[4])];
  let sum = 0;
  let count = 0;
  const onCall = (i) => { sum += i; if (++count === n) addon.done(); };
  const [fn, variant] = design.split(':');
  if (fn === 'promiseCreate') addon.promiseCreate(variant, n);
  else if (fn === 'promiseCross') addon.promiseCross(variant, n);
  else if (fn === 'taskBatch') addon.taskBatch(variant, n);
  else if (fn === 'taskSeq') {
    (async () => { for (let i = 0; i < n; i++) if ((await addon.taskOne(variant, i)) !== 2 * i) process.exitCode = 1; })();
  }
  else if (design === 'limit') addon.limit(n, onCall);
  else addon[design](1, n, onCall).then(() => { if (sum !== (n * (n - 1)) / 2) process.exitCode = 1; });
} else {
  const designs = process.argv.length > 2 ? process.argv.slice(2) : all;
  const count = (design, n) => {
    const r = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath,
      __filename, '--child', design, String(n)], { encoding: 'utf8' });
    if (r.error) throw new Error(`valgrind: ${r.error.message} (is valgrind installed?)`);
    const m = /Collected : (\d+)/.exec(r.stderr);
    if (r.status !== 0 || !m) throw new Error(`${design}: callgrind failed:\n${r.stderr.slice(-2000)}`);
    return Number(m[1]);
  };
  console.log('| design | instructions per call |\n|:--|--:|');
  for (const d of designs) {
    // Sequential tasks cross threads twice per call, which valgrind serialises: fewer of them.
    const [lo, hi] = d.startsWith('taskSeq') ? [10000, 30000] : [100000, 300000];
    const perCall = (count(d, hi) - count(d, lo)) / (hi - lo);
    console.log(`| ${d} | ${Math.round(perCall)} |`);
  }
}
