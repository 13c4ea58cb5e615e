'use strict';
// napix::stream<T>: native writer threads, JS reading with for await / Readable.from /
// ReadableStream.from. Every spec checks exact counts through the stream's ledger (written,
// converted, destroyed unconverted) rather than timing.
const assert = require('node:assert/strict');
const { Readable } = require('node:stream');
const addon = require('./addon');
const { until, runFixture } = require('./helpers');

const { stream } = addon;

async function collect(iterable) {
  const out = [];
  for await (const v of iterable) out.push(v);
  return out;
}

// Values of writer w in order: w * 1e6 + 0 .. count - 1.
function expected(writers, count) {
  const byWriter = [];
  for (let w = 0; w < writers; w++) byWriter.push(Array.from({ length: count }, (_, i) => w * 1e6 + i));
  return byWriter;
}

function splitByWriter(values, writers) {
  const byWriter = Array.from({ length: writers }, () => []);
  for (const v of values) byWriter[Math.floor(v / 1e6)].push(v);
  return byWriter;
}

describe(`stream: native writers, JS async iteration [${addon.variant}]`, () => {
  afterEach(() => addon.joinThreads());

  it('one writer: every value in order, then done', async () => {
    const { iterator, id } = stream.numbers({ count: 5000, hwm: 16 });
    const got = await collect(iterator);
    assert.deepEqual(got, expected(1, 5000)[0]);
    const r = stream.results(id);
    assert.equal(r.ok, 5000);
    assert.equal(r.written, 5000);
    assert.equal(r.converted, 5000);
    assert.equal(r.destroyedUnconverted, 0);
    assert.deepEqual(await iterator.next(), { value: undefined, done: true });  // and again
  });

  it('four writers: each writer\'s values in its order, none lost', async () => {
    const { iterator, id } = stream.numbers({ count: 3000, writers: 4, hwm: 8 });
    const got = await collect(iterator);
    assert.equal(got.length, 12000);
    assert.deepEqual(splitByWriter(got, 4), expected(4, 3000));
    assert.equal(stream.results(id).converted, 12000);
  });

  it('Readable.from() and ReadableStream.from() consume it', async () => {
    const a = stream.numbers({ count: 1000, hwm: 4 });
    assert.deepEqual(await Readable.from(a.iterator).toArray(), expected(1, 1000)[0]);
    const b = stream.numbers({ count: 1000, hwm: 4 });
    const reader = ReadableStream.from(b.iterator).getReader();
    const got = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      got.push(value);
    }
    assert.deepEqual(got, expected(1, 1000)[0]);
  });

  it('it is its own async iterator; concurrent next() calls get the values in order', async () => {
    const { iterator } = stream.numbers({ count: 10, hwm: 2 });
    assert.equal(iterator[Symbol.asyncIterator](), iterator);
    const results = await Promise.all(Array.from({ length: 12 }, () => iterator.next()));
    assert.deepEqual(results.map((r) => r.value), [...expected(1, 10)[0], undefined, undefined]);
    assert.deepEqual(results.map((r) => r.done), [...Array(10).fill(false), true, true]);
  });

  it('fail(error): the values written before, then next() rejects with that error', async () => {
    const { iterator } = stream.numbers({ count: 100, hwm: 16, finish: 'fail' });
    const got = [];
    await assert.rejects(async () => { for await (const v of iterator) got.push(v); },
      (e) => e instanceof RangeError && e.message === 'the writer failed' && e.code === 'E_WRITER');
    assert.deepEqual(got, expected(1, 100)[0]);
    assert.deepEqual(await iterator.next(), { value: undefined, done: true });
  });

  it('every writer destroyed without end(): the values, then ERR_NAPIX_STREAM_DROPPED', async () => {
    const { iterator } = stream.numbers({ count: 50, writers: 2, hwm: 16, finish: 'drop' });
    const got = [];
    await assert.rejects(async () => { for await (const v of iterator) got.push(v); },
      (e) => e.code === 'ERR_NAPIX_STREAM_DROPPED' && /StreamWriter/.test(e.message));
    assert.equal(got.length, 100);
  });

  it('back-pressure: a writer never gets more than high_water_mark values ahead of next()', async () => {
    const { iterator, id } = stream.numbers({ count: 400, hwm: 4 });
    const got = [];
    for await (const v of iterator) {
      got.push(v);
      if (got.length % 50 === 0) await new Promise((resolve) => setImmediate(resolve));  // a slow reader
    }
    assert.equal(got.length, 400);
    const r = stream.results(id);
    assert.equal(r.maxUnread, 4);  // reached, never passed
  });

  it('next() on an empty buffer pulls what the writers queued meanwhile: no flush, no wakeup', async () => {
    const { iterator, id } = stream.numbers({ count: 8, hwm: 8 });
    // The JS thread spins, so the flush the first write asked for cannot run before next().
    while (stream.results(id).running !== 0) { /* spin */ }
    const first = iterator.next();  // takes the 8 values inside this call
    let r = stream.results(id);
    assert.deepEqual([r.pulls, r.flushes, r.converted], [1, 0, 8]);
    const got = [(await first).value];
    for await (const v of iterator) got.push(v);
    assert.deepEqual(got, expected(1, 8)[0]);
    await new Promise((resolve) => setImmediate(resolve));
    r = stream.results(id);
    assert.deepEqual([r.pulls, r.flushes], [1, 0]);  // the flush job found nothing left to bring
  });

  it('a writer blocked at the mark gets room once half the values are taken, before the buffer runs empty', async () => {
    const { iterator, id } = stream.numbers({ count: 12, hwm: 8 });
    await until(() => stream.results(id).blocked === 1, 10000, 'the writer to block');
    for (let i = 0; i < 4; i++) assert.deepEqual(await iterator.next(), { value: i, done: false });
    // Four values still sit in the iterator's buffer; the writer wrote its last four meanwhile.
    await until(() => stream.results(id).running === 0, 10000, 'the writer to finish');
    assert.equal(stream.results(id).written, 12);
    assert.equal(stream.results(id).maxUnread, 8);
    assert.deepEqual(await collect(iterator), [4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('a writer that keeps ahead does not starve the event loop: after 1 ms of pulls a batch waits for a turn', async () => {
    const { iterator, id } = stream.numbers({ count: 40, hwm: 4 });
    let taken = 0, immediateAt = -1;
    for await (const v of iterator) {
      assert.equal(v, taken++);
      if (taken === 1) setImmediate(() => { immediateAt = taken; });  // from inside the loop
      const t0 = process.hrtime.bigint();
      while (process.hrtime.bigint() - t0 < 100000n) { /* 0.1 ms of work per value */ }
    }
    assert.equal(taken, 40);
    assert.ok(immediateAt >= 0 && immediateAt < 40, `setImmediate ran after ${immediateAt} of 40 values`);
  });

  it('no flush is asked for while one is outstanding: a write inside the reaction to a flush waits for the turn after it', async () => {
    // Deno can lose a tsfn call made while that tsfn's callback — and the promise reactions it
    // started — runs (doc/compat.md R8); a lost flush would leave the loop waiting for ever.
    const s = stream.jsWriter(4);
    const got = [];
    const loop = (async () => {
      for await (const v of s.iterator) {
        got.push(v);
        if (v === 1) assert.equal(s.write(2), 'ok');  // inside the flush's reaction: held
        if (v === 2) s.end();  // held too
      }
    })();
    await new Promise((resolve) => setImmediate(resolve));  // the loop waits: its pull found nothing
    assert.equal(s.write(1), 'ok');  // outside any flush: asks for one at once
    await loop;
    assert.deepEqual(got, [1, 2]);
    const r = stream.results(s.id);
    assert.deepEqual([r.heldFlushes, r.flushes, r.pulls], [2, 2, 0]);
  });

  it('small marks, writers that spin for room, a loop that yields now and then: every value arrives', async function () {
    // Each batch is a round trip between the threads here, and writers get room inside the
    // loop's reactions to flushes: on Deno a flush asked for then was lost and the loop hung
    // (doc/compat.md R8) before flushes waited for the turn after the one outstanding.
    this.timeout(60000);
    for (let round = 0; round < 6; round++) {
      for (const hwm of [1, 2, 16]) {
        const { iterator, id } = stream.numbers({ count: 5000, hwm, writers: 2 });
        let n = 0;
        for await (const v of iterator) {
          if (++n % 997 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
        }
        assert.equal(n, 10000);
        assert.equal(stream.results(id).written, 10000);
      }
    }
  });

  it('a writer blocked at the mark spins first, backs off while spins miss, then sleeps (exact counts)', async () => {
    // A reader 50 ms per value, mark 1: each of the 15 writes after the first finds the stream
    // full. The writer thread's fresh spin budget (one miss in a row forgiven) spins on the 1st,
    // 2nd, 4th and 8th (each misses: room comes 50 ms later) and skips the rest; every one of
    // them sleeps, and each sleep is ended by exactly one notify from the reader's report.
    const { iterator, id } = stream.numbers({ count: 16, hwm: 1 });
    const pause = () => new Promise((resolve) => setTimeout(resolve, 50));
    await pause();  // the first block too waits 50 ms for room
    let n = 0;
    for await (const v of iterator) {
      assert.equal(v, n++);
      await pause();
    }
    assert.equal(n, 16);
    const r = stream.results(id);
    assert.deepEqual([r.writerSpinsHit, r.writerSpinsMissed, r.writerSpinsSkipped, r.writerSleeps, r.writerWaits, r.writerWakes],
      [0, 4, 11, 15, 15, 15]);
    // And each of the 15 pulls that found nothing but gave the sleeping writer room spun for (or,
    // backing off, skipped waiting for) its next write, rather than leave it to a flush.
    assert.equal(r.pullSpinsHit + r.pullSpinsMissed + r.pullSpinsSkipped, 15);
  });

  it('writers asleep at the mark are notified once per wait, not once per report', async () => {
    // Two writers, mark 16 (a report every 8 values): the loop pauses 2 ms every 100 values, so
    // the writers' spins run out and they sleep; the loop's reports then come every 8 values,
    // faster than a woken thread gets back to its write. Notifying on every report would send
    // more notifications than there were sleeps (each a futex syscall on the JS thread).
    const { iterator, id } = stream.numbers({ count: 2000, writers: 2, hwm: 16 });
    let n = 0;
    for await (const v of iterator) {
      if (++n % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    assert.equal(n, 4000);
    const r = stream.results(id);
    assert.ok(r.writerSleeps > 0 && r.writerWaits >= r.writerSleeps, 'the writers slept');
    assert.ok(r.writerWakes >= 1 && r.writerWakes <= r.writerWaits, `${r.writerWakes} notifications for ${r.writerWaits} waits`);
  });

  it("values with a user's Converter are converted by flushes, in the creator's AsyncLocalStorage, never pulled", async () => {
    const { AsyncLocalStorage } = require('node:async_hooks');
    const als = new AsyncLocalStorage();
    const { iterator, id } = als.run('creator', () => stream.probes(6, (i) => `${i}:${als.getStore()}`));
    while (stream.results(id).running !== 0) { /* spin: all 6 queued before next() */ }
    const got = await als.run('reader', () => collect(iterator));
    assert.deepEqual(got, ['0:creator', '1:creator', '2:creator', '3:creator', '4:creator', '5:creator']);
    assert.equal(stream.results(id).pulls, 0);
  });

  it('try_write: queue_full once high_water_mark values are unread', () => {
    assert.deepEqual(stream.tryWrites(3, 5), ['ok', 'ok', 'ok', 'queue_full', 'queue_full']);
  });

  it('write() on the JS thread never blocks: queue_full when full', async () => {
    const { iterator, statuses } = stream.jsThreadWrites(2, 4);
    assert.deepEqual(statuses, ['ok', 'ok', 'queue_full', 'queue_full']);
    assert.deepEqual(await collect(iterator), [0, 1]);
  });

  it("a user's own Converter for a number type is used (not the Float64Array batch)", async () => {
    assert.deepEqual(await collect(stream.codePoints()), ['a', 'b', '\u{1F600}']);
  });

  it('high_water_mark 0 is a RangeError', () => {
    assert.throws(() => stream.badMark(), (e) => e instanceof RangeError && e.code === 'ERR_OUT_OF_RANGE' &&
      /high_water_mark/.test(e.message));
  });

  for (const how of ['break', 'return', 'throw']) {
    it(`the reader stops (${how}) with writers blocked: all wake with closing, exact ledger`, async () => {
      const { iterator, id } = stream.numbers({ count: -1, writers: 4, hwm: 3, finish: 'none' });
      await until(() => stream.results(id).blocked === 4, 10000, 'four blocked writers');
      let taken = 0;
      if (how === 'break') {
        for await (const v of iterator) { if (++taken === 2) break; assert.equal(typeof v, 'number'); }
      } else {
        await iterator.next();
        await iterator.next();
        taken = 2;
        if (how === 'return') assert.deepEqual(await iterator.return(7), { value: 7, done: true });
        else await assert.rejects(iterator.throw(new Error('stop')), /stop/);
      }
      assert.deepEqual(await iterator.next(), { value: undefined, done: true });
      await until(() => stream.results(id).running === 0, 10000, 'the writers to finish');
      const r = stream.results(id);
      assert.deepEqual(r.last, ['closing', 'closing', 'closing', 'closing']);
      assert.equal(r.closing, 4);
      assert.equal(r.written, r.ok);
      assert.equal(r.written, r.converted + r.destroyedUnconverted);  // nothing lost silently
      assert.ok(r.converted >= taken && r.converted - taken <= 3, `converted ${r.converted}, taken ${taken}`);
    });
  }

  it('a value that fails to convert: the values before it, then its error; writers get closing', async () => {
    const { iterator, id } = stream.picky(100, 3);
    const got = [];
    await assert.rejects(async () => { for await (const v of iterator) got.push(v); },
      (e) => e instanceof TypeError && /picky: 3 refused/.test(e.message));
    assert.deepEqual(got, [0, 1, 2]);
    await until(() => stream.results(id).running === 0, 10000, 'the writer to finish');
    const r = stream.results(id);
    assert.equal(r.last[0], 'closing');
    assert.equal(r.written, r.converted + r.destroyedUnconverted + 1);  // the refused one: destroyed converting
  });

  it('a value that fails to convert mid-batch: the values after it in its batch are counted destroyed unconverted', async () => {
    const { iterator, id } = stream.picky(10, 3, 100);
    // The JS thread stays busy until all 10 are written: they reach JS in one batch.
    while (stream.results(id).running !== 0) { /* spin */ }
    const got = [];
    await assert.rejects(async () => { for await (const v of iterator) got.push(v); }, /picky: 3 refused/);
    assert.deepEqual(got, [0, 1, 2]);
    const r = stream.results(id);
    assert.deepEqual([r.written, r.converted, r.destroyedUnconverted], [10, 3, 6]);
  });

  it('an iterator collected unread stops the stream: blocked writers wake with closing', async function () {
    if (typeof global.gc !== 'function') this.skip();  // needs --expose-gc (npm test passes it)
    let id, held;
    (() => { ({ id, iterator: held } = stream.numbers({ count: -1, writers: 2, hwm: 2, finish: 'none' })); })();
    // Held until both writers are blocked: a collection before that (any scavenge while the
    // threads start) would stop the stream first, and the writers would never block.
    await until(() => stream.results(id).blocked === 2, 10000, 'two blocked writers');
    held = null;
    for (let i = 0; i < 20 && stream.results(id).running > 0; i++) {
      global.gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => stream.results(id).running === 0, 10000, 'the writers to wake');
    assert.deepEqual(stream.results(id).last, ['closing', 'closing']);
  });

  it('a for await waiting for values is never collected: the values written later still arrive', async function () {
    if (typeof global.gc !== 'function') this.skip();
    let id;
    // The iterator is referenced only by this loop: while it waits for the writer, only napix's
    // hold keeps it (and its pending promise) alive through the collections scheduled meanwhile.
    const got = await (async () => {
      const made = stream.numbers({ count: -1, hwm: 1, finish: 'none' });
      id = made.id;
      const out = [];
      for await (const v of made.iterator) {
        out.push(v);
        if (out.length === 200) break;
        if (out.length % 10 === 0) setImmediate(() => global.gc());
      }
      return out;
    })();
    assert.deepEqual(got, expected(1, 200)[0]);
    await until(() => stream.results(id).running === 0, 10000, 'the writer to finish');
    assert.deepEqual(stream.results(id).last, ['closing']);
  });

  it('doc/stream.md\'s countUp example: 0 .. n-1, and break stops its thread', async () => {
    assert.deepEqual(await collect(addon.docs.countUp(5)), [0, 1, 2, 3, 4]);
    const seen = [];
    for await (const i of addon.docs.countUp(1e9)) { seen.push(i); if (i === 20) break; }
    assert.equal(seen.length, 21);
  });

  // x10 in npm test; NAPIX_STRESS_REPEAT=50 (npm run test:stress with NAPIX_TEST_FILES=stream) runs x50.
  const cycles = Math.max(10, Number(process.env.NAPIX_STRESS_REPEAT || 0));
  it('Worker terminate() and process.exit() with blocked writers (x10 each): no crash, no hang, every writer told', async function () {
    this.timeout(cycles * 6000);
    const r = await runFixture('stream_teardown.js', [String(cycles)], { timeout: cycles * 6000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`writers done ${cycles * 8}, refused ${cycles * 8}`));
  });
});
