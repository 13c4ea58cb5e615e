'use strict';
// Turns one bench/run.js result (the object written to latest.json) into the human-facing
// report: bench/results/latest.md (every table), latest.svg (a bar chart of speed relative to raw
// Node-API) and the summary between the README's bench markers. No dependencies: the SVG is
// written by hand from the numbers, so `npm run bench` regenerates everything the README shows.
const fs = require('fs');
const path = require('path');

const fmt = (x, d = 2) => (x === undefined || x === null || Number.isNaN(x) ? '-' : x.toFixed(d));

function table(headers, rows) {
  const line = (r) => `| ${r.join(' | ')} |`;
  return [line(headers), `|${headers.map((_, i) => (i === 0 ? ':--' : '--:')).join('|')}|`, ...rows.map(line)].join('\n');
}

// The chart's bars: [group, label, speed relative to raw Node-API idle, the same loaded (or
// undefined), is napix] (> 1 is faster).
function bars(res) {
  const out = [];
  const L = res.loaded || {};
  if (res.throughput) {
    const at1 = (r, key) => r && r.find((x) => x.design === key && x.producers === 1);
    for (const [key, label, ours] of [
      ['naaLambda', 'node-addon-api TSFN (lambda)', false],
      ['naaTyped', 'node-addon-api TypedTSFN', false],
      ['workerThreads', 'worker_threads postMessage', false],
      ['napixArgs', 'napix ThreadSafeCallback::call(i)', true],
      ['napixTyped', 'napix TypedThreadSafeCallback::call(i)', true],
    ]) {
      const x = at1(res.throughput, key);
      const l = at1(L.throughput, key);
      if (x) out.push(['calls from a thread (throughput, 1 producer)', label, x.vsRaw, l && l.vsRaw, ours]);
    }
  }
  const same = (rows, x) => rows && rows.find((r) => r.design === x.design);
  if (res.roundTrip) {
    for (const x of res.roundTrip.filter((r) => r.design !== 'raw')) {
      const l = same(L.roundTrip, x);
      out.push(['blocking call round trip (median latency)', x.label, 1 / x.p50VsRaw, l && 1 / l.p50VsRaw, true]);
    }
  }
  if (res.promises) {
    for (const x of res.promises.create.filter((r) => r.design !== 'raw')) {
      const l = L.promises && same(L.promises.create, x);
      out.push(['promise create + resolve', x.label, 1 / x.vsRaw, l && 1 / l.vsRaw, x.design === 'napix']);
    }
    for (const x of res.promises.cross.filter((r) => r.design !== 'raw')) {
      const l = L.promises && same(L.promises.cross, x);
      out.push(['promises settled from a thread', x.label, x.speedupVsRaw, l && l.speedupVsRaw, true]);
    }
  }
  if (res.tasks) {
    for (const x of res.tasks.batch.filter((r) => r.design !== 'raw')) {
      const l = L.tasks && same(L.tasks.batch, x);
      out.push(['tasks, 100k queued at once', x.label, x.speedupVsRaw, l && l.speedupVsRaw, x.design === 'napix']);
    }
    for (const x of res.tasks.sequential.filter((r) => r.design !== 'raw')) {
      const l = L.tasks && same(L.tasks.sequential, x);
      out.push(['tasks, awaited one by one (latency)', x.label, 1 / x.latencyVsRaw, l && 1 / l.latencyVsRaw, x.design === 'napix']);
    }
  }
  if (res.functions) {
    for (const x of res.functions.add.filter((r) => r.design !== 'raw')) {
      const l = L.functions && same(L.functions.add, x);
      out.push(['add(a, b) per call', x.label, 1 / x.vsRaw, l && 1 / l.vsRaw, x.design === 'napix']);
    }
  }
  if (res.streams) {
    for (const x of res.streams.numbers.filter((r) => r.design !== 'tsfn')) {
      const l = L.streams && same(L.streams.numbers, x);
      out.push(['for await over numbers from a thread (vs per-value raw tsfn)', x.label, x.speedupVsTsfn, l && l.speedupVsTsfn, x.design.startsWith('napix')]);
    }
  }
  if (res.readers) {
    for (const x of res.readers.numbers.filter((r) => r.design !== 'callSync' && r.design !== 'callSyncAsync')) {
      const l = L.readers && same(L.readers.numbers, x);
      out.push(['JS async generator read on a thread (vs call_sync per value over a sync generator)', x.label, x.speedupVsCallSync, l && l.speedupVsCallSync, true]);
    }
  }
  return out;
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function svg(res) {
  const data = bars(res);
  const hasLoaded = data.some((b) => b[3] !== undefined);
  const labelW = 330;
  const plotW = 420;
  const barH = 14;
  const rowH = hasLoaded ? 2 * barH + 8 : 22;
  const groupH = 26;
  const max = Math.max(2, ...data.map((b) => Math.max(b[2], b[3] || 0))) * 1.1;
  const x = (v) => labelW + (v / max) * plotW;
  const parts = [];
  let y = hasLoaded ? 66 : 48;
  let group = null;
  const bar = (v, top, fill) => {
    const w = Math.max(1, x(v) - labelW);
    parts.push(`<rect x="${labelW}" y="${top}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${fill}"/>`);
    parts.push(`<text x="${(labelW + w + 6).toFixed(1)}" y="${top + barH - 4}">${fmt(v)}x</text>`);
  };
  for (const [g, label, v, lv, ours] of data) {
    if (g !== group) {
      group = g;
      y += 6;
      parts.push(`<text x="8" y="${y + 16}" font-weight="bold">${esc(g)}</text>`);
      y += groupH;
    }
    parts.push(`<text x="${labelW - 8}" y="${y + (hasLoaded ? barH + 2 : 15)}" text-anchor="end">${esc(label)}</text>`);
    bar(v, y + 3, ours ? '#2f6fdf' : '#9aa3ad');
    if (hasLoaded && lv !== undefined) bar(lv, y + 3 + barH, ours ? '#e08a1e' : '#d3c2a8');
    y += rowH;
  }
  const height = y + 30;
  const one = x(1).toFixed(1);
  const m = res.machine || {};
  const legend = hasLoaded
    ? `<rect x="8" y="46" width="12" height="10" fill="#2f6fdf"/><text x="24" y="55">idle</text>` +
      `<rect x="64" y="46" width="12" height="10" fill="#e08a1e"/><text x="80" y="55">loaded: ${esc(res.config.load)} CPU-bound processes beside the bench (grey/beige: not napix)</text>`
    : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + plotW + 70}" height="${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="8" y="20" font-size="15" font-weight="bold">napix: speed relative to raw Node-API (1.0x = raw; higher is better)</text>
<text x="8" y="38" fill="#555">${esc(`${m.cpu || ''}, ${m.nproc || '?'} CPUs, Node ${m.node || '?'}, ${(m.date || '').slice(0, 10)}${res.config && res.config.quick ? ' (--quick)' : ''} — generated by npm run bench`)}</text>
${legend}
${parts.join('\n')}
<line x1="${one}" y1="${hasLoaded ? 62 : 50}" x2="${one}" y2="${height - 24}" stroke="#d33" stroke-dasharray="4 3"/>
<text x="${one}" y="${height - 10}" text-anchor="middle" fill="#d33">raw Node-API</text>
</svg>
`;
}

function targetRows(res) {
  return (res.targets || []).map((t) => [t.name, `${fmt(t.value)}${t.unit}`, t.met ? 'yes' : '**NO**',
    t.prev === undefined ? '-' : `${fmt(t.prev)}${t.unit}${t.regressed ? ' (**>5% worse now**)' : ''}`]);
}

function markdown(res) {
  const m = res.machine || {};
  const L = res.loaded || null;
  const n = res.config && res.config.load;
  const lines = [];
  lines.push('# napix benchmark results', '');
  lines.push(`Generated by \`npm run bench\`${res.config && res.config.quick ? ' (`--quick`)' : ''} on ${(m.date || '').slice(0, 19).replace('T', ' ')} UTC: ${m.cpu}, ${m.nproc} CPUs, ${m.os}, Node ${m.node} (Node-API ${m.napi}), ${fmt(res.seconds, 0)} s.`);
  if (L) lines.push('', `Every part ran twice: idle, then "loaded" beside ${n} CPU-bound processes (\`sh -c 'while :; do :; done'\`) that the bench started and stopped. CPU columns: CPU time of the whole bench process (all threads) per call or task.`);
  const noisy = Object.entries(res.otherLoad || {}).filter(([, v]) => v !== null && v > 0.1);
  if (noisy.length) lines.push('', `NOISY: other processes kept the CPUs busy during the idle ${noisy.map(([k, v]) => `${k} (${Math.round(v * 100)}%)`).join(', ')}; ratios from those parts are not reliable.`);
  const crt = Object.entries(res.coreRoundTripNs || {}).filter(([, v]) => v !== null);
  if (crt.length) {
    lines.push('', `A cache line to the other CPU and back, measured before each idle part (ns): ${crt.map(([k, v]) => `${k} ${fmt(v, 0)}`).join(', ')}. ` +
      'Every cross-thread design pays it per handoff, single-threaded rows do not (bench/README.md, "Reading the numbers").');
  }
  lines.push('', 'Ratios compare designs measured side by side in this run (see bench/README.md for what each scenario does).', '');
  lines.push('![speed relative to raw Node-API](latest.svg)', '');
  if (res.targets) {
    lines.push('## Targets', '', table(['target', 'measured', 'met', 'committed run before'], targetRows(res)), '');
  }
  // "idle" or "idle / loaded" for one cell.
  const two = (a, b, d = 2) => (L ? `${fmt(a, d)} / ${fmt(b, d)}` : fmt(a, d));
  const both = (h) => (L ? `${h} (idle / loaded)` : h);
  const find = (rows, x, extra = () => true) => rows && rows.find((r) => r.design === x.design && extra(r));
  if (res.throughput) {
    const wt = (rows, p) => rows && rows.find((x) => x.design === 'workerThreads' && x.producers === p);
    lines.push(`## Calls from native threads: ${res.config.calls.toLocaleString('en-US')} calls of \`(i) => { sum += i }\``, '');
    lines.push(table(['design', 'producers', both('M calls/s'), both('vs raw tsfn'), both('vs node-addon-api lambda'), both('vs worker_threads'), both('CPU ns/call'), both('JS-thread sleeps/run')],
      res.throughput.map((x) => {
        const l = L && find(L.throughput, x, (r) => r.producers === x.producers) || {};
        const vsWt = (rows, r) => (r && r.producers && wt(rows, r.producers) ? wt(rows, r.producers).medianNs / r.medianNs : undefined);
        return [x.label, x.producers || '-', two(x.mcps, l.mcps), two(x.vsRaw, l.vsRaw), two(x.vsNaaLambda, l.vsNaaLambda),
          two(vsWt(res.throughput, x), L && vsWt(L.throughput, l)), two(x.cpuNsPerCall, l.cpuNsPerCall, 0),
          two(x.jsSleeps, l.jsSleeps, 0)];
      })), '');
    lines.push('(limit row: a C++ loop on the JS thread, no thread hop; ratios against the 1-producer rows)', '');
  }
  if (res.roundTrip) {
    lines.push('## Blocking call round trip (native thread waits for the JS result)', '');
    lines.push(table(['design', both('median µs'), both('p99 µs'), both('median vs raw'), both('CPU µs/call'), both('CPU vs raw')],
      res.roundTrip.map((x) => {
        const l = (L && find(L.roundTrip, x)) || {};
        return [x.label, two(x.p50Us, l.p50Us), two(x.p99Us, l.p99Us), two(x.p50VsRaw, l.p50VsRaw), two(x.cpuUsPerCall, l.cpuUsPerCall), two(x.cpuVsRaw, l.cpuVsRaw)];
      })), '');
  }
  if (res.memory) {
    lines.push('## Memory per queued call (1,000,000 queued)', '');
    lines.push(table(['design', both('malloc B/call'), 'RSS B/call (idle)', both('drain ms')], res.memory.map((x) => {
      const l = (L && find(L.memory, x)) || {};
      return [x.label, two(x.mallocPerCall, l.mallocPerCall, 1), fmt(x.rssPerCall, 1), two(x.drainMs, l.drainMs, 0)];
    })), '');
  }
  if (res.promises) {
    const lp = (L && L.promises) || {};
    lines.push('## Promises', '');
    lines.push(table(['create + resolve on the JS thread', both('ns per promise'), both('time vs raw')], res.promises.create.map((x) => {
      const l = find(lp.create, x) || {};
      return [x.label, two(x.nsPerPromise, l.nsPerPromise, 1), two(x.vsRaw, l.vsRaw)];
    })), '');
    lines.push(table(['settled from a native thread', both('ms'), both('speed vs raw')], res.promises.cross.map((x) => {
      const l = find(lp.cross, x) || {};
      return [x.label, two(x.ms, l.ms, 1), two(x.speedupVsRaw, l.speedupVsRaw)];
    })), '');
  }
  if (res.tasks) {
    const lt = (L && L.tasks) || {};
    lines.push('## Tasks on the libuv pool', '');
    lines.push(table(['design', both('batch k tasks/s'), both('batch speed vs raw'), both('batch CPU µs/task'), both('sequential µs/task'), both('sequential latency vs raw'), both('sequential CPU µs/task')],
      res.tasks.batch.map((b, i) => {
        const q = res.tasks.sequential[i];
        const lb = find(lt.batch, b) || {};
        const lq = find(lt.sequential, q) || {};
        return [b.label, two(b.tasksPerSec / 1e3, lb.tasksPerSec / 1e3, 0), two(b.speedupVsRaw, lb.speedupVsRaw), two(b.cpuUsPerTask, lb.cpuUsPerTask),
          two(q.usPerTask, lq.usPerTask, 1), two(q.latencyVsRaw, lq.latencyVsRaw), two(q.cpuUsPerTask, lq.cpuUsPerTask)];
      })), '');
  }
  if (res.functions) {
    const lf = (L && L.functions) || {};
    lines.push('## Functions in one line', '');
    lines.push(table(['design', both('add ns/call'), both('time vs raw'), both('time vs naa')],
      res.functions.add.map((x) => {
        const l = find(lf.add, x) || {};
        return [x.label, two(x.nsPerCall, l.nsPerCall, 1), two(x.vsRaw, l.vsRaw), two(x.vsNaa, l.vsNaa)];
      })), '');
    lines.push(table(['design', both('in flight ms'), both('speed vs naa'), both('sequential µs/call'), both('latency vs naa')],
      res.functions.asyncBatch.map((b, i) => {
        const q = res.functions.asyncSequential[i];
        const lb = find(lf.asyncBatch, b) || {};
        const lq = find(lf.asyncSequential, q) || {};
        return [b.label, two(b.ms, lb.ms, 1), two(b.speedupVsNaa, lb.speedupVsNaa), two(q.usPerCall, lq.usPerCall, 1), two(q.latencyVsNaa, lq.latencyVsNaa)];
      })), '');
  }
  if (res.streams) {
    const ls = (L && L.streams) || {};
    const st = res.streams;
    lines.push('## Native → JS streams (`for await`)', '');
    lines.push(table([`${res.config.calls.toLocaleString('en-US')} numbers from one thread`, both('ns/value'), both('speed vs per-value tsfn'), both('rate vs async generator'), both('CPU ns/value'), both('JS wakeups'), both('writer sleeps')],
      st.numbers.map((x) => {
        const l = find(ls.numbers, x) || {};
        return [x.label, two(x.nsPerValue, l.nsPerValue, 1), two(x.speedupVsTsfn, l.speedupVsTsfn), two(x.vsGenerator, l.vsGenerator), two(x.cpuNsPerValue, l.cpuNsPerValue, 0),
          x.jsWakeups === undefined ? '-' : two(x.jsWakeups, l.jsWakeups, 0),
          x.writerSleeps === undefined ? '-' : two(x.writerSleeps, l.writerSleeps, 0)];
      })), '');
    lines.push(table(['bytes in 1 MiB chunks', both('GB/s'), both('speed vs copy'), both('CPU ms/GiB')], st.bytes.map((x) => {
      const l = find(ls.bytes, x) || {};
      return [x.label, two(x.gbPerSec, l.gbPerSec), two(x.speedupVsCopy, l.speedupVsCopy), two(x.cpuMsPerGiB, l.cpuMsPerGiB, 0)];
    })), '');
    const mem = [['idle', st.memory], ...(ls.memory ? [['loaded', ls.memory]] : [])];
    lines.push(table([`slow consumer, ${st.memory.values.toLocaleString('en-US')} values, mark ${st.memory.mark}`, 'RSS start MiB', 'middle', 'end', 'growth', 'most unread', 'writer blocked (samples)', 's'],
      mem.map(([k, m]) => [k, fmt(m.startMiB, 1), fmt(m.midMiB, 1), fmt(m.endMiB, 1), fmt(m.growthMiB, 1), m.maxUnread, `${m.blockedSamples} of ${m.sampleCount}`, fmt(m.seconds, 1)])), '');
  }
  if (res.readers) {
    const lr = (L && L.readers) || {};
    lines.push('## JS → native streams (`reader<T>`)', '');
    const hasAsync = res.readers.numbers.some((x) => x.speedupVsCallSyncAsync !== undefined);
    lines.push(table([`${res.readers.values.toLocaleString('en-US')} numbers from a JS generator, summed on a thread`, both('ns/value'),
      ...(hasAsync ? [both('speed vs call_sync, same async generator')] : []), both('speed vs call_sync, sync generator'), both('CPU ns/value')],
      res.readers.numbers.map((x) => {
        const l = find(lr.numbers, x) || {};
        return [x.label, two(x.nsPerValue, l.nsPerValue, 1), ...(hasAsync ? [two(x.speedupVsCallSyncAsync, l.speedupVsCallSyncAsync)] : []),
          two(x.speedupVsCallSync, l.speedupVsCallSync), two(x.cpuNsPerValue, l.cpuNsPerValue, 0)];
      })), '');
  }
  return `${lines.join('\n')}\n`;
}

