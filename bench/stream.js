'use strict';
// The "stream" part of bench/run.js (issue 16): numbers and bytes from one native thread read with
// `for await`, against the alternatives, and RSS under a slow consumer. See bench/README.md
// ("Native → JS streams") for what each scenario does; bench/stream.cc for the native side.
const { Worker } = require('node:worker_threads');

// The marks the numbers scenario runs napix with: the default, and a throughput-sized one (the
// targets use kMark).
const kMarks = [16, 1024, 4096];
const kMark = 1024;
const kWorkerBatch = 1024;

// A hand-rolled async iterator fed by push(): what the per-value tsfn and the worker feed. One
// pending next() promise resolved per value pushed while the loop waits; values pushed meanwhile
// queue (unbounded: neither alternative has back-pressure).
function queueIterator() {
  let q = [], head = 0, waiter = null, ended = false;
  const it = {
    next() {
      if (head < q.length) {
        const value = q[head];
        q[head++] = undefined;
        if (head === q.length) { q = []; head = 0; }
        return Promise.resolve({ value, done: false });
      }
      if (ended) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => { waiter = resolve; });
    },
    [Symbol.asyncIterator]() { return this; },
  };
  const push = (value) => {
    if (waiter) { const w = waiter; waiter = null; w({ value, done: false }); } else q.push(value);
  };
  const end = () => {
    ended = true;
    if (waiter && head === q.length) { const w = waiter; waiter = null; w({ value: undefined, done: true }); }
  };
  return { it, push, end };
}

// One Worker, started once (its startup is not timed): on { n, batch } it posts 0 .. n-1, one
// message per value (batch 1) or Float64Arrays of `batch` values (transferred), then null.
let worker = null;
function workerNumbers(n, batch) {
  worker ||= new Worker(`const { parentPort } = require('node:worker_threads');
    parentPort.on('message', ({ n, batch }) => {
      if (batch === 1) {
        for (let i = 0; i < n; i++) parentPort.postMessage(i);
      } else {
        for (let i = 0; i < n; i += batch) {
          const a = new Float64Array(Math.min(batch, n - i));
          for (let j = 0; j < a.length; j++) a[j] = i + j;
          parentPort.postMessage(a, [a.buffer]);
        }
      }
      parentPort.postMessage(null);
    });`, { eval: true });
  worker.ref();  // while it posts (unref'ed again once done: the process may exit with it idle)
  const { it, push, end } = queueIterator();
  const onMessage = (m) => {
    if (m === null) {
      worker.off('message', onMessage);
      worker.unref();
      end();
    } else if (batch === 1) {
      push(m);
    } else {
      for (let i = 0; i < m.length; i++) push(m[i]);
    }
  };
  worker.on('message', onMessage);
  worker.postMessage({ n, batch });
  return it;
}

const cpuNs = () => { const u = process.cpuUsage(); return (u.user + u.system) * 1e3; };

async function* generator(n) {
  for (let i = 0; i < n; i++) yield i;
}

// The floor of `for await` over a buffered iterator: what napix's iterator does per value (a
// Float64Array element, a result object, a resolved promise), with the batches of kMark values
// made on the JS thread for free. No stream of any design can beat this rate.
function bufferedIterator(n) {
  const buf = new Float64Array(kMark);
  let head = 0, end = 0, next = 0;
  return {
    next() {
      if (head === end) {
        end = Math.min(kMark, n - next);
        if (end === 0) return Promise.resolve({ value: undefined, done: true });
        for (let i = 0; i < end; i++) buf[i] = next + i;
        next += end;
        head = 0;
      }
      return Promise.resolve({ value: buf[head++], done: false });
    },
    [Symbol.asyncIterator]() { return this; },
  };
}

async function sumOf(iterable) {
  let sum = 0;
  for await (const v of iterable) sum += v;
  return sum;
}

