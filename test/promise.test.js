'use strict';
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Worker } = require('node:worker_threads');
const addon = require('./addon');
const { until } = require('./helpers');
const evalScript = require('node:path').join(__dirname, 'fixtures', 'eval.js'); // `-e` on every runtime

const { promise } = addon;
const dropped = (e) => {
  assert.ok(e instanceof Error);
  assert.equal(e.code, 'ERR_NAPIX_DEFERRED_DROPPED');
  assert.equal(e.message, 'napix: a Deferred was destroyed without settling its promise');
  return true;
};

describe(`promise [${addon.variant}]`, () => {
  afterEach(() => addon.joinThreads());

  it('resolves with every kind of value', async () => {
    const obj = { same: true };
    assert.equal(await promise.resolveWith('int'), 42);
    assert.equal(await promise.resolveWith('double'), 2.5);
    assert.equal(await promise.resolveWith('string'), 'text 😀');
    assert.deepEqual(await promise.resolveWith('vector'), [1, 2, 3]);
    assert.deepEqual(await promise.resolveWith('map'), { a: true });
    assert.equal(await promise.resolveWith('value', obj), obj);
    assert.equal(await promise.resolveWith('undefined'), undefined);
    assert.equal(await promise.resolveWith('int64'), 2n ** 60n);
  });

  it('rejects with a value, a Napi::Error, a napix::Error, a message, or anything to_js takes', async () => {
    const reason = { why: 'because' };
    await assert.rejects(promise.rejectWith('value', reason), (e) => e === reason);
    await assert.rejects(promise.rejectWith('napi-error'), (e) => e instanceof TypeError && e.message === 'napi type error');
    await assert.rejects(promise.rejectWith('napix-error'), (e) => e instanceof RangeError && e.code === 'ERR_FAR' && e.message === 'too far');
    await assert.rejects(promise.rejectWith('message'), (e) => e instanceof Error && e.message === 'plain message');
    await assert.rejects(promise.rejectWith('std-string'), (e) => e instanceof Error && e.message === 'string message');
    await assert.rejects(promise.rejectWith('number'), (e) => e === 7);
  });

  describe('settle_with', () => {
    it('resolves with what the closure returns', async () => {
      assert.deepEqual(await promise.settleWith('value'), ['a', 'b']);
      assert.equal(await promise.settleWith('void'), undefined);
      assert.deepEqual(await promise.settleWith('napi-value'), {});
      assert.equal(await promise.settleWith('result-ok'), 5);
    });
    it('rejects with an error Result or a pending JS exception', async () => {
      await assert.rejects(promise.settleWith('result-error'), { name: 'TypeError', message: 'bad result', code: 'ERR_INVALID_ARG_TYPE' });
      await assert.rejects(promise.settleWith('pending'), { message: 'left pending', code: 'ERR_PENDING' });
    });
    if (addon.exceptions) {
      it('rejects with a thrown C++ or JS exception', async () => {
        await assert.rejects(promise.settleWith('cpp-throw'), { message: 'c++ failed' });
        await assert.rejects(promise.settleWith('js-throw'), (e) => e instanceof RangeError && e.message === 'js failed');
      });
    }
  });

  it('8 threads x 1,000 Deferreds settled through Channel::settle_with, each exactly once', async () => {
    const threads = 8;
    const perThread = 1000;
    const promises = promise.fromThreads(threads, perThread);
    const values = await Promise.all(promises);
    addon.joinThreads();
    assert.equal(values.length, threads * perThread);
    for (let t = 0; t < threads; t++) {
      for (let i = 0; i < perThread; i++) assert.equal(values[t * perThread + i], t * 100000 + i);
    }
    assert.deepEqual(addon.channel.statuses(), { ok: threads * perThread, queue_full: 0, closing: 0 });
  });

  describe('a Deferred destroyed unsettled rejects with ERR_NAPIX_DEFERRED_DROPPED', () => {
    it('on the JS thread', async () => { await assert.rejects(promise.dropOnJsThread(), dropped); });
    it('on another thread', async () => { await assert.rejects(promise.dropOnThread(), dropped); });
    it('inside a closure that never ran because of abort()', async () => { await assert.rejects(promise.dropByAbort(), dropped); });
  });

  it('settled() and empty Deferreds', () => {
    assert.deepEqual(promise.settledState(), [false, true, false, true, true]);
  });

  if (addon.exceptions) {
    it('settling twice or off the JS thread is a std::logic_error', () => {
      assert.match(promise.misuse('twice'), /napix::Deferred settled twice/);
      assert.match(promise.misuse('off-thread'), /napix::Deferred settled off its JavaScript thread; use Channel::settle_with/);
    });
    // Left uncaught in the addon function: napix.gyp's napix_except catches every C++ exception
    // (NODE_ADDON_API_CPP_EXCEPTIONS_ALL), so the documented std::logic_error reaches JS. Without
    // it the process aborts (std::terminate): run in a child so a regression fails, not kills.
    it('a documented misuse left uncaught reaches JS as an Error naming it, not an abort', () => {
      const r = spawnSync(process.execPath, [path.join(__dirname, 'fixtures', 'misuse_uncaught.js'), addon.file], { encoding: 'utf8' });
      assert.equal(r.signal, null, `the child died of ${r.signal}: ${r.stderr}`);
      assert.equal(r.status, 0, r.stderr);
      const deadlock = 'Error: napix: a blocking call (send_sync/call_sync) on the JavaScript thread would deadlock';
      assert.deepEqual(JSON.parse(r.stdout), {
        twice: 'Error: napix::Deferred settled twice (resolve on a settled Deferred)',
        call_sync: deadlock,
        typed_call_sync: deadlock,
        send_sync: deadlock,
        result_value: 'Error: napix::Result::value() called on a Result holding an error',
      });
    });
  } else {
    it('settling twice or off the JS thread is a fatal error naming the misuse', () => {
      for (const [kind, re] of [['twice', /FATAL ERROR: napix napix::Deferred settled twice/],
        ['off-thread', /FATAL ERROR: napix napix::Deferred settled off its JavaScript thread/]]) {
        const r = spawnSync(process.execPath, [evalScript, `require(process.argv[1]).promise.misuse('${kind}')`, addon.file], { encoding: 'utf8' });
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, re);
      }
    });
  }

  describe('to_future', () => {
    it('a native thread waits for a promise: resolve, reject, non-thenable, bad value', async () => {
      assert.equal(await promise.toFuture(Promise.resolve(1.5)), 'value:1.5');
      assert.equal(await promise.toFuture(Promise.reject(new TypeError('nope'))), 'JsError:TypeError:nope');
      assert.equal(await promise.toFuture(7), 'value:7');
      assert.equal(await promise.toFuture(Promise.resolve('x')), 'JsError:TypeError:expected number, got string');
      assert.equal(await promise.toFuture({ then(ok) { setTimeout(() => ok(3), 5); } }), 'value:3');
    });

    it('a promise that never settles fails the future with ClosingError when its Worker ends', async () => {
      addon.tsc.resetCounters();
      const worker = new Worker(`
        const { parentPort } = require('node:worker_threads');
        const addon = require(${JSON.stringify(addon.file)});
        globalThis.keep = addon.promise.neverSettles();
        parentPort.postMessage('ready');
      `, { eval: true });
      await new Promise((resolve) => worker.once('message', resolve));
      await worker.terminate();
      await until(() => addon.tsc.counters().producersDone === 1, 10000, 'the waiting thread');
      assert.equal(addon.tsc.counters().dropped, 1, 'the future failed with ClosingError');
    });
  });

  it('Worker create / settle / terminate cycles with Deferreds in flight on native threads', async function () {
    this.timeout(120000);
    const cycles = Number(process.env.NAPIX_STRESS_REPEAT || 3) * 10;
    for (let i = 0; i < cycles; i++) {
      addon.tsc.resetCounters();
      const worker = new Worker(`
        const { parentPort } = require('node:worker_threads');
        const addon = require(${JSON.stringify(addon.file)});
        addon.promise.inFlight(4, 50);
        parentPort.postMessage('ready');
      `, { eval: true });
      await new Promise((resolve) => worker.once('message', resolve));
      await new Promise((resolve) => setTimeout(resolve, i % 3));
      await worker.terminate();
      await until(() => addon.tsc.counters().producersDone === 4, 10000, 'every settling thread to finish');
      const c = addon.tsc.counters();
      assert.equal(c.attempted, 200);
      assert.ok(c.ran + c.refused <= c.attempted);
    }
  });
});
