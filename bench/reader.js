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

// next() for call_sync: the generator's next value, or -1 at the end.
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
  const reps = config.reps;
  const want = (n * (n - 1)) / 2;
  const designs = [
    ...kMarks.map((m) => [`napix${m}`, `napix reader<double>, high_water_mark ${m}${m === 16 ? ' (default)' : ''}`,
      () => addon.readerSum(generator(n), m)]),
    ['callSync', 'ThreadSafeCallback::call_sync per value (sync generator)', () => addon.callSyncSum(puller(n))],
  ];
  const ns = Object.fromEntries(designs.map(([k]) => [k, []]));
  const cpu = Object.fromEntries(designs.map(([k]) => [k, []]));
  for (const [, , run] of designs) await run();  // warm-up (JIT, the pool)
  for (let r = 0; r < reps; r++) {
    for (let k = 0; k < designs.length; k++) {
      const [key, , run] = designs[(k + r) % designs.length];
      if (typeof gc === 'function') gc();
      await settle();
      const c0 = cpuNs();
      const t0 = process.hrtime.bigint();
      const sum = await run();
      ns[key].push(Number(process.hrtime.bigint() - t0));
      cpu[key].push(cpuNs() - c0);
      if (sum !== want) throw new Error(`reader ${key}: sum ${sum}, want ${want}`);
    }
  }
  const med = (k) => median(ns[k]);
  const out = { numbers: [], mark: kMark, values: n };
  for (const [key, label] of designs) {
    out.numbers.push({ design: key, label, nsPerValue: med(key) / n, mValuesPerSec: (n / med(key)) * 1e3,
      speedupVsCallSync: med('callSync') / med(key), cpuNsPerValue: median(cpu[key]) / n, samplesNs: ns[key] });
  }
  console.log(`\n${n.toLocaleString('en')} numbers from a JS generator summed on a native thread (median of ${reps})`);
  console.log(table(['design', 'ns/value', 'M values/s', 'speed vs call_sync per value', 'CPU ns/value'],
    out.numbers.map((x) => [x.label, fmt(x.nsPerValue, 1), fmt(x.mValuesPerSec), fmt(x.speedupVsCallSync), fmt(x.cpuNsPerValue, 0)])));
  return out;
}

// The part's targets, through run.js's add(name, value, limit, dir, unit, extra).
function readerTargets(s, add, loadedLabel) {
  const x = (k) => s.numbers.find((r) => r.design === k);
  const pre = loadedLabel ? `${loadedLabel}: ` : '';
  const extra = loadedLabel ? { loaded: true } : {};
  add(`${pre}reader (mark ${kMark}) vs call_sync per value >= 5x faster`, x(`napix${kMark}`).speedupVsCallSync, 5, 'max', 'x', extra);
  if (!loadedLabel) add('reader (default mark 16) vs call_sync per value faster', x('napix16').speedupVsCallSync, 1, 'max');
}

module.exports = { readers, readerTargets };
