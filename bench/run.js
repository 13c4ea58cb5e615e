'use strict';
// Runs the napix benchmarks (build first: `npm run bench` does both). See bench/README.md.
//   --quick      N = 200,000, fewer repetitions (under a minute)
//   --reps=K     repetitions of every throughput scenario (default 5; 3 with --quick)
//   --only=tput,rt,mem,promise,task   run some of the parts
//   --out=FILE   where the JSON goes (default bench/results/latest.json)
const fs = require('fs');
const os = require('os');
const path = require('path');

const addon = require(path.join(__dirname, 'build', 'Release', 'napix_bench.node'));

const argv = process.argv.slice(2);
const opt = (name) => {
  const a = argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : null;
};
const quick = argv.includes('--quick');
const config = {
  quick,
  calls: quick ? 200000 : 1000000,
  producers: [1, 2, 4],
  reps: Number(opt('reps')) || (quick ? 3 : 5),
  rtCalls: quick ? 5000 : 20000,
  rtReps: quick ? 2 : 3,
  memCalls: 1000000,
  memReps: quick ? 1 : 3,
};
const only = (opt('only') || 'tput,rt,mem,promise,task').split(',');
const outFile = path.resolve(opt('out') || path.join(__dirname, 'results', 'latest.json'));

// The JS target: one integer argument, a sum, and done() on the N-th call (end-to-end timing).
let sum = 0;
let count = 0;
let target = 0;
let onLast = null;
function onCall(i) {
  sum += i;
  if (++count === target) onLast();
}
function arm(n, last = addon.done) {
  sum = 0;
  count = 0;
  target = n;
  onLast = last;
}
function checkSum(n, what) {
  const want = (n * (n - 1)) / 2;
  if (count !== n || sum !== want) throw new Error(`${what}: got ${count} calls summing to ${sum}, want ${n} / ${want}`);
}