// The README block between the markers: the chart and the targets table.
function readmeBlock(res) {
  const m = res.machine || {};
  const load = res.loaded ? ` Idle and loaded (${res.config.load} CPU-bound processes beside the bench) in one run.` : '';
  return ['<!-- bench:start (generated by `npm run bench`; do not edit) -->',
    '![napix: speed relative to raw Node-API](bench/results/latest.svg)', '',
    `${m.cpu}, ${m.nproc} CPUs, Node ${m.node}, ${(m.date || '').slice(0, 10)}.${load} All tables: [bench/results/latest.md](bench/results/latest.md).`, '',
    table(['target', 'measured', 'met', 'committed run before'], targetRows(res)), '<!-- bench:end -->'].join('\n');
}

function write(res, dir, readme) {
  fs.writeFileSync(path.join(dir, 'latest.md'), markdown(res));
  fs.writeFileSync(path.join(dir, 'latest.svg'), svg(res));
  if (!readme || !fs.existsSync(readme)) return false;
  const text = fs.readFileSync(readme, 'utf8');
  const re = /<!-- bench:start[\s\S]*?<!-- bench:end -->/;
  if (!re.test(text)) return false;
  fs.writeFileSync(readme, text.replace(re, readmeBlock(res)));
  return true;
}

module.exports = { markdown, svg, readmeBlock, write, bars };

// `node bench/report.js [results.json]` regenerates the report from a saved run.
if (require.main === module) {
  const file = process.argv[2] || path.join(__dirname, 'results', 'latest.json');
  const res = JSON.parse(fs.readFileSync(file, 'utf8'));
  write(res, path.dirname(file), path.join(__dirname, '..', 'README.md'));
  console.log(`wrote ${path.relative(process.cwd(), path.join(path.dirname(file), 'latest.md'))} and latest.svg`);
}
