'use strict';
// napix/cancel.h: CancelToken from an AbortSignal, on_cancel, a task's token, and the deadlines
// of send_sync_for / call_sync_for.
const assert = require('node:assert/strict');
const addon = require('./addon');
const { until } = require('./helpers');

const { cancel } = addon;
// How late a deadline may fire on a shared 2-core machine (and under sanitizers).
const slackMs = Number(process.env.NAPIX_DEADLINE_SLACK_MS || 250);

describe(`cancel [${addon.variant}]`, function () {
  this.timeout(60000);
  afterEach(() => addon.joinThreads());

  describe('CancelToken', () => {
    it('an AbortSignal aborted in JS is seen on a native thread; on_cancel ran once, on the JS thread', async () => {
      const controller = new AbortController();
      const seen = cancel.watchSignal(controller.signal);
      controller.abort();
      assert.deepEqual({ ...(await seen) }, { seen: true, callbacks: 1, onJsThread: true });
    });
    it('an already aborted signal gives a cancelled token', async () => {
      assert.equal(cancel.tokenOf(AbortSignal.abort()), true);
      assert.equal(cancel.tokenOf(new AbortController().signal), false);
      assert.deepEqual({ ...(await cancel.watchSignal(AbortSignal.abort())) }, { seen: true, callbacks: 1, onJsThread: true });
    });
    it('anything but an AbortSignal is a TypeError', () => {
      for (const v of [{}, { aborted: false, addEventListener() {} }, 1, undefined]) {
        assert.throws(() => cancel.tokenOf(v), (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_TYPE' && /AbortSignal/.test(e.message));
      }
    });
    it('on_cancel runs each callback exactly once, on a cancelling thread; a registration dropped before never runs; a late one runs at once', () => {
      for (let i = 0; i < 20; i++) {
        const r = cancel.onCancelOnce(4);
        assert.deepEqual(r.runs, [1, 1, 1]);
        assert.equal(r.dropped, 0);
        assert.equal(r.late, 1);
        assert.equal(r.lateHere, true);
        assert.equal(r.rightThread, true);
        assert.equal(r.cancelled, true);
      }
    });
    it('unregistering waits for a callback running on another thread; from inside itself it does not', () => {
      for (let i = 0; i < 20; i++) {
        const r = cancel.unregisterWaits();
        assert.equal(r.finishedFirst, true);
        assert.equal(r.selfRuns, 1);
      }
    });
  });

  describe('TaskContext::token()', () => {
    it("follows the task's AbortSignal: the token (and a copy on another thread) sees it, on_cancel ran once", async () => {
      const controller = new AbortController();
      const p = cancel.taskToken(controller.signal);
      await until(() => cancel.taskStarted(), 10000, 'the task to start');
      controller.abort();
      await assert.rejects(p, { name: 'AbortError' });
      await until(() => cancel.taskResult().done, 10000, 'the execute to return');
      assert.deepEqual({ ...cancel.taskResult() }, { done: true, tokenSeen: true, ctxSeen: true, otherThreadSeen: true, callbacks: 1 });
    });
    it('cancelling the token makes ctx.cancelled() true', async () => {
      assert.equal(await cancel.tokenCancelsCtx(), true);
    });
  });

  describe('deadlines', () => {
    for (const kind of ['send', 'call', 'typed']) {
      it(`${kind}_sync_for: a call that cannot start gives TimeoutError within the timeout plus slack; it never runs`, async () => {
        const r = cancel.deadlineUnstarted(kind, 100);
        assert.equal(r.result, 'TimeoutError:ERR_NAPIX_TIMEOUT');
        assert.ok(r.elapsed >= 99, `gave up after ${r.elapsed} ms`);
        assert.ok(r.elapsed < 100 + slackMs, `gave up after ${r.elapsed} ms`);
        // The JS thread now drains the queue: the item is destroyed unrun, JS never sees it.
        await until(() => cancel.counters().dropped === 1, 5000, 'the abandoned call to be destroyed');
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepEqual({ ...cancel.counters() }, { ran: 0, dropped: 1 });
      });
    }
    for (const typed of [false, true]) {
      it(`${typed ? 'typed ' : ''}call_sync_for: a running call (its promise not settled in time) has its result discarded`, async () => {
        let calls = 0;
        let settle;
        const r = await cancel.deadlineRunning(() => {
          calls++;
          return new Promise((resolve) => { settle = resolve; });
        }, 100, typed);
        assert.equal(r.result, 'TimeoutError:ERR_NAPIX_TIMEOUT');
        assert.ok(r.elapsed >= 99 && r.elapsed < 100 + slackMs, `gave up after ${r.elapsed} ms`);
        assert.equal(calls, 1);
        settle(3);  // too late: nobody is told, nothing breaks
        await new Promise((resolve) => setImmediate(resolve));
      });
    }
    it('a thread keeps its TimedCall across calls that complete and hands it to a call it gave up on', async () => {
      let settle;
      const r = await cancel.deadlineReuse((x) => (x === 99 ? new Promise((resolve) => { settle = resolve; }) : x * 2));
      assert.deepEqual({ ...r, results: [...r.results] }, {
        noneAtStart: true, kept: true, handedOver: true, fresh: true,
        results: ['value:2', 'value:4', 'TimeoutError:ERR_NAPIX_TIMEOUT', 'value:6'],
      });
      settle(0);  // the timed-out call's result: discarded, its TimedCall freed (LSan checks)
      await new Promise((resolve) => setImmediate(resolve));
    });
    it('timed calls racing their deadlines from 4 threads each end once, with their own value or TimeoutError', async () => {
      // Every 5th call runs 200 µs: the others time out queued behind it, running or just done.
      let runs = 0;
      const spin = (us) => { const end = process.hrtime.bigint() + BigInt(us * 1000); while (process.hrtime.bigint() < end); };
      const fn = (x) => { runs++; if (x % 5 === 0) spin(200); return 2 * x; };
      const threads = 4, calls = 600;
      const r = await cancel.deadlineRace(fn, threads, calls, 100);
      assert.deepEqual({ wrong: r.wrong, other: r.other, total: r.values + r.timeouts }, { wrong: 0, other: 0, total: threads * calls });
      assert.ok(r.values > 0 && r.timeouts > 0, `values ${r.values}, timeouts ${r.timeouts}: both paths taken`);
      // JS ran every call that gave a value, and no call twice: at most the ones that timed out too.
      assert.ok(runs >= r.values && runs <= threads * calls, `${runs} runs for ${r.values} values`);
    });
    it('calls that finish in time give their values', async () => {
      const r = await cancel.deadlineInTime((x) => x * 2, 10000);
      assert.deepEqual({ ...r }, { send: 'value:5', call: 'value:40', typed: 'value:42' });
    });
    it('on the JS thread: fails at once and never runs the call', () => {
      const r = cancel.onJsThread();
      assert.equal(r.ran, false);
      if (addon.exceptions) assert.match(r.result, /^logic_error:.*would deadlock/);
      else assert.equal(r.result, 'error:ERR_NAPIX_WOULD_DEADLOCK');
    });
    it('TimeoutError reaches JS with its name and code ERR_NAPIX_TIMEOUT', async () => {
      await assert.rejects(cancel.timeoutToJs(), { name: 'TimeoutError', code: 'ERR_NAPIX_TIMEOUT', message: 'napix: the call timed out' });
    });
  });
});

describe(`cancel doc example [${addon.variant}]`, () => {
  it('scan stops when JS aborts the signal', async () => {
    const controller = new AbortController();
    const p = addon.cancel.scan(controller.signal);
    controller.abort();
    assert.ok(await p < 1e9);
  });
});