const designs = [
  { key: 'raw', label: 'raw napi tsfn (int in data ptr)', run: addon.tputRaw },
  { key: 'naaLambda', label: 'node-addon-api TSFN lambda', run: addon.tputNaaLambda },
  { key: 'naaTyped', label: 'node-addon-api TypedTSFN', run: addon.tputNaaTyped },
  { key: 'napixArgs', label: 'napix TSCallback::call(i)', run: addon.tputNapixArgs },
  { key: 'napixClosure', label: 'napix TSCallback::call(closure)', run: addon.tputNapixClosure },
  { key: 'napixTyped', label: 'napix Typed<void(int)>::call(i)', run: addon.tputNapixTyped },
];
const rtDesigns = [
  { key: 'raw', label: 'raw tsfn + std::future', run: addon.rtRaw },
  { key: 'napix', label: 'napix TSCallback::call_sync<double>', run: addon.rtNapix },
  { key: 'napixTyped', label: 'napix Typed<double(int)>::call_sync', run: addon.rtNapixTyped },
];
const memDesigns = [
  { key: 'raw', label: 'raw tsfn (int in data ptr)', run: addon.memRaw },
  { key: 'rawHeap', label: 'raw tsfn (heap int per call)', run: addon.memRawHeap },
  { key: 'naaLambda', label: 'node-addon-api TSFN lambda', run: addon.memNaaLambda },
  { key: 'napixArgs', label: 'napix TSCallback::call(i)', run: addon.memNapixArgs },
  { key: 'napixClosure', label: 'napix TSCallback::call(closure)', run: addon.memNapixClosure },
  { key: 'napixTyped', label: 'napix Typed<void(int)>::call(i)', run: addon.memNapixTyped },
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const fmt = (x, d = 2) => (x === undefined || x === null || Number.isNaN(x) ? '-' : x.toFixed(d));
// How busy OTHER processes kept the CPUs during a part (Linux /proc/stat minus our own CPU time):
// wall-clock ratios from a part that ran beside a build or a test suite are not worth much.
function loadProbe() {
  const read = () => {
    try {
      const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
      return { idle: f[3] + (f[4] || 0), total: f.reduce((a, b) => a + b, 0) };
    } catch { return null; }
  };
  const s0 = read(), u0 = process.cpuUsage(), t0 = process.hrtime.bigint();
  return () => {
    const s1 = read(), u = process.cpuUsage(u0), wall = Number(process.hrtime.bigint() - t0) / 1e9;
    if (!s0 || !s1 || s1.total === s0.total) return null;
    const busy = 1 - (s1.idle - s0.idle) / (s1.total - s0.total);
    const ours = (u.user + u.system) / 1e6 / (wall * os.cpus().length);
    return Math.max(0, Math.min(1, busy - ours));
  };
}
function reportLoad(part, other) {
  if (other === null) return;
  const pct = Math.round(other * 100);
  console.log(`(other processes kept ~${pct}% of the CPUs busy during this part${pct > 10 ? ' — NOISY: rerun on an idle machine' : ''})`);
}
const settle = () => new Promise((r) => setImmediate(r));
const gc = () => { if (global.gc) global.gc(); };

function table(headers, rows) {
  const cells = [headers, ...rows].map((r) => r.map(String));
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  const line = (r) => `| ${r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join(' | ')} |`;
  return [line(cells[0]), `|${widths.map((w, c) => (c === 0 ? ':' : '-').padEnd(w + 1, '-') + (c === 0 ? '-' : ':')).join('|')}|`,
    ...cells.slice(1).map(line)].join('\n');
}

async function throughputOnce(design, producers, n) {
  arm(n);
  const ns = await design.run(producers, n, onCall);
  checkSum(n, design.key);
  return ns;
}

async function throughput() {
  const { calls, reps, producers } = config;
  // Warm up: JIT the target and fault in every path once.
  for (const d of designs) await throughputOnce(d, 2, 20000);
  arm(20000, () => {});
  addon.limit(20000, onCall);

  const samples = {};  // `${key}/${P}` -> ns[]
  const limit = [];
  for (let r = 0; r < reps; r++) {
    for (const p of producers) {
      // Round-robin, starting one design later each repetition, so drift hits all designs.
      for (let k = 0; k < designs.length; k++) {
        const d = designs[(k + r) % designs.length];
        gc();
        await settle();
        (samples[`${d.key}/${p}`] ||= []).push(await throughputOnce(d, p, calls));
      }
    }
    gc();
    arm(calls, () => {});
    limit.push(addon.limit(calls, onCall));
    checkSum(calls, 'limit');
  }

  const rows = [];
  for (const p of producers) {
    const med = (key) => median(samples[`${key}/${p}`]);
    for (const d of designs) {
      const ns = med(d.key);
      rows.push({
        design: d.key, label: d.label, producers: p, samplesNs: samples[`${d.key}/${p}`], medianNs: ns,
        mcps: (calls / ns) * 1e3, vsRaw: med('raw') / ns, vsNaaLambda: med('naaLambda') / ns,
      });
    }
  }
  const limitNs = median(limit);
  rows.push({
    design: 'limit', label: 'limit: C++ loop on the JS thread', producers: 0, samplesNs: limit, medianNs: limitNs,
    mcps: (calls / limitNs) * 1e3,
    vsRaw: median(samples['raw/1']) / limitNs, vsNaaLambda: median(samples['naaLambda/1']) / limitNs,
  });

  console.log(`\nThroughput: ${calls.toLocaleString('en-US')} calls of (i) => { sum += i }, median of ${reps} interleaved runs`);
  console.log(table(['design', 'P', 'M calls/s', 'vs raw tsfn', 'vs naa lambda'],
    rows.map((x) => [x.label, x.producers || '-', fmt(x.mcps), fmt(x.vsRaw), fmt(x.vsNaaLambda)])));
  console.log('(limit row: ratios against the P=1 rows)');
  return rows;
}

async function roundTrip() {
  const { rtCalls, rtReps } = config;
  for (const d of rtDesigns) await d.run(2000, (i) => i + 0.5);  // warm-up
  const per = {};
  for (let r = 0; r < rtReps; r++) {
    for (let k = 0; k < rtDesigns.length; k++) {
      const d = rtDesigns[(k + r) % rtDesigns.length];
      gc();
      await settle();
      const lat = Float64Array.from(await d.run(rtCalls, (i) => i + 0.5)).sort();
      (per[d.key] ||= []).push({ p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), mean: lat.reduce((a, b) => a + b, 0) / lat.length });
    }
  }
  const rows = rtDesigns.map((d) => ({
    design: d.key, label: d.label, reps: per[d.key],
    p50Us: median(per[d.key].map((x) => x.p50)) / 1e3,
    p99Us: median(per[d.key].map((x) => x.p99)) / 1e3,
    meanUs: median(per[d.key].map((x) => x.mean)) / 1e3,
  }));
  for (const x of rows) x.p50VsRaw = x.p50Us / rows[0].p50Us;
  console.log(`\nRound trip: one native thread, ${rtCalls.toLocaleString('en-US')} sequential blocking calls of (i) => i + 0.5; median over ${rtReps} runs of each run's quantile`);
  console.log(table(['design', 'median µs', 'p99 µs', 'mean µs', 'median vs raw'],
    rows.map((x) => [x.label, fmt(x.p50Us), fmt(x.p99Us), fmt(x.meanUs), fmt(x.p50VsRaw)])));
  return rows;
}

