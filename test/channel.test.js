'use strict';
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const addon = require('./addon');
const { until, runFixture } = require('./helpers');
const evalScript = require('node:path').join(__dirname, 'fixtures', 'eval.js'); // `-e` on every runtime

const { channel } = addon;

describe(`Channel [${addon.variant}]`, () => {
  if (addon.exceptions) {
    it('ref() or unref() off the JS thread is a std::logic_error naming the misuse', () => {
      assert.match(channel.refOffThread('ref'), /napix: ref\(\) called off the JavaScript thread/);
      assert.match(channel.refOffThread('unref'), /napix: unref\(\) called off the JavaScript thread/);
    });
  } else {
    it('ref() or unref() off the JS thread is a fatal error naming the misuse', () => {
      for (const which of ['ref', 'unref']) {
        const r = spawnSync(process.execPath, [evalScript, `require(process.argv[1]).channel.refOffThread('${which}')`, addon.file], { encoding: 'utf8' });
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, new RegExp(`FATAL ERROR: napix napix: ${which}\\(\\) called off the JavaScript thread`));
      }
    });
  }

  afterEach(() => addon.joinThreads());

  it('delivers N threads x M closures exactly once, in per-thread order', async () => {
    const threads = 4;
    const perThread = 20000;
    const next = new Array(threads).fill(0);
    let total = 0;
    let outOfOrder = 0;
    channel.produce(threads, perThread, (t, i) => {
      if (next[t] !== i) outOfOrder++;
      next[t] = i + 1;
      total++;
    });
    await until(() => total === threads * perThread, 20000, 'all closures');
    addon.joinThreads();
    assert.equal(outOfOrder, 0);
    assert.deepEqual(next, new Array(threads).fill(perThread));
    assert.deepEqual(channel.statuses(), { ok: threads * perThread, queue_full: 0, closing: 0 });
    await new Promise((r) => setImmediate(r));
    assert.equal(total, threads * perThread, 'nothing ran twice');
  });

  it('delivers exactly once with a bounded queue and blocking senders', async () => {
    const threads = 3;
    const perThread = 5000;
    let total = 0;
    const next = new Array(threads).fill(0);
    let outOfOrder = 0;
    channel.produce(threads, perThread, (t, i) => {
      if (next[t] !== i) outOfOrder++;
      next[t] = i + 1;
      total++;
    }, { maxQueue: 8 });
    await until(() => total === threads * perThread, 20000, 'all closures');
    addon.joinThreads();
    assert.equal(outOfOrder, 0);
    assert.deepEqual(channel.statuses(), { ok: threads * perThread, queue_full: 0, closing: 0 });
  });

  it('send_async: values, C++ exceptions and JS exceptions reach the future', async () => {
    assert.equal(await channel.sendAsync('value'), 'value:85');
    assert.equal(await channel.sendAsync('js-throw'), 'JsError:Error:js says no');
    if (addon.exceptions) assert.equal(await channel.sendAsync('cpp-throw'), 'exception:c++ says no');
  });

  it('send_sync: a blocking round trip from a native thread', async () => {
    globalThis.napixAnswer = 41;
    assert.equal(await channel.sendSync(), 41);
    delete globalThis.napixAnswer;
  });

  it('send_sync on the JS thread refuses instead of deadlocking', () => {
    const r = channel.sendSyncOnJsThread();
    if (addon.exceptions) {
      assert.match(r, /^logic_error:napix: a blocking call \(send_sync\/call_sync\) on the JavaScript thread would deadlock$/);
    } else {
      assert.match(r, /^Result:ERR_NAPIX_WOULD_DEADLOCK:napix: a blocking call/);
    }
  });

  it('abort() destroys queued closures unrun and fails their futures with ClosingError', () => {
    assert.deepEqual(channel.abortQueued(100), {
      ran: 0, dropped: 100, closingFutures: 100, sendAfter: 'closing', closed: true,
    });
  });

  it('a bounded queue: try_send sees queue_full and send blocks while JS is busy', async () => {
    const seen = [];
    const r = channel.bounded((i) => seen.push(i));
    assert.deepEqual(r.tries, ['ok', 'ok', 'queue_full']);
    assert.equal(r.lastSend(), 'pending', 'send is still blocked: JS has not run anything yet');
    await until(() => seen.length === 3, 5000, 'the blocked send to go through');
    addon.joinThreads();
    assert.deepEqual(seen, [1, 2, 4]);
    assert.equal(r.lastSend(), 'ok');
  });

  it('a blocking send/call on the JS thread with a full queue returns queue_full, never deadlocks', async () => {
    const seen = [];
    assert.deepEqual(channel.fullOnJsThread((i) => seen.push(i)),
      ['ok', 'queue_full', 'ok', 'queue_full', 'ok', 'queue_full']);
    await until(() => seen.length === 2, 5000, 'the two accepted calls');
    assert.deepEqual(seen, [1, 1]);
  });

  it('ref(), unref(), has_ref(), keep_alive and moved-from handles', () => {
    assert.deepEqual(channel.refState(), [true, false, true, false, true, 'closing']);
  });

  it('a ref()ed channel keeps the process alive; unref() lets it exit', async () => {
    const kept = await runFixture('keep_alive.js', ['ref']);
    assert.equal(kept.code, 0, kept.stderr);
    assert.match(kept.stdout, /ran/);
    const let_go = await runFixture('keep_alive.js', ['unref']);
    assert.equal(let_go.code, 0, let_go.stderr);
    assert.doesNotMatch(let_go.stdout, /ran/);
  });

  it('a closure that throws becomes an uncaughtException', async () => {
    const kinds = addon.exceptions ? ['js', 'cpp'] : ['js'];
    for (const kind of kinds) {
      const r = await runFixture('uncaught.js', ['channel', kind]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, kind === 'js' ? /uncaught: Error: thrown in a closure/ : /uncaught: Error: c\+\+ thrown in a closure/);
    }
  });

  it('a napix::JsError escaping a closure reaches uncaughtException with its name and code', async function () {
    if (!addon.exceptions) this.skip();  // a C++ throw: the exceptions-on variant only
    const r = await runFixture('uncaught.js', ['channel', 'jserror']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /uncaught: RangeError: JsError thrown in a closure \[E_NAPIX_TEST\]/);
  });
});
