'use strict';
// `npm run test:runtimes`: the whole mocha suite, both addon variants, under Bun and Deno — with
// ONE build of the test addon, made by the system Node (scripts/build.js). Bun and Deno come from
// the npm registry (`@oven/bun-linux-x64`, `@deno/linux-x64-glibc`), installed once into .cache/.
//
// Each spec file runs as its own process group under a wall-clock watchdog: a native hang costs
// one spec, not the run. When a file goes quiet (no spec finishes for --idle seconds) the whole
// group is killed, the spec that was running is a failure named in the summary, and the file
// runs again without the specs already done and the hung one. The specs that
// test/runtime-skips.js names are skipped on that runtime only, each printed with its reason
// (doc/compat.md, "Bun and Deno"). Ends with one line per runtime and variant and a total
// `N passed, M failed, K skipped`.
//   --runtimes=bun,deno        which runtimes (default: both)
//   --variant=except|noexcept  one addon variant
//   --idle=S                   seconds without a spec finishing before a file counts as hung (90)
//   NAPIX_TEST_FILES / NAPIX_TEST_GREP / NAPIX_TEST_REPORTER as for `npm test` (reporter: dot here)
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { option, Summary } = require('./lib/summary');
const { RUNTIMES, ensureRuntime } = require('./lib/runtimes');
const { build, addonPath, variants } = require('./build');

const root = path.resolve(__dirname, '..');
const argv = process.argv.slice(2);
const opt = (name) => option(name, argv);
const chosenVariants = opt('variant') ? [opt('variant')] : variants;
const idleMs = (Number(opt('idle')) || 90) * 1000;
const exitGraceMs = 15000; // after the last spec, for the process to exit on its own

const chosenRuntimes = (opt('runtimes') || Object.keys(RUNTIMES).join(',')).split(',').filter(Boolean);

const summary = new Summary();
const hangs = [];
const crashes = [];
const skipped = new Map(); // "runtime: title" -> { reason, variants: [] }

function specFiles() {
  const only = process.env.NAPIX_TEST_FILES ? process.env.NAPIX_TEST_FILES.split(',') : null;
  return fs.readdirSync(path.join(root, 'test')).filter((f) => f.endsWith('.test.js'))
    .filter((f) => !only || only.some((o) => f.includes(o))).sort();
}

function readProgress(file) {
  let text = '';
  try { text = fs.readFileSync(file, 'utf8'); } catch { /* nothing written */ }
  return text.split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l); } catch { return null; } })
    .filter(Boolean);
}

// Runs one spec file in its own process group; resolves { code, signal, hung, lingered } after it
// exits or after the watchdog killed the group.
function runOnce(runtime, variant, file, progressFile, excludeFile) {
  return new Promise((resolve) => {
    const child = spawn(runtime.bin, runtime.args(path.join(__dirname, 'mocha.js')), {
      cwd: root,
      stdio: 'inherit',
      detached: true, // its own process group: the watchdog kills fixtures and Workers' children too
      env: {
        ...process.env,
        NAPIX_TEST_REPORTER: process.env.NAPIX_TEST_REPORTER || 'dot',
        NAPIX_TEST_VARIANT: variant,
        // Build tools in specs (npm, node-gyp) run on this Node: neither runtime ships them.
        NAPIX_NODE: process.execPath,
        // Bun sizes its napi_async_work pool by the CPU count, not libuv's 4, unless this is set
        // (doc/compat.md, "Bun and Deno"); the specs that fill the pool need to know its size.
        UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE || '4',
        NAPIX_TEST_FILES: file,
        NAPIX_PROGRESS_FILE: progressFile,
        ...(excludeFile ? { NAPIX_TEST_EXCLUDE: excludeFile } : {}),
      },
    });
    let lastSize = -1;
    let lastChange = Date.now();
    let verdict = null;
    const watchdog = setInterval(() => {
      let size = 0;
      try { size = fs.statSync(progressFile).size; } catch { /* not yet */ }
      if (size !== lastSize) { lastSize = size; lastChange = Date.now(); return; }
      const events = readProgress(progressFile);
      const ended = events.some((e) => e.event === 'end');
      if (Date.now() - lastChange > (ended ? exitGraceMs : idleMs)) {
        verdict = ended ? 'lingered' : 'hung';
        try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
      }
    }, 1000);
    child.on('exit', (code, signal) => {
      clearInterval(watchdog);
      // Whatever the spec left behind in the group (a fixture, a grandchild) goes too.
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* none left */ }
      resolve({ code, signal, hung: verdict === 'hung', lingered: verdict === 'lingered' });
    });
  });
}