async function memory() {
  const { memCalls, memReps } = config;
  const per = {};
  for (let r = 0; r < memReps; r++) {
    for (let k = 0; k < memDesigns.length; k++) {
      const d = memDesigns[(k + r) % memDesigns.length];
      gc();
      await settle();
      arm(memCalls);
      const m = await d.run(memCalls, onCall);  // resolves once the queue has drained
      checkSum(memCalls, `memory ${d.key}`);
      (per[d.key] ||= []).push(m);
    }
  }
  const rows = memDesigns.map((d) => ({
    design: d.key, label: d.label, reps: per[d.key],
    mallocPerCall: median(per[d.key].map((x) => x.mallocBytes)) / memCalls,
    rssPerCall: median(per[d.key].map((x) => x.rssBytes)) / memCalls,
    drainMs: median(per[d.key].map((x) => x.drainNs)) / 1e6,
  }));
  console.log(`\nMemory per queued call: ${memCalls.toLocaleString('en-US')} calls queued while the JS thread is blocked (median of ${memReps})`);
  console.log(table(['design', 'malloc B/call', 'RSS B/call', 'drain ms'],
    rows.map((x) => [x.label, fmt(x.mallocPerCall, 1), fmt(x.rssPerCall, 1), fmt(x.drainMs, 0)])));
  console.log('(malloc: bytes in use by glibc malloc, all arenas + mmapped chunks; RSS: /proc/self/statm)');
  return rows;
}