async function streams({ addon, config, quick, median, fmt, table, settle }) {
  const n = config.calls;
  const reps = config.reps;
  const want = (n * (n - 1)) / 2;
  const numberDesigns = [
    ...kMarks.map((m) => [`napix${m}`, `napix stream<double>, high_water_mark ${m}${m === 16 ? ' (default)' : ''}`,
      () => addon.streamNumbers(n, m)]),
    ['tsfn', 'raw tsfn call per value → one promise per value', () => {
      const { it, push, end } = queueIterator();
      addon.streamNumbersTsfn(n, (v, last) => (last ? end() : push(v)));
      return it;
    }],
    ['naa', 'node-addon-api TSFN lambda per value → one promise per value', () => {
      const { it, push, end } = queueIterator();
      addon.streamNumbersNaa(n, (v, last) => (last ? end() : push(v)));
      return it;
    }],
    ['generator', 'JS async generator on the JS thread (the limit)', () => generator(n)],
    ['floor', `JS iterator over a prefilled Float64Array, ${kMark} per batch (the floor of for await)`, () => bufferedIterator(n)],
    ['workerBatched', `worker_threads postMessage, ${kWorkerBatch} per message`, () => workerNumbers(n, kWorkerBatch)],
    ['worker', 'worker_threads postMessage, one per value', () => workerNumbers(n, 1)],
  ];
  const ns = Object.fromEntries(numberDesigns.map(([k]) => [k, []]));
  const cpu = Object.fromEntries(numberDesigns.map(([k]) => [k, []]));
  const wakeups = Object.fromEntries(numberDesigns.map(([k]) => [k, []]));  // napix: flushes per run
  const sleeps = Object.fromEntries(numberDesigns.map(([k]) => [k, []]));  // napix: writer sleeps per run
  for (const [, , make] of numberDesigns) await sumOf(make());  // warm-up (JIT, the Worker)
  for (let r = 0; r < reps; r++) {
    for (let k = 0; k < numberDesigns.length; k++) {
      const [key, , make] = numberDesigns[(k + r) % numberDesigns.length];
      gc();
      await settle();
      const c0 = cpuNs();
      const t0 = process.hrtime.bigint();
      const sum = await sumOf(make());
      ns[key].push(Number(process.hrtime.bigint() - t0));
      cpu[key].push(cpuNs() - c0);
      if (key.startsWith('napix')) {
        const st = addon.streamStats();
        wakeups[key].push(st.flushes);
        sleeps[key].push(st.writerSleeps);
      }
      if (sum !== want) throw new Error(`stream ${key}: sum ${sum}, want ${want}`);
    }
  }
  const med = (k) => median(ns[k]);
  const out = { numbers: [], bytes: [], memory: null, mark: kMark };
  for (const [key, label] of numberDesigns) {
    out.numbers.push({ design: key, label, nsPerValue: med(key) / n, mValuesPerSec: (n / med(key)) * 1e3,
      speedupVsTsfn: med('tsfn') / med(key), vsGenerator: med('generator') / med(key), cpuNsPerValue: median(cpu[key]) / n,
      samplesNs: ns[key], ...(wakeups[key].length ? { jsWakeups: median(wakeups[key]), writerSleeps: median(sleeps[key]) } : {}) });
  }
  console.log(`\n${n.toLocaleString('en')} numbers from one thread read with for await (median of ${reps})`);
  console.log(table(['design', 'ns/value', 'M values/s', 'speed vs per-value tsfn', 'rate vs async generator', 'CPU ns/value', 'JS wakeups', 'writer sleeps'],
    out.numbers.map((x) => [x.label, fmt(x.nsPerValue, 1), fmt(x.mValuesPerSec), fmt(x.speedupVsTsfn), fmt(x.vsGenerator), fmt(x.cpuNsPerValue, 0),
      x.jsWakeups === undefined ? '-' : String(x.jsWakeups), x.writerSleeps === undefined ? '-' : String(x.writerSleeps)])));

  // Bytes: 1 MiB chunks through a stream<Bytes>, external Buffers vs the forced copy.
  const chunk = 1 << 20;
  const total = quick ? 256 * chunk : 1024 * chunk;
  const count = total / chunk;
  const bytes = { external: [], copy: [] };
  const bytesCpu = { external: [], copy: [] };
  const byteRun = async (key) => {
    gc();
    await settle();
    const before = addon.streamBytesReset();
    const c0 = cpuNs();
    const t0 = process.hrtime.bigint();
    let got = 0, k = 0;
    for await (const b of addon.streamBytes(total, chunk, 16, key === 'copy')) {
      if (b[0] !== (k++ & 0xff) || b[b.length - 1] !== b[0]) throw new Error(`stream bytes ${key}: chunk ${k - 1} wrong`);
      got += b.length;
    }
    const t = Number(process.hrtime.bigint() - t0);
    if (key in bytesCpu) bytesCpu[key].push(cpuNs() - c0);
    const after = addon.streamBytesReset();
    const path = key === 'copy' ? after.copied - before.copied : after.external - before.external;
    if (got !== total || path !== count) throw new Error(`stream bytes ${key}: ${got} bytes, ${path} of ${count} chunks by that path`);
    return t;
  };
  await byteRun('external');  // warm-up
  await byteRun('copy');
  bytesCpu.external = [];
  bytesCpu.copy = [];
  for (let r = 0; r < reps; r++) {
    for (const key of r % 2 ? ['copy', 'external'] : ['external', 'copy']) bytes[key].push(await byteRun(key));
  }
  for (const [key, label] of [['external', 'stream<Bytes>: external Buffers (zero-copy)'], ['copy', 'stream<Bytes>: forced copy (napi_create_buffer_copy)']]) {
    out.bytes.push({ design: key, label, gbPerSec: total / median(bytes[key]), speedupVsCopy: median(bytes.copy) / median(bytes[key]),
      cpuMsPerGiB: median(bytesCpu[key]) / 1e6 / (total / 2 ** 30), samplesNs: bytes[key] });
  }
  console.log(`\n${total / chunk} MiB in 1 MiB chunks (the producer writes every byte), high_water_mark 16 (median of ${reps})`);
  console.log(table(['design', 'GB/s', 'speed vs copy', 'CPU ms/GiB (all threads)'],
    out.bytes.map((x) => [x.label, fmt(x.gbPerSec), fmt(x.speedupVsCopy), fmt(x.cpuMsPerGiB, 0)])));

  // Memory: a slow consumer (a setImmediate every 1,000 values) of N values; RSS sampled 10 times.
  const nSlow = quick ? 2000000 : 10000000;
  const every = nSlow / 10;
  gc();
  await settle();
  const rss = () => process.memoryUsage.rss();
  const samples = [{ at: 0, rss: rss(), blocked: 0 }];
  const t0 = process.hrtime.bigint();
  let i = 0, sum = 0;
  for await (const v of addon.streamSlow(nSlow, kMark)) {
    sum += v;
    if (++i % 1000 === 0) await new Promise(setImmediate);
    if (i % every === 0) samples.push({ at: i, rss: rss(), blocked: addon.streamStats().blocked });
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (sum !== (nSlow * (nSlow - 1)) / 2) throw new Error('stream memory: wrong sum');
  const stats = addon.streamStats();
  const mid = samples.find((s) => s.at === nSlow / 2);
  const end = samples[samples.length - 1];
  out.memory = { values: nSlow, mark: kMark, seconds, startMiB: samples[0].rss / 2 ** 20, midMiB: mid.rss / 2 ** 20, endMiB: end.rss / 2 ** 20,
    maxMiB: Math.max(...samples.map((s) => s.rss)) / 2 ** 20, growthMiB: (end.rss - samples[0].rss) / 2 ** 20,
    blockedSamples: samples.slice(1).filter((s) => s.blocked > 0).length, sampleCount: samples.length - 1,
    maxUnread: stats.maxUnread, samples };
  const m = out.memory;
  console.log(`\nSlow consumer: ${nSlow.toLocaleString('en')} values, high_water_mark ${kMark}, a setImmediate every 1,000 values (${fmt(seconds, 1)} s)`);
  console.log(table(['RSS start MiB', 'middle', 'end', 'max sampled', 'growth', 'most values unread', 'writer blocked at the mark'],
    [[fmt(m.startMiB, 1), fmt(m.midMiB, 1), fmt(m.endMiB, 1), fmt(m.maxMiB, 1), fmt(m.growthMiB, 1), m.maxUnread, `${m.blockedSamples} of ${m.sampleCount} samples`]]));
  return out;
}

// The part's targets, through run.js's add(name, value, limit, dir, unit, extra).
function streamTargets(s, add, loadedLabel) {
  const x = (k) => s.numbers.find((r) => r.design === k);
  const napix = x(`napix${kMark}`);
  const pre = loadedLabel ? `${loadedLabel}: ` : '';
  const extra = loadedLabel ? { loaded: true } : {};
  add(`${pre}stream (mark ${kMark}) for await vs per-value tsfn + promise >= 5x faster`, napix.speedupVsTsfn, 5, 'max', 'x', extra);
  const bytes = s.bytes.find((r) => r.design === 'external').speedupVsCopy;
  if (loadedLabel) {
    add(`${pre}stream<Bytes> 1 MiB chunks, external vs copy >= 3x`, bytes, 3, 'max', 'x', extra);
    return;
  }
  add(`stream (mark ${kMark}) rate vs a JS async generator >= 0.8x`, napix.vsGenerator, 0.8, 'max');
  add(`stream (mark ${kMark}) vs worker_threads postMessage (${kWorkerBatch} per message) faster`,
    napix.speedupVsTsfn / x('workerBatched').speedupVsTsfn, 1, 'max');
  add('stream<Bytes> 1 MiB chunks, external vs copy >= 3x', bytes, 3, 'max');
  add(`stream slow consumer, ${s.memory.values.toLocaleString('en')} values: RSS growth <= 32 MiB`, s.memory.growthMiB, 32, 'min', ' MiB');
}

module.exports = { streams, streamTargets };
