'use strict';
// The mixed teardown stress (issue 6): 4 native producer threads (test/stress.cc) mix
// fire-and-forget calls on an unbounded ThreadSafeCallback, blocking calls on a bounded one,
// call_async futures, Deferreds settled from the producers with Channel::settle_with, and closures
// that queue napix tasks — while their environment goes away:
//   (1) worker.terminate(), (2) process.exit() called by the Worker inside a callback, and
//   (3) the main thread ending (a child process): naturally (callbacks unref'ed) or by process.exit().
// After every cycle the ledgers must add up exactly (stress.check(): each call accepted or refused,
// each closure ran or was destroyed unrun, each future completed, each Deferred settled or
// dropped, each task's execute and complete ran or were destroyed unrun). Every Worker cycle has a
// hard limit (cycleMs) that fails the spec — with the ledgers and every thread's backtrace —
// instead of hanging the run.
//
// Cycles: NAPIX_STRESS_REPEAT (scripts/stress.js sets 50) gives 10 x REPEAT Worker cycles per
// scenario and REPEAT child processes per main-thread scenario; unset (npm test): 5 of each.
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { Worker } = require('node:worker_threads');
const addon = require('./addon');
const { until, runFixture, backtrace } = require('./helpers');

const repeat = Number(process.env.NAPIX_STRESS_REPEAT || 0);
const workerCycles = repeat ? repeat * 10 : 5;
const childCycles = repeat || 5;
const threads = 4;
const maxQueue = 2;
const cycleMs = 10000;
const fixture = path.join(__dirname, 'fixtures', 'stress_worker.js');
const { stress } = addon;

// Rejects with `what` when `promise` is not settled within `ms` (>= 0).
function within(promise, ms, what) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hard limit: no ${what} within the cycle's ${cycleMs} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

function finished() {
  const c = stress.counters();
  return c.producersStarted === threads && stress.check().length === 0;
}

// Every kind of operation happened (the fixture waits for it before ending the Worker).
function assertMixed(c) {
  for (const k of ['fireRan', 'blockRan', 'asyncConverted', 'settleRan', 'queueRan', 'taskExecuted', 'taskCompleted']) {
    assert.ok(c[k] > 0, `no ${k}: ${JSON.stringify(c)}`);
  }
}

// A Worker that never finished its teardown makes this process's exit wait for it forever (Node
// joins every Worker thread at exit). Once the run is over ('exit': mocha wrote its results), a
// detached watchdog kills the process if it is still there 30 s later.
let watchdog = false;
function armExitWatchdog() {
  if (watchdog) return;
  watchdog = true;
  process.once('exit', () => {
    console.error(`stress: a Worker hung; killing this process (${process.pid}) in 30 s if its exit waits for it`);
    spawn('/bin/sh', ['-c', `sleep 30; grep -q mocha /proc/${process.pid}/cmdline 2>/dev/null && kill -9 ${process.pid}`], {
      detached: true, stdio: 'ignore',
    }).unref();
  });
}

// A failure message with what the ledgers say and, for a hang (the Worker did not exit, or the
// ledgers never added up), where every thread is.
function explain(e, hung, worker, exited) {
  e.message += `\nledgers: ${JSON.stringify(stress.counters())}\nviolations: ${JSON.stringify(stress.check())}`;
  if (hung) e.message += `\nthreads of this process (${process.pid}):\n${backtrace(process.pid)}`;
  if (!exited) {
    worker.unref();  // else it keeps the event loop alive and the run never ends
    armExitWatchdog();
  }
  return e;
}

async function workerCycle(mode, i) {
  stress.reset();
  const deadline = Date.now() + cycleMs;
  const left = () => Math.max(0, deadline - Date.now());
  const worker = new Worker(fixture, {
    workerData: { mode, threads, maxQueue, seed: i, signalAfter: 20 + ((i * 7919) % 600) },
    env: { ...process.env, NAPIX_TEST_VARIANT: addon.variant },
  });
  let error = null;
  worker.on('error', (e) => { error = e; });
  let gone = false;
  const exited = new Promise((resolve) => worker.once('exit', (code) => { gone = true; resolve(code); }));
  let hung = true;
  try {
    if (mode === 'terminate') {
      const running = new Promise((resolve) => worker.once('message', resolve));
      await within(Promise.race([running, exited]), left(), 'message from the Worker that the mix runs');
      await within(worker.terminate(), left(), 'end of worker.terminate()');
    }
    const code = await within(exited, left(), 'Worker exit');
    await until(finished, left(), 'every producer to return and every ledger to add up');
    hung = false;
    assert.equal(error, null, error && error.stack);
    assert.equal(code, mode === 'exit' ? 0 : 1, 'exit code');
    assertMixed(stress.counters());
  } catch (e) {
    throw explain(e, hung, worker, gone);
  }
}

async function cycles(n, label, one) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    try {
      await one(i);
    } catch (e) {
      e.message = `${label}, cycle ${i + 1} of ${n}: ${e.message}`;
      throw e;
    }
  }
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`      ${label}: ${n} cycles in ${s.toFixed(1)} s, ${(n / s).toFixed(1)} cycles/s`);
}

describe(`stress [${addon.variant}]`, () => {
  for (const mode of ['terminate', 'exit']) {
    const what = mode === 'exit' ? 'process.exit() inside a callback' : 'terminate()';
    it(`Worker ${what} while 4 producers mix every operation, exact ledgers x${workerCycles}`, async function () {
      this.timeout(workerCycles * (cycleMs + 5000) + 60000);
      await cycles(workerCycles, `Worker ${mode}`, (i) => workerCycle(mode, i));
    });
  }

  it(`main thread natural exit (unref'ed) while 4 producers mix every operation, exact ledgers x${childCycles}`, async function () {
    this.timeout(childCycles * 30000);
    await cycles(childCycles, 'main natural exit', async (i) => {
      const r = await runFixture('stress_main.js', ['natural', String(threads), String(maxQueue), String(i)], { timeout: 25000 });
      assert.equal(r.signal, null, r.stderr);
      assert.equal(r.code, 0, r.stderr);
      const m = /^stress: (\{.*\})$/m.exec(r.stdout);
      assert.ok(m, `no ledgers printed:\n${r.stdout}\n${r.stderr}`);
      const { report } = JSON.parse(m[1]);
      assert.deepEqual(report.violations, [], JSON.stringify(report.counters));
      assert.equal(report.counters.producersStarted, threads);
      assertMixed(report.counters);
    });
  });

  it(`main thread process.exit() while 4 producers mix every operation: no crash, no hang, nothing counted twice x${childCycles}`, async function () {
    this.timeout(childCycles * 30000);
    await cycles(childCycles, 'main process.exit()', async (i) => {
      const r = await runFixture('stress_main.js', ['exit', String(threads), String(maxQueue), String(i)], { timeout: 25000 });
      assert.equal(r.signal, null, r.stderr);
      assert.equal(r.code, 0, r.stderr);
      const m = /^stress: (\{.*\})$/m.exec(r.stdout);
      assert.ok(m, `no ledgers printed:\n${r.stdout}\n${r.stderr}`);
      const { report } = JSON.parse(m[1]);
      // No teardown runs: calls still queued are never accounted for, but none may count twice.
      assert.deepEqual(report.violations, [], JSON.stringify(report.counters));
      assertMixed(report.counters);
    });
  });
});
