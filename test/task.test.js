'use strict';
const assert = require('node:assert/strict');
const asyncHooks = require('node:async_hooks');
const { AsyncLocalStorage } = asyncHooks;
const { getEventListeners } = require('node:events');
const addon = require('./addon');
const { until, runFixture } = require('./helpers');

const { task } = addon;
const poolSize = Number(process.env.UV_THREADPOOL_SIZE) || 4;
const isAbort = (e) => e instanceof Error && e.name === 'AbortError' && e.code === 'ABORT_ERR' &&
  e.message === 'The operation was aborted';

// Occupies every pool thread with a task blocked on the latch; resolves once all started.
async function fillPool() {
  const blockers = [];
  for (let i = 0; i < poolSize; i++) blockers.push(task.blocker());
  await until(() => task.counts().started === poolSize, 10000, 'blockers started');
  return blockers;
}

describe(`task [${addon.variant}]`, () => {
  beforeEach(() => task.reset());
  afterEach(() => { task.release(); addon.joinThreads(); });

  describe('results', () => {
    it('promise() converts the value with to_js; void resolves undefined', async () => {
      assert.equal(await task.value('int', 21), 42);
      assert.equal(await task.value('string', 5), 's5');
      assert.deepEqual(await task.value('vector', 3), [3, 4]);
      assert.equal(await task.value('void'), undefined);
      assert.equal(task.counts().executed, 1);
      assert.equal(await task.value('ctx', 8), 8);
    });
    it('promise(complete) settles with what complete returns', async () => {
      assert.equal(await task.value('complete', 3), 'got 3');
      assert.equal(await task.value('void-complete'), 7);
    });
    it('move-only results are moved into complete', async () => {
      assert.equal(await task.value('move-only', 41), 42);
      assert.equal(await task.value('result-move-only', 4), 40);
    });
    it('a Result value resolves with its value', async () => {
      assert.equal(await task.value('result-ok', 6), 6);
      assert.equal(await task.value('result-void'), undefined);
    });
    it('cancellable_promise resolves like promise when not cancelled', async () => {
      const [, p] = task.value('cancellable', 1);
      assert.equal(await p, 101);
      const [, q] = task.value('cancellable-complete', 9);
      assert.equal(await q, 9);
    });
    it('and_then calls complete on the JS thread with the value (void, move-only, Result)', async () => {
      const got = [];
      task.andThen('int', 5, (v) => got.push(['int', v]));
      task.andThen('void', 0, (...a) => got.push(['void', a.length]));
      task.andThen('move-only', 7, (v) => got.push(['move-only', v]));
      task.andThen('result', 2, (v) => got.push(['result', v]));
      await until(() => got.length === 4);
      got.sort((a, b) => a[0].localeCompare(b[0]));
      assert.deepEqual(got, [['int', 15], ['move-only', 7], ['result', 'as a Result 2'], ['void', 0]]);
    });
  });

  describe('failures', () => {
    it('an error Result rejects with its name, message and code', async () => {
      await assert.rejects(task.fail('result-error'), (e) => e instanceof RangeError && e.message === 'too big' && e.code === 'ERR_BIG');
      await assert.rejects(task.fail('result-void-error'), (e) => e instanceof Error && e.message === 'plain failure' && e.code === undefined);
      await assert.rejects(task.fail('complete-result-error'), { name: 'TypeError', message: 'complete said no' });
      await assert.rejects(task.fail('complete-pending'), { message: 'left pending', code: 'ERR_LEFT' });
    });
    if (addon.exceptions) {
      it('a C++ exception escaping execute or complete rejects with its message', async () => {
        await assert.rejects(task.fail('throw'), (e) => e instanceof Error && e.message === 'execute failed');
        await assert.rejects(task.fail('throw-void'), { message: 'void execute failed' });
        await assert.rejects(task.fail('throw-js-error'), (e) => e instanceof TypeError && e.message === 'carried' && e.code === 'ERR_CARRIED');
        await assert.rejects(task.fail('complete-throw'), { message: 'complete failed' });
        await assert.rejects(task.fail('complete-js-throw'), (e) => e instanceof RangeError && e.message === 'complete js failed');
      });
    }
    const uncaught = [['js-throw', /uncaught: TypeError: thrown by complete/]];
    if (addon.exceptions) {
      uncaught.push(['cpp-throw', /uncaught: Error: complete threw/], ['execute-throw', /uncaught: Error: execute threw/]);
    }
    for (const [kind, re] of uncaught) {
      it(`and_then: ${kind} becomes an uncaughtException`, async () => {
        const r = await runFixture('task_uncaught.js', [kind]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, re);
        assert.equal(r.stdout.trim().split('\n').length, 1);
      });
    }

    it('a progress function that throws: each throw becomes an uncaughtException, and the promise still settles after them', async () => {
      const r = await runFixture('task_uncaught.js', ['progress-throw']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stdout.trim().split('\n'), [
        'uncaught: TypeError: thrown by progress 0',
        'uncaught: TypeError: thrown by progress 1',
        'uncaught: TypeError: thrown by progress 2',
        'resolved 3',
      ]);
    });
  });

  it('10,000 concurrent tasks each resolve exactly once with the right value', async () => {
    const n = 10000;
    const promises = task.many(n);
    let settled = 0;
    const values = await Promise.all(promises.map((p) => p.then((v) => { settled++; return v; })));
    assert.equal(settled, n);
    for (let i = 0; i < n; i++) assert.equal(values[i], i * 3);
    assert.equal(task.counts().executed, n);
  });

  describe('cancellation', () => {
    it('cancel() before start: the task never runs and the promise rejects with AbortError', async () => {
      const blockers = await fillPool();
      const [id, p] = task.counted();
      const rejected = assert.rejects(p, isAbort);
      task.cancel(id);
      await rejected;  // at once, while the pool is still blocked
      task.release();
      assert.deepEqual(await Promise.all(blockers), blockers.map(() => 1));
      assert.equal(await task.value('int', 1), 2);  // queued after the cancelled one: FIFO
      assert.equal(task.counts().executed, 0);
    });
    it('cancel() while running: execute sees ctx.cancelled()', async () => {
      const [id, p] = task.looper();
      await until(() => task.counts().started === 1);
      const rejected = assert.rejects(p, isAbort);
      task.cancel(id);
      await rejected;
      await until(() => task.counts().observed === 1);
    });
    it('cancel() after settle has no effect', async () => {
      const [id, p] = task.counted();
      assert.equal(await p, 5);
      task.cancel(id);
      assert.equal(task.counts().executed, 1);
    });
  });

  describe('AbortSignal', () => {
    it('already aborted: rejects with signal.reason at once and never queues', async () => {
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(task.signalled(ac.signal), (e) => e === ac.signal.reason);
      const mine = new Error('mine');
      await assert.rejects(task.signalled(AbortSignal.abort(mine)), (e) => e === mine);
      assert.equal(await task.value('int', 1), 2);
      assert.equal(task.counts().executed, 0);
    });
    it('aborted while queued: never runs, rejects with the reason', async () => {
      const blockers = await fillPool();
      const ac = new AbortController();
      const [, p] = task.counted(ac.signal);
      assert.equal(getEventListeners(ac.signal, 'abort').length, 1);
      const rejected = assert.rejects(p, (e) => e === 'why');
      ac.abort('why');
      await rejected;
      assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
      task.release();
      await Promise.all(blockers);
      assert.equal(await task.value('int', 1), 2);
      assert.equal(task.counts().executed, 0);
    });
    it('aborted while running: execute sees ctx.cancelled()', async () => {
      const ac = new AbortController();
      const [, p] = task.looper(ac.signal);
      await until(() => task.counts().started === 1);
      const rejected = assert.rejects(p, (e) => e === ac.signal.reason && e.name === 'AbortError');
      ac.abort();
      await rejected;
      await until(() => task.counts().observed === 1);
    });
    it('aborted after settle: no effect, and the listener was removed', async () => {
      const ac = new AbortController();
      const p = task.signalled(ac.signal);
      assert.equal(getEventListeners(ac.signal, 'abort').length, 1);
      assert.equal(await p, 9);
      assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
      ac.abort();
      assert.equal(task.counts().executed, 1);
    });
    // Only a real AbortSignal (instanceof globalThis.AbortSignal): a look-alike's `aborted` and
    // listeners cannot be trusted to cancel the task.
    const notASignal = (got) => ({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
      message: `napix::task: .signal(): expected AbortSignal, got ${got}` });
    it('a value that is not an AbortSignal (a look-alike included) rejects with a TypeError; the task never runs', async () => {
      const lookAlike = { aborted: false, reason: undefined, addEventListener() {}, removeEventListener() {} };
      for (const [bad, got] of [[42, 'number'], ['s', 'string'], [lookAlike, 'object'],
        [Object.create(AbortSignal.prototype), 'object'], [new EventTarget(), 'object']]) {
        await assert.rejects(task.signalled(bad), notASignal(got));
      }
      assert.equal(task.counts().executed, 0);
    });
    it('and_then, having no promise, throws that TypeError and starts nothing', async () => {
      let done = 0;
      assert.throws(() => task.andThenSignal({ aborted: false, addEventListener() {} }, () => { done++; }), notASignal('object'));
      assert.equal(await task.value('int', 1), 2);  // a later task completes: the bad one never queued
      assert.equal(done, 0);
      assert.equal(task.counts().executed, 0);
    });
    it('a signal whose addEventListener throws rejects with that error; the task never runs', async () => {
      const ac = new AbortController();
      const boom = new Error('no listeners here');
      ac.signal.addEventListener = () => { throw boom; };
      await assert.rejects(task.signalled(ac.signal), (e) => e === boom);
      let done = 0;
      assert.throws(() => task.andThenSignal(ac.signal, () => { done++; }), (e) => e === boom);
      assert.equal(await task.value('int', 1), 2);
      assert.equal(done, 0);
      assert.equal(task.counts().executed, 0);
    });
    it('a signal that aborts while the listener is being added cancels the task (listener called at once, or not at all)', async () => {
      const atOnce = new AbortController();
      atOnce.signal.addEventListener = function (...args) {
        EventTarget.prototype.addEventListener.apply(this, args);
        atOnce.abort('now');  // dispatches to the listener before addEventListener returns
      };
      await assert.rejects(task.signalled(atOnce.signal), (e) => e === 'now');
      const silent = new AbortController();
      silent.signal.addEventListener = () => { silent.abort('late'); };  // registers nothing
      await assert.rejects(task.signalled(silent.signal), (e) => e === 'late');
      assert.equal(getEventListeners(atOnce.signal, 'abort').length, 0);
      assert.equal(task.counts().executed, 0);
    });
  });

  describe('progress', () => {
    it('every value, in order, all before the promise settles', async () => {
      const seen = [];
      const n = 5000;
      const p = task.progress(n, (v) => seen.push(v));
      const value = await p.then((v) => { assert.equal(seen.length, n); return v; });
      assert.equal(value, n);
      assert.deepEqual(seen, Array.from({ length: n }, (_, i) => i));
    });
    it('converts each value with to_js', async () => {
      const seen = [];
      assert.equal(await task.progress(3, (v) => seen.push(v), 'string'), 3);
      assert.deepEqual(seen, ['p0', 'p1', 'p2']);
    });
    it('a progress function that is not a function rejects with a TypeError (and_then: throws); the task never runs', async () => {
      for (const [bad, got] of [[42, 'number'], [{}, 'object'], [undefined, 'undefined'], [null, 'null']]) {
        const message = `napix::task: .on_progress(fn): expected function, got ${got}`;
        await assert.rejects(task.progress(3, bad), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message });
        let done = 0;
        assert.throws(() => task.als(bad, () => { done++; }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message });
        assert.equal(await task.value('int', 1), 2);
        assert.equal(done, 0);
      }
    });
    it('concurrent tasks keep their own order', async () => {
      const seen = [[], [], [], []];
      const ps = seen.map((s, k) => task.progress(500, (v) => s.push(v + k * 1000)));
      await Promise.all(ps);
      seen.forEach((s, k) => assert.deepEqual(s, Array.from({ length: 500 }, (_, i) => i + k * 1000)));
    });
  });

  it('AsyncLocalStorage of the caller is seen in progress and complete', async () => {
    const als = new AsyncLocalStorage();
    let inProgress;
    let inComplete;
    let value;
    als.run({ id: 'caller' }, () => task.als(() => { inProgress = als.getStore(); }, (v) => { inComplete = als.getStore(); value = v; }));
    await until(() => value !== undefined);
    assert.deepEqual(inProgress, { id: 'caller' });
    assert.deepEqual(inComplete, { id: 'caller' });
    assert.equal(value, 2);
  });

  it('tasks awaited one by one reuse a lingering runner (no napi_async_work per task)', async () => {
    // A long linger makes reuse certain; 0 turns it off: one runner per task, as raw async work.
    const long = await runFixture('task_linger.js', ['100'], { env: { NAPIX_TASK_LINGER_US: '1000000' } });
    assert.equal(long.code, 0, long.stderr);
    assert.match(long.stdout, /runners started: 1\n/);
    const off = await runFixture('task_linger.js', ['100'], { env: { NAPIX_TASK_LINGER_US: '0' } });
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stdout, /runners started: 100\n/);
  });

  it('a lingering runner whose spins keep missing blocks at once (backing off), and still takes the next task', async () => {
    // Tasks 20 ms apart: every spin (at most 50 µs) misses. After a miss the next 1, 3, 7, 15, 31
    // lingers block without spinning, so lingers 1, 3, 7, 15 and 31 spin and miss; all 39
    // finished lingers (the 40th waits out its linger after the counts) block and are woken by
    // submit, and the one runner takes every task.
    const r = await runFixture('task_linger.js', ['40', '20'], { env: { NAPIX_TASK_LINGER_US: '1000000' } });
    assert.equal(r.code, 0, r.stderr);
    const c = JSON.parse(r.stdout.split('\n')[1]);
    assert.equal(c.runnersStarted, 1);
    assert.equal(c.lingerSpinsHit, 0);
    assert.equal(c.lingerSpinsMissed, 5);
    assert.equal(c.lingerBlockedAtOnce, 34);
    assert.equal(c.lingerSleeps, 39);
  });

  it('a named task is an async resource of that name (its promise); a plain unnamed .promise() task is not', async () => {
    const seen = [];
    const hook = asyncHooks.createHook({
      init(id, type, trigger, resource) { if (resource instanceof Promise && /^(napix:task|napixNamed)$/.test(type)) seen.push(type); },
    }).enable();
    let named;
    let plain;
    try {
      named = await Promise.all(task.resources('napixNamed', 50));
      plain = await Promise.all(task.resources(undefined, 50));
    } finally {
      hook.disable();
    }
    assert.deepEqual(named, Array.from({ length: 50 }, (_, i) => i));
    assert.deepEqual(plain, named);
    assert.equal(seen.filter((t) => t === 'napixNamed').length, 50);
    assert.equal(seen.filter((t) => t === 'napix:task').length, 0);
  });

  it('a plain .promise() task keeps the awaiting code\'s AsyncLocalStorage after await', async () => {
    const als = new AsyncLocalStorage();
    const seen = await Promise.all(Array.from({ length: 20 }, (_, i) => als.run({ id: i }, async () => {
      const v = await task.value('int', i);
      return [v, als.getStore()];
    })));
    seen.forEach(([v, store], i) => { assert.equal(v, 2 * i); assert.deepEqual(store, { id: i }); });
  });

  it('each of 40 concurrent tasks sees its own creator\'s AsyncLocalStorage', async () => {
    // Tasks share the pool's runners and one completion Channel: every completion and progress
    // call must still run in the async context of the call that created its task.
    const als = new AsyncLocalStorage();
    const n = 20;
    const progressSeen = new Array(n);
    const completeSeen = new Array(n);
    const plainSeen = new Array(n);
    for (let i = 0; i < n; i++) {
      als.run({ id: i }, () => {
        task.als(() => { progressSeen[i] = als.getStore(); }, () => { completeSeen[i] = als.getStore(); });
        task.andThen('int', i, () => { plainSeen[i] = als.getStore(); });
      });
    }
    await until(() => completeSeen.filter(Boolean).length === n && plainSeen.filter(Boolean).length === n);
    for (let i = 0; i < n; i++) {
      assert.deepEqual(progressSeen[i], { id: i });
      assert.deepEqual(completeSeen[i], { id: i });
      assert.deepEqual(plainSeen[i], { id: i });
    }
  });

  it('worker.terminate() with 1,000 queued 20 ms tasks on the pool is not delayed by the queue', async () => {
    const r = await runFixture('task_terminate.js', ['1000', '20'], { timeout: 30000 });
    assert.equal(r.code, 0, r.stderr);
    const { took, executed } = JSON.parse(r.stdout.trim().split('\n').pop());
    // Raw napi_async_work would wait for all 1,000 (≈5 s on 4 threads).
    assert.ok(took < 1500, `terminate took ${took} ms`);
    assert.ok(executed < 1000, `${executed} tasks ran`);
  });

  it('worker.terminate() tells running tasks (ctx.cancelled()) and drops the queued ones (×10)', async () => {
    // Ten cycles per run: termination can begin while a Channel wakeup is in flight, and V8 then
    // refuses to run the dispatch although Node-API still says JS may run; the dispatcher must
    // drop its queue then, or the loopers' teardown probe is stranded and terminate() hangs.
    const cycles = 10;
    const r = await runFixture('task_terminate_running.js', [String(poolSize), '100', String(cycles)], { timeout: 30000 });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, cycles, r.stdout);
    for (const { took, executed, started, observed } of lines) {
      assert.equal(started, poolSize);
      assert.equal(observed, poolSize);  // every looper saw ctx.cancelled() (else terminate hangs)
      assert.equal(executed, 0);  // the 100 queued behind them never ran
      assert.ok(took < 1500, `terminate took ${took} ms`);
    }
  });

  it('a task started and cancelled after its Worker called process.exit() is no fatal error', async () => {
    // Exceptions off, napix::promise() then gives no promise; cancel() used to settle the empty
    // Deferred: "napix::Deferred settled twice", a fatal error for the whole process (found by
    // test/stress.test.js). Exceptions on, promise() throws and nothing starts.
    const r = await runFixture('task_after_exit.js');
    assert.equal(r.signal, null, r.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'worker exit 0');
  });

  it('the doc/task.md examples behave as they say', async () => {
    assert.equal(await task.fib(10), 55);
    const seen = [];
    assert.equal(await task.countTo(3000, (v) => seen.push(v), undefined), 3000);
    assert.deepEqual(seen, [1000, 2000, 3000]);
    await assert.rejects(task.countTo(3000, () => {}, AbortSignal.abort()), { name: 'AbortError' });
    let sum;
    task.checksum(new Uint8Array([1, 2, 250]), (s) => { sum = s; });
    await until(() => sum !== undefined);
    assert.equal(sum, 253);
  });
});