// One spec file on one runtime and variant, rerun past a hung spec. Returns counts.
async function runFile(runtime, variant, file) {
  const { name: rt, label } = runtime;
  const tag = `${process.pid}-${rt}-${variant}-${file.replace(/\W+/g, '_')}`;
  const progressFile = path.join(os.tmpdir(), `napix-runtimes-${tag}.jsonl`);
  const excludeFile = path.join(os.tmpdir(), `napix-runtimes-${tag}-exclude.json`);
  const counts = { passed: 0, failed: 0, skipped: 0 };
  const done = [];
  for (let attempt = 1; attempt <= 5; attempt++) {
    fs.rmSync(progressFile, { force: true });
    if (done.length) fs.writeFileSync(excludeFile, JSON.stringify(done));
    console.log(`\n--- ${label} [${variant}] ${file}${attempt > 1 ? ` (run ${attempt}, past ${done.length} spec(s) already run)` : ''}`);
    const r = await runOnce(runtime, variant, file, progressFile, done.length ? excludeFile : null);
    const events = readProgress(progressFile);
    const finished = new Set();
    let current = null;
    for (const e of events) {
      if (e.event === 'start') current = e.title;
      if (e.event === 'pass') { counts.passed++; finished.add(e.title); }
      if (e.event === 'fail' || e.event === 'hookfail') { counts.failed++; finished.add(e.title); }
      if (e.event === 'pending') {
        counts.skipped++;
        finished.add(e.title);
        const key = `${rt}: ${e.title.split(` [${variant}]`).join('')}`;
        const s = skipped.get(key) || { reason: e.reason || '(it.skip in the spec file)', variants: [] };
        s.variants.push(variant);
        skipped.set(key, s);
      }
    }
    const ended = events.some((e) => e.event === 'end');
    const inFlight = current && !finished.has(current) ? current : null;
    done.push(...finished);
    if (r.hung || (!ended && (r.signal || r.code === null || !events.length))) {
      const what = r.hung ? `hung (no spec finished for ${idleMs / 1000} s; process group killed)`
        : `crashed (${r.signal || `exit ${r.code}`})`;
      const spec = inFlight || '(before or between specs)';
      console.log(`\n!!! ${label} [${variant}] ${file}: ${what} in: ${spec}`);
      (r.hung ? hangs : crashes).push(`${label} [${variant}] ${spec}: ${what}`);
      counts.failed++;
      if (!inFlight) break; // nothing to step past: the rest of the file cannot run
      done.push(inFlight);
      continue;
    }
    if (r.lingered) {
      console.log(`\n!!! ${label} [${variant}] ${file}: the process did not exit within ${exitGraceMs / 1000} s of its last spec (killed)`);
      crashes.push(`${label} [${variant}] ${file}: did not exit after its last spec`);
      counts.failed++;
    } else if (r.code !== 0 && events.filter((e) => /fail/.test(e.event)).length === 0) {
      console.log(`\n!!! ${label} [${variant}] ${file}: exit ${r.code} without a failing spec`);
      crashes.push(`${label} [${variant}] ${file}: exit ${r.code} without a failing spec (a stale skip name?)`);
      counts.failed++;
    }
    break;
  }
  fs.rmSync(progressFile, { force: true });
  fs.rmSync(excludeFile, { force: true });
  return counts;
}

async function main() {
  console.log('=== building the test addon once, with the system Node (node-gyp)');
  if (!build()) {
    summary.record('build', 0, 1, 0, 'node-gyp build failed');
    summary.finish('runtimes summary');
    return;
  }
  const files = specFiles();
  for (const rt of chosenRuntimes) {
    const runtime = ensureRuntime(rt);
    if (runtime.error) {
      summary.record(rt, 0, 1, 0, runtime.error); // a runtime that should be tested and is not is a failure
      continue;
    }
    const { label } = runtime;
    for (const v of chosenVariants) {
      if (!fs.existsSync(addonPath(v))) { summary.record(`${label} [${v}]`, 0, 1, 0, 'addon missing'); continue; }
      console.log(`\n=== ${label}, addon variant: ${v} (C++ exceptions ${v === 'except' ? 'on' : 'off'})`);
      const started = Date.now();
      const total = { passed: 0, failed: 0, skipped: 0 };
      for (const f of files) {
        const c = await runFile(runtime, v, f);
        total.passed += c.passed; total.failed += c.failed; total.skipped += c.skipped;
      }
      summary.record(`${label} [${v}]`, total.passed, total.failed, total.skipped,
        `${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
  }
  if (skipped.size) {
    console.log(`\n=== skipped (${skipped.size} spec(s); reasons in doc/compat.md, "Bun and Deno")`);
    for (const [key, s] of skipped) console.log(`  ${key} [${s.variants.join(', ')}]\n      ${s.reason}`);
  }
  for (const [title, list] of [['hung (killed by the watchdog)', hangs], ['crashed or did not exit', crashes]]) {
    if (list.length) {
      console.log(`\n=== ${title}`);
      for (const l of list) console.log(`  ${l}`);
    }
  }
  summary.finish('runtimes summary');
}

main();
