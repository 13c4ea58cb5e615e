'use strict';
const assert = require('node:assert/strict');
const { AsyncLocalStorage } = require('node:async_hooks');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const addon = require('./addon');
const { until, runFixture } = require('./helpers');

const { tsc } = addon;
const forms = ['args', 'closure', 'typed'];

describe(`ThreadSafeCallback [${addon.variant}]`, () => {
  describe('TypedThreadSafeCallback::channel()', () => {
    it('closures sent through channel() run in order with the typed calls, and settle_with after them', async () => {
      const n = 5000;
      const seen = [];
      const r = await tsc.typedChannel((v) => { seen.push(v); }, n);
      assert.equal(r, n);
      assert.equal(seen.length, 2 * n);
      for (let i = 0; i < 2 * n; i++) if (seen[i] !== i) assert.fail(`position ${i}: got ${seen[i]}`);
    });

    it('abort() destroys closures queued through channel() unrun, and the channel then reports closing', () => {
      const r = tsc.typedChannelAbort(100);
      assert.deepEqual(r, { queued: 100, ran: 0, dropped: 100, sendAfter: 'closing', closed: true });
    });
  });

  afterEach(() => addon.joinThreads());

  for (const form of forms) {
    it(`${form}: N threads x M calls arrive exactly once, in per-thread order`, async () => {
      const threads = 4;
      const perThread = 20000;
      const next = new Array(threads).fill(0);
      let total = 0;
      let outOfOrder = 0;
      tsc.produce(form, threads, perThread, (t, i) => {
        if (next[t] !== i) outOfOrder++;
        next[t] = i + 1;
        total++;
      });
      await until(() => total === threads * perThread, 20000, 'all calls');
      addon.joinThreads();
      assert.equal(outOfOrder, 0);
      assert.deepEqual(next, new Array(threads).fill(perThread));
      assert.deepEqual(addon.channel.statuses(), { ok: threads * perThread, queue_full: 0, closing: 0 });
    });
  }

  for (const form of ['untyped', 'typed']) {
    it(`${form}: calls fn with self as this`, async () => {
      const self = { tag: 'me' };
      let got;
      tsc.withSelf(form, self, function (arg) { got = [this, arg]; });
      await until(() => got, 5000, 'the call');
      assert.equal(got[0], self);
      assert.equal(got[1], form);
    });

    it(`${form}: a bounded queue — try_call sees queue_full, call blocks while JS is busy`, async () => {
      const seen = [];
      const r = tsc.bounded(form, (i) => seen.push(i));
      assert.deepEqual(r.tries, ['ok', 'ok', 'queue_full']);
      assert.equal(r.lastCall(), 'pending');
      await until(() => seen.length === 3, 5000, 'the blocked call');
      addon.joinThreads();
      assert.deepEqual(seen, [1, 2, 4]);
      assert.equal(r.lastCall(), 'ok');
    });

    it(`${form}: abort() destroys queued calls unrun and fails their futures`, () => {
      let calls = 0;
      const r = tsc.abortQueued(form, 50, () => { calls++; return 1; });
      assert.equal(calls, 0);
      if (form === 'untyped') assert.deepEqual([r.ran, r.dropped], [0, 50]);
      assert.equal(r.futures.length, 50);
      for (const f of r.futures) assert.equal(f, 'ClosingError:napix: the JavaScript environment is closing');
      assert.equal(r.callAfter, 'closing');
    });

    it(`${form}: call_sync on the JS thread refuses instead of deadlocking`, () => {
      const r = tsc.callSyncOnJsThread(form, () => 1);
      assert.match(r, addon.exceptions ? /^logic_error:.*would deadlock$/ : /^Result:ERR_NAPIX_WOULD_DEADLOCK:/);
    });
  }

  describe('construction checks the function and the receiver', () => {
    const who = (form) => (form.startsWith('typed') ? 'napix::TypedThreadSafeCallback' : 'napix::ThreadSafeCallback');
    // Exceptions on: the constructor throws; off: the TypeError is left pending and the handle is
    // empty and closed, so calls report `closing` (never `ok` for a call that cannot happen).
    const refused = (r, message) => {
      assert.ok(r.error instanceof TypeError, `expected a TypeError, got ${JSON.stringify(r)}`);
      assert.equal(r.error.code, 'ERR_INVALID_ARG_TYPE');
      assert.equal(r.error.message, message);
      if (addon.exceptions) {
        assert.deepEqual(Object.keys(r), ['error']);
      } else {
        assert.equal(r.closed, true);
        assert.equal(r.call, 'closing');
      }
    };
    for (const form of ['fn', 'self', 'typed', 'typed-self']) {
      it(`${form}: a function that is not a function is a TypeError naming what it got`, () => {
        for (const [bad, got] of [[42, 'number'], [undefined, 'undefined'], [null, 'null'], [{}, 'object'],
          ['f', 'string'], [[], 'array'], [Promise.resolve(), 'Promise']]) {
          refused(tsc.make(form, bad, {}), `${who(form)}: fn: expected function, got ${got}`);
        }
      });
    }
    for (const form of ['self', 'typed-self']) {
      it(`${form}: a receiver Node-API cannot hold (null or another primitive) is a TypeError`, () => {
        for (const [bad, got] of [[42, 'number'], [null, 'null'], ['s', 'string'], [true, 'boolean'], [5n, 'bigint']]) {
          refused(tsc.make(form, () => {}, bad), `${who(form)}: self: expected object, function, symbol or undefined, got ${got}`);
        }
      });
      it(`${form}: an object, function, symbol or undefined receiver is this of every call`, async () => {
        const receivers = [{ tag: 1 }, function receiver() {}, Symbol('me'), undefined];
        const seen = [];
        for (const self of receivers) {
          const r = tsc.make(form, function (v) { seen.push([this, v]); }, self);
          assert.deepEqual(r, { closed: false, call: 'ok' });
        }
        await until(() => seen.length === receivers.length, 5000, 'the calls');
        // Each handle has its own queue: their calls may run in any order.
        for (const self of receivers) assert.deepEqual(seen.filter(([t]) => t === self), [[self, 1]], String(self));
      });
    }
  });

  describe('event loop fairness', () => {
    // Node re-dispatches a tsfn called from inside its own callback in the same loop turn (up to
    // 999 times); napix yields through a second one after ~1 ms of batches (200,000 calls take
    // 10-20 ms here, so at most half of them may run before setImmediate even on a 5x faster machine).
    for (const form of ['args', 'closure', 'typed', 'channel']) {
      it(`${form}: a flood of queued calls lets setImmediate and timers run between batches`, async () => {
        const n = 200000;
        let seen = 0;
        let outOfOrder = 0;
        let allSeen;
        const all = new Promise((resolve) => { allSeen = resolve; });
        tsc.flood(form, n, (i) => {
          if (i !== seen) outOfOrder++;
          if (++seen === n) allSeen();
        });
        const atImmediate = await new Promise((resolve) => setImmediate(() => resolve(seen)));
        const atTimer = await new Promise((resolve) => setTimeout(() => resolve(seen), 1));
        await all;
        assert.equal(outOfOrder, 0);
        assert.ok(atImmediate <= n / 2, `${atImmediate} of ${n} calls ran before setImmediate fired`);
        assert.ok(atTimer < n, `the 1 ms timer fired only after all ${n} calls`);
        const c = tsc.counters();
        assert.equal(c.ran, n);
        assert.equal(c.dropped, 0);
      });

      it(`${form}: no call of a batch starts after one calls process.exit() in a Worker`, async () => {
        const worker = new Worker(path.join(__dirname, 'fixtures', 'flood_exit.js'), {
          workerData: { form },
          env: { ...process.env, NAPIX_TEST_VARIANT: addon.variant },
        });
        const code = await new Promise((resolve, reject) => {
          worker.on('exit', resolve);
          worker.on('error', reject);
        });
        assert.equal(code, 0);
        const c = tsc.counters();
        assert.equal(c.ran, 10, 'calls 0..9 started, the tenth exited');
        assert.equal(c.dropped, 90, 'the other 90 were destroyed unrun');
      });
    }
  });

  describe('call_async / call_sync', () => {
    const cases = [
      ['returns a value', (x) => x + 1, 'value:21'],
      ['throws', () => { throw new RangeError('no way'); }, 'JsError:RangeError:no way'],
      ['returns a promise that resolves', async (x) => x * 2, 'value:40'],
      ['returns a promise that rejects', async () => { throw new TypeError('later no'); }, 'JsError:TypeError:later no'],
      ['returns the wrong type', () => 'text', 'JsError:TypeError:expected number, got string'],
      ['returns a thenable', (x) => ({ then(ok) { ok(x + 2); } }), 'value:22'],
    ];
    for (const kind of ['untyped-async-number', 'untyped-sync-number', 'typed-async-number', 'typed-sync-number']) {
      for (const [what, fn, expected] of cases) {
        it(`${kind}: JS ${what}`, async () => {
          assert.equal(await tsc.roundTrip(kind, fn), expected);
        });
      }
    }
    it('R = std::string converts the answer', async () => {
      assert.equal(await tsc.roundTrip('untyped-async-string', (n, s) => `${s}${n}`), 'value:"x20"');
    });
    for (const kind of ['untyped-async-void', 'typed-async-void', 'typed-sync-void']) {
      it(`${kind}: ignores the value, still reports throws and waits for promises`, async () => {
        assert.equal(await tsc.roundTrip(kind, () => 'anything'), 'void');
        assert.equal(await tsc.roundTrip(kind, () => { throw new Error('bad'); }), 'JsError:Error:bad');
        assert.equal(await tsc.roundTrip(kind, () => Promise.reject(new Error('late'))), 'JsError:Error:late');
      });
    }
  });

  describe('the JS thread lingers for the next call after a batch (child processes)', () => {
    for (const form of ['untyped', 'typed']) {
      it(`${form}: call_sync round trips from a thread wake the JS thread once while it lingers; NAPIX_JS_LINGER_US=0 wakes it per call`, async () => {
        // A linger of up to 4 s (at least 0.5 s) sees every next call: one wakeup for 200 calls.
        const long = await runFixture('js_linger.js', [form, '200'], { env: { NAPIX_JS_LINGER_US: '4000000' } });
        assert.equal(long.code, 0, long.stderr);
        const l = JSON.parse(long.stdout);
        assert.deepEqual(l, { sum: 199 * 100, wakes: 1, lingerHits: 199, lingerMisses: 0, lingerSkipped: 0 });
        const off = await runFixture('js_linger.js', [form, '200'], { env: { NAPIX_JS_LINGER_US: '0' } });
        assert.equal(off.code, 0, off.stderr);
        assert.deepEqual(JSON.parse(off.stdout), { sum: 199 * 100, wakes: 200, lingerHits: 0, lingerMisses: 0, lingerSkipped: 0 });
      });
    }
    it('fire-and-forget calls never make the JS thread linger (their batches stay big)', async () => {
      // Only batches that a waited-for call (call_sync, send_sync) reached linger: with a linger
      // of up to 4 s, 20,000 call(i) from a thread show no linger at all.
      const r = await runFixture('js_linger.js', ['fire', '20000'], { env: { NAPIX_JS_LINGER_US: '4000000' } });
      assert.equal(r.code, 0, r.stderr);
      const c = JSON.parse(r.stdout);
      assert.equal(c.sum, 0);
      assert.ok(c.wakes >= 1 && c.wakes <= 20000, `wakes ${c.wakes}`);
      assert.deepEqual([c.lingerHits, c.lingerMisses, c.lingerSkipped], [0, 0, 0]);
    });
    it('lingers that keep missing back off: the JS thread then goes back to the event loop at once', async () => {
      // Calls 20 ms apart, lingers of at most 1 ms: every spin misses. After a miss the next 1, 3,
      // 7, 15, 31 batches end without spinning, so batches 1, 3, 7, 15 and 31 of 40 spin (and
      // miss) and the other 35 skip; every call wakes the JS thread.
      const r = await runFixture('js_linger.js', ['untyped', '40', '20'], { env: { NAPIX_JS_LINGER_US: '1000' } });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { sum: 39 * 20, wakes: 40, lingerHits: 0, lingerMisses: 5, lingerSkipped: 35 });
    });
  });

  describe('async context', () => {
    for (const form of ['untyped', 'typed', 'channel']) {
      it(`${form}: AsyncLocalStorage of the creator is seen in callbacks`, async () => {
        const als = new AsyncLocalStorage();
        const seen = [];
        als.run({ id: form }, () => {
          tsc.callFromThread(form, () => seen.push(als.getStore()), 3);
        });
        await until(() => seen.length === 3, 5000, 'the calls');
        for (const s of seen) assert.deepEqual(s, { id: form });
      });
    }
  });

  describe('process-level behaviour (child processes)', () => {
    it('a call_async whose function returned a promise fails with ClosingError when its Worker exits before the promise\'s reaction runs', async () => {
      // Node finalizes the promise's handlers at teardown; Bun never does (doc/compat.md R7), and
      // napix's cleanup hook ends the wait instead — without it the future would never complete.
      const r = await runFixture('async_then_exit.js');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^ClosingError:/);
    });
    for (const what of ['tsc', 'typed']) {
      it(`${what}: a JS exception in a fire-and-forget call becomes an uncaughtException`, async () => {
        const r = await runFixture('uncaught.js', [what, 'js']);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`uncaught: TypeError: thrown by ${what}`));
      });
    }

    for (const form of ['untyped', 'typed']) {
      it(`${form}: the last copy's destruction lets the process exit and the function be collected`, async () => {
        const r = await runFixture('release.js', [form], { flags: ['--expose-gc'] });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /calls: 5/);
        assert.match(r.stdout, /collected: true/);
      });
    }
  });
});