// Promises (issue 4): create + resolve on the JS thread, and settling from a native thread.
async function promises() {
  const n = quick ? 200000 : 1000000;
  const nCross = quick ? 20000 : 100000;
  const reps = config.reps;
  const createDesigns = [['raw', 'raw napi_create_promise + napi_resolve_deferred'], ['naa', 'node-addon-api Promise::Deferred'], ['napix', 'napix promise() + Deferred::resolve']];
  const crossDesigns = [['raw', 'raw tsfn call per settlement'], ['napix', 'napix Channel::settle_with']];
  const create = Object.fromEntries(createDesigns.map(([k]) => [k, []]));
  const cross = Object.fromEntries(crossDesigns.map(([k]) => [k, []]));
  for (let r = 0; r < reps; r++) {
    const order = createDesigns.map(([k]) => k);
    for (let i = 0; i < r % order.length; i++) order.push(order.shift());
    for (const k of order) { gc(); await settle(); create[k].push(addon.promiseCreate(k, n)); }
    for (const k of (r % 2 ? ['napix', 'raw'] : ['raw', 'napix'])) { gc(); await settle(); cross[k].push(await addon.promiseCross(k, nCross)); }
  }
  const rows = [];
  const out = { create: [], cross: [] };
  const rawCreate = median(create.raw);
  for (const [k, label] of createDesigns) {
    const ns = median(create[k]) / n;
    out.create.push({ design: k, label, nsPerPromise: ns, vsRaw: median(create[k]) / rawCreate, samplesNs: create[k] });
    rows.push([label, fmt(ns, 1), fmt(median(create[k]) / rawCreate)]);
  }
  console.log(`\nPromises: ${n.toLocaleString('en')} x create + resolve on the JS thread (median of ${reps})`);
  console.log(table(['design', 'ns per promise', 'time vs raw'], rows));
  const rawCross = median(cross.raw);
  const rows2 = [];
  for (const [k, label] of crossDesigns) {
    const ms = median(cross[k]) / 1e6;
    out.cross.push({ design: k, label, ms, speedupVsRaw: rawCross / median(cross[k]), samplesNs: cross[k] });
    rows2.push([label, fmt(ms, 1), fmt(rawCross / median(cross[k]))]);
  }
  console.log(`\nPromises settled from a native thread: ${nCross.toLocaleString('en')} (median of ${reps})`);
  console.log(table(['design', 'ms', 'speed vs raw'], rows2));
  return out;
}

// Tasks (issue 5): N trivial tasks resolving promises, all queued at once (batch), and one at a
// time awaiting each (sequential latency).
async function tasks() {
  const n = quick ? 20000 : 100000;
  const nSeq = quick ? 2000 : 10000;
  const reps = config.reps;
  const designs = [['raw', 'raw napi_async_work + napi_create_promise'], ['naa', 'node-addon-api AsyncWorker + Deferred'], ['napix', 'napix task().promise()']];
  const batch = Object.fromEntries(designs.map(([k]) => [k, []]));
  const seq = Object.fromEntries(designs.map(([k]) => [k, []]));
  for (const [k] of designs) { await addon.taskBatch(k, 2000); for (let i = 0; i < 200; i++) await addon.taskOne(k, i); }  // warm-up
  for (let r = 0; r < reps; r++) {
    const order = designs.map(([k]) => k);
    for (let i = 0; i < r % order.length; i++) order.push(order.shift());
    for (const k of order) { gc(); await settle(); batch[k].push(await addon.taskBatch(k, n)); }
    for (const k of order) {
      gc();
      await settle();
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < nSeq; i++) {
        if ((await addon.taskOne(k, i)) !== 2 * i) throw new Error(`task ${k}: wrong result`);
      }
      seq[k].push(Number(process.hrtime.bigint() - t0));
    }
  }
  const out = { batch: [], sequential: [] };
  const rawBatch = median(batch.raw);
  const rawSeq = median(seq.raw);
  const rows = [];
  for (const [k, label] of designs) {
    const b = median(batch[k]);
    const s = median(seq[k]);
    out.batch.push({ design: k, label, ms: b / 1e6, tasksPerSec: (n / b) * 1e9, speedupVsRaw: rawBatch / b, samplesNs: batch[k] });
    out.sequential.push({ design: k, label, usPerTask: s / nSeq / 1e3, latencyVsRaw: s / rawSeq, samplesNs: seq[k] });
    rows.push([label, fmt((n / b) * 1e6, 0), fmt(rawBatch / b), fmt(s / nSeq / 1e3, 1), fmt(s / rawSeq)]);
  }
  console.log(`\nTasks: ${n.toLocaleString('en')} trivial tasks queued at once (batch), ${nSeq.toLocaleString('en')} awaited one by one (sequential); median of ${reps}`);
  console.log(table(['design', 'batch k tasks/s', 'batch speed vs raw', 'sequential µs/task', 'sequential latency vs raw'], rows));
  return out;
}

