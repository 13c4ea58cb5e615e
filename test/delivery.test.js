'use strict';
// What becomes of a queued call that is aborted, refused by a full queue, or whose arguments fail
// to convert: the same rules for Channel, ThreadSafeCallback and TypedThreadSafeCallback.
const assert = require('node:assert/strict');
const addon = require('./addon');
const { until } = require('./helpers');

const { delivery } = addon;

describe(`delivery: abort, refusal, failed arguments [${addon.variant}]`, () => {
  afterEach(() => addon.joinThreads());

  it('abort() from another thread: no closure starts after it returns, not even one already drained', async () => {
    const n = 900;
    const k = 18;
    delivery.abortFromThread(n, k);
    await until(() => delivery.abortReport().abortReturned, 10000, 'abort() to return');
    addon.joinThreads();
    const r = delivery.abortReport();
    assert.equal(r.startedAfterAbort, 0);
    assert.equal(r.ran, k, 'the closure that let abort() in was the last one to start');
    assert.equal(r.ran + r.dropped, n, 'every closure ran or was destroyed unrun');
    assert.equal(r.ok + r.closing, n);
    assert.equal(r.dropped, n - k);
  });

  it('abort() inside the first closure of a batch: the rest of the batch is destroyed unrun', async () => {
    delivery.abortInFirstOfBatch(10);
    await until(() => { const r = delivery.abortReport(); return r.ran + r.dropped === 10; }, 10000, 'all ten accounted');
    await new Promise(setImmediate);
    const r = delivery.abortReport();
    assert.equal(r.ok, 10);
    assert.equal(r.ran, 1);
    assert.equal(r.dropped, 9);
  });

  for (const form of ['args', 'typed']) {
    it(`${form}: a JS function that aborts its callback at its 10th call is the last call, with two producers flooding`, async () => {
      let calls = 0;
      delivery.floodAndAbortFromJs(form, () => {
        calls++;
        if (calls === 10) delivery.abortCallback();
      }, 2);
      await until(() => delivery.abortReport().closing === 2, 20000, 'both producers refused');
      addon.joinThreads();
      await new Promise(setImmediate);
      const r = delivery.abortReport();
      assert.equal(calls, 10);
      assert.equal(r.jsCalls, 1);
      assert.equal(r.ran, 10, 'arguments converted: only the ten calls that started');
      assert.equal(r.ran + r.dropped, r.ok + r.closing, 'every argument converted once or destroyed unconverted');
    });
  }

  for (const form of ['channel', 'args', 'typed']) {
    it(`${form}: an async call refused by a full queue on the JS thread says queue_full (ERR_NAPIX_QUEUE_FULL), not closing`, () => {
      const got = delivery.asyncOnFullQueue(form);
      if (addon.exceptions) {
        assert.match(got, /^QueueFullError:ERR_NAPIX_QUEUE_FULL:napix: the queue is full/);
      } else {
        assert.match(got, /^Result:ERR_NAPIX_QUEUE_FULL:napix: the queue is full/);
      }
    });
  }

  for (const form of ['args', 'typed']) {
    it(`${form}: an argument whose to_js fails gives call_async's future that TypeError (no uncaughtException, no ClosingError)`, async () => {
      let called = 0;
      const got = await delivery.badArgumentAsync(form, () => { called++; });
      const want = addon.exceptions ? 'JsError:TypeError:Unconvertible has no JavaScript form'
        : 'Result:ERR_INVALID_ARG_TYPE:Unconvertible has no JavaScript form';
      assert.equal(got, want);
      assert.equal(called, 0);
    });
  }
});
