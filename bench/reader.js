'use strict';
// The "reader" part of bench/run.js (issue 16, JS → native): N numbers from a JS async generator
// summed on a native thread (a napix task) with napix::reader<double>, against a loop of
// ThreadSafeCallback::call_sync per value pulling a synchronous generator. bench/reader.cc is the
// native side.

// The marks napix::reader runs with: the default, and a throughput-sized one (the target uses
// kMark).
const kMarks = [16, 1024];
const kMark = 1024;

async function* generator(n) {
  for (let i = 0; i < n; i++) yield i;
}

function* syncGenerator(n) {
  for (let i = 0; i < n; i++) yield i;
}

// next() for call_sync over the same async generator napix reads: a promise of the next value
// (call_sync waits until it settles), or of -1 at the end. What the issue compares against.
function asyncPuller(n) {
  const it = generator(n);
  return () => it.next().then((r) => (r.done ? -1 : r.value));
}

// next() for call_sync over a synchronous generator: the next value, or -1 at the end. A cheaper
// source than napix gets (no promise per value), so a stricter comparison than the issue's.
function puller(n) {
  const it = syncGenerator(n);
  return () => {
    const r = it.next();
    return r.done ? -1 : r.value;
  };
}

const cpuNs = () => { const u = process.cpuUsage(); return (u.user + u.system) * 1e3; };

async function readers({ addon, config, median, fmt, table, settle }) {
  const n = config.readerValues || config.calls;
  // call_sync awaiting a promise per value takes ~20 µs a value on the bench VM: fewer values, the
  // same per-value figure.
  const nAsync = Math.max(1000, Math.floor(n / 50));
  const reps = config.reps;
  const designs = [
    ...kMarks.map((m) => [`napix${m}`, `napix reader<double>, high_water_mark ${m}${m === 16 ? ' (default)' : ''}`,
      n, (k) => addon.readerSum(generator(k), m)]),
    ['callSyncAsync', `ThreadSafeCallback::call_sync per value, awaiting the same async generator (${nAsync.toLocaleString('en')} values)`,
      nAsync, (k) => addon.callSyncSum(asyncPuller(k))],
    ['callSync', 'ThreadSafeCallback::call_sync per value over a sync generator (a cheaper source)', n,
      (k) => addon.callSyncSum(puller(k))],
  ];
  const ns = Object.fromEntries(designs.map(([k]) => [k, []]));
  const cpu = Object.fromEntries(designs.map(([k]) => [k, []]));
  for (const [, , k, run] of designs) await run(Math.min(k, 100000));  // warm-up (JIT, the pool)
  for (let r = 0; r < reps; r++) {
    for (let k = 0; k < designs.length; k++) {
      const [key, , values, run] = designs[(k + r) % designs.length];
      if (typeof gc === 'function') gc();
      await settle();
      const c0 = cpuNs();
      const t0 = process.hrtime.bigint();
      const sum = await run(values);
      ns[key].push(Number(process.hrtime.bigint() - t0));
      cpu[key].push(cpuNs() - c0);
      const want = (values * (values - 1)) / 2;
      if (sum !== want) throw new Error(`reader ${key}: sum ${sum}, want ${want}`);
    }
  }
  const values = Object.fromEntries(designs.map(([k, , v]) => [k, v]));
  const per = (k) => median(ns[k]) / values[k];  // ns per value
  const out = { numbers: [], mark: kMark, values: n, asyncValues: nAsync };
  for (const [key, label] of designs) {
    out.numbers.push({ design: key, label, values: values[key], nsPerValue: per(key), mValuesPerSec: 1e3 / per(key),
      speedupVsCallSyncAsync: per('callSyncAsync') / per(key), speedupVsCallSync: per('callSync') / per(key),
      cpuNsPerValue: median(cpu[key]) / values[key], samplesNs: ns[key] });
  }
  console.log(`\n${n.toLocaleString('en')} numbers from a JS generator summed on a native thread (median of ${reps})`);
  console.log(table(['design', 'ns/value', 'M values/s', 'speed vs call_sync (same async generator)', 'speed vs call_sync (sync generator)', 'CPU ns/value'],
    out.numbers.map((x) => [x.label, fmt(x.nsPerValue, 1), fmt(x.mValuesPerSec), fmt(x.speedupVsCallSyncAsync), fmt(x.speedupVsCallSync), fmt(x.cpuNsPerValue, 0)])));
  return out;
}

// The part's targets, through run.js's add(name, value, limit, dir, unit, extra).
function readerTargets(s, add, loadedLabel) {
  const x = (k) => s.numbers.find((r) => r.design === k);
  const pre = loadedLabel ? `${loadedLabel}: ` : '';
  const extra = loadedLabel ? { loaded: true } : {};
  // The target: the same async generator read by a call_sync per value.
  add(`${pre}reader (mark ${kMark}) vs call_sync per value over the same async generator >= 5x faster`,
    x(`napix${kMark}`).speedupVsCallSyncAsync, 5, 'max', 'x', extra);
  if (!loadedLabel) add('reader (default mark 16) vs call_sync per value over the same async generator >= 5x faster', x('napix16').speedupVsCallSyncAsync, 5, 'max');
  // Stricter, ours: call_sync over a sync generator (bench/README.md says why "faster", not 5x).
  add(`${pre}reader (mark ${kMark}) vs call_sync per value over a sync generator faster`, x(`napix${kMark}`).speedupVsCallSync, 1, 'max', 'x', extra);
}

module.exports = { readers, readerTargets };