function targets(res) {
  const out = [];
  const add = (name, value, limit, met, unit = 'x') => out.push({ name, value, limit, met, unit });
  if (res.throughput) {
    // The issue's targets are for one producer (FINDINGS' method); P = 2 and 4 are shown beside.
    const ratio = (key, vs, p) => res.throughput.find((x) => x.design === key && x.producers === p)[vs];
    const tput = (name, key, vs, limit) => {
      const v = ratio(key, vs, 1);
      const others = config.producers.filter((p) => p !== 1).map((p) => `P=${p} ${fmt(ratio(key, vs, p))}x`).join(', ');
      out.push({ name: `${name} (P=1; ${others})`, value: v, limit, met: v >= limit, unit: 'x', atP: Object.fromEntries(config.producers.map((p) => [p, ratio(key, vs, p)])) });
    };
    tput('napix call(i) vs raw tsfn >= 2.5x', 'napixArgs', 'vsRaw', 2.5);
    tput('napix call(i) vs naa lambda >= 3x', 'napixArgs', 'vsNaaLambda', 3);
    tput('napix typed vs raw tsfn >= 3x', 'napixTyped', 'vsRaw', 3);
  }
  if (res.roundTrip) {
    for (const key of ['napix', 'napixTyped']) {
      const x = res.roundTrip.find((r) => r.design === key);
      add(`round trip median ${key} vs raw+future <= 0.4x`, x.p50VsRaw, 0.4, x.p50VsRaw <= 0.4);
    }
  }
  if (res.memory) {
    const m = (key) => res.memory.find((r) => r.design === key).mallocPerCall;
    add('memory napix call(closure) <= 40 B', m('napixClosure'), 40, m('napixClosure') <= 40, ' B');
    add('memory napix call(i) <= 40 B', m('napixArgs'), 40, m('napixArgs') <= 40, ' B');
    add('memory napix typed void(int) <= 16 B', m('napixTyped'), 16, m('napixTyped') <= 16, ' B');
  }
  if (res.promises) {
    const c = res.promises.create.find((x) => x.design === 'napix').vsRaw;
    add('promise() + resolve time vs raw <= 1.10x', c, 1.1, c <= 1.1);
    const x = res.promises.cross.find((y) => y.design === 'napix').speedupVsRaw;
    add('settle_with from a thread vs raw tsfn per settlement >= 2x faster', x, 2, x >= 2);
  }
  if (res.tasks) {
    const b = res.tasks.batch.find((x) => x.design === 'napix').speedupVsRaw;
    add('task batch vs raw napi_async_work >= 3x faster', b, 3, b >= 3);
    const q = res.tasks.sequential.find((x) => x.design === 'napix').latencyVsRaw;
    add('task sequential latency vs raw <= 1.05x', q, 1.05, q <= 1.05);
  }
  console.log('\nTargets');
  console.log(table(['target', 'measured', 'met'], out.map((t) => [t.name, `${fmt(t.value)}${t.unit}`, t.met ? 'yes' : 'NO'])));
  return out;
}

async function main() {
  const t0 = Date.now();
  const machine = {
    cpu: os.cpus()[0]?.model, nproc: os.cpus().length, os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version, napi: process.versions.napi, date: new Date().toISOString(),
    loadavg: os.loadavg(),
  };
  console.log(`napix bench — ${machine.cpu}, ${machine.nproc} CPUs, Node ${machine.node}${quick ? ' (--quick)' : ''}`);
  const res = {};
  const otherLoad = {};
  const part = async (name, key, fn) => {
    if (!only.includes(name)) return;
    const probe = loadProbe();
    res[key] = await fn();
    otherLoad[key] = probe();
    reportLoad(key, otherLoad[key]);
  };
  await part('tput', 'throughput', throughput);
  await part('rt', 'roundTrip', roundTrip);
  await part('mem', 'memory', memory);
  await part('promise', 'promises', promises);
  await part('task', 'tasks', tasks);
  res.targets = targets(res);
  const seconds = (Date.now() - t0) / 1e3;
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, `${JSON.stringify({ machine, config, seconds, otherLoad, ...res }, null, 2)}\n`);
  console.log(`\n${seconds.toFixed(1)} s; results written to ${path.relative(process.cwd(), outFile)}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
