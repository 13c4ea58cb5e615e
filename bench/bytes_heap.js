'use strict';
// Bytes handed to JS in a process with a large JS heap (doc/persistent.md, "The cost is in the
// garbage collector"): 1,024 conversions of a 1 MiB napix::Bytes, one per turn of the event loop
// (as a producer hands JS one chunk per callback), with `--heap` MB of live JS objects kept
// around. Designs: 'napix' to_js (external Buffer), 'napix-copy' the same after
// set_zero_copy(false), 'copy' raw napi_create_buffer_copy. Reports wall and CPU time and the
// GCs that ran (major / minor), idle only; not part of `npm run bench` (a large heap makes the
// external runs take seconds each). Build first: `npm run bench -- --build-only`.
//   node --expose-gc bench/bytes_heap.js [--heap=MB,...] [--reps=K]
const path = require('path');
const { PerformanceObserver, constants } = require('perf_hooks');

const addon = require(path.join(__dirname, 'build', 'Release', 'napix_bench.node'));
const opt = (name) => (process.argv.find((a) => a.startsWith(`--${name}=`)) || '').split('=')[1];
const heaps = (opt('heap') || '0,1000').split(',').map(Number);
const reps = Number(opt('reps')) || 2;
const designs = ['napix', 'napix-copy', 'copy'];

let major = 0;
let minor = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) major++;
    else minor++;
  }
}).observe({ entryTypes: ['gc'] });

const tick = () => new Promise((resolve) => setImmediate(resolve));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function run(design) {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 50));
  major = 0;
  minor = 0;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 1024; i++) {
    await tick();
    addon.bytesToJs(design, 1 << 20, 1);
  }
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  await tick();
  return { wallMs, cpuMs: (c.user + c.system) / 1e3, major, minor };
}

(async () => {
  const live = [];
  console.log('| live JS heap | design | wall ms | CPU ms | major GCs | minor GCs |\n|--:|:--|--:|--:|--:|--:|');
  for (const mb of heaps) {
    // About 1 MB per 10 arrays of 12,500 small objects (measured with process.memoryUsage()).
    while (process.memoryUsage().heapUsed < mb * 1e6) live.push(Array.from({ length: 12500 }, (_, j) => ({ j })));
    const heapMb = Math.round(process.memoryUsage().heapUsed / 1e6);
    for (const d of designs) {
      const rs = [];
      for (let r = 0; r < reps; r++) rs.push(await run(d));
      const m = (k) => Math.round(median(rs.map((x) => x[k])));
      console.log(`| ${heapMb} MB | ${d} | ${m('wallMs')} | ${m('cpuMs')} | ${m('major')} | ${m('minor')} |`);
    }
  }
})();
