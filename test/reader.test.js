'use strict';
// napix::reader<T>: JS async iterables (async generators, Readable, ReadableStream) read on native
// threads. Specs count from JS (next() calls, finally blocks) and through the reader's ledger
// (delivered, read, batches, paused) rather than timing.
const assert = require('node:assert/strict');
const { AsyncLocalStorage } = require('node:async_hooks');
const { Readable } = require('node:stream');
const addon = require('./addon');
const { until, runFixture } = require('./helpers');

const { reader } = addon;

const range = (n) => Array.from({ length: n }, (_, i) => i);

async function* numbers(n) {
  for (let i = 0; i < n; i++) yield i;
}

// An async iterator over `source` that counts next() and return() calls, and a generator's finally.
function counted(n = Infinity) {
  const c = { next: 0, returns: 0, finally: 0 };
  const gen = (async function* () {
    try {
      for (let i = 0; i < n; i++) yield i;
    } finally {
      c.finally++;
    }
  })();
  c.iterable = {
    [Symbol.asyncIterator]() {
      return this;
    },
    next() {
      c.next++;
      return gen.next();
    },
    return(v) {
      c.returns++;
      return gen.return(v);
    },
  };
  return c;
}

describe(`reader: JS async iterables read on native threads [${addon.variant}]`, () => {
  afterEach(() => addon.joinThreads());

  it('an async generator: every value in order, then nullopt, and nullopt again', async () => {
    const r = await reader.read(numbers(1000), { hwm: 4 });
    assert.deepEqual(r.values, range(1000));
    assert.equal(r.error, null);
    assert.equal(r.again, 'nullopt');
  });

  it('an empty generator and a high_water_mark of 1', async () => {
    assert.deepEqual(await reader.read(numbers(0)), { values: [], error: null, again: 'nullopt' });
    const r = await reader.read(numbers(50), { hwm: 1 });
    assert.deepEqual(r.values, range(50));
    assert.equal(r.again, 'nullopt');
  });

  it('a Readable (Readable.from and an objectMode Readable)', async () => {
    const a = await reader.read(Readable.from(range(300)), { hwm: 8 });
    assert.deepEqual(a.values, range(300));
    assert.equal(a.again, 'nullopt');
    let i = 0;
    const pushed = new Readable({
      objectMode: true,
      read() {
        this.push(i < 100 ? i++ : null);
      },
    });
    const b = await reader.read(pushed);
    assert.deepEqual(b.values, range(100));
    assert.equal(b.again, 'nullopt');
  });

  it('a ReadableStream', async () => {
    const rs = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 200; i++) controller.enqueue(i);
        controller.close();
      },
    });
    const r = await reader.read(rs, { hwm: 16 });
    assert.deepEqual(r.values, range(200));
    assert.equal(r.again, 'nullopt');
  });

  it('strings: reader<std::string>', async () => {
    async function* words() {
      yield 'a';
      await null;
      yield 'bé';
      yield '';
    }
    const r = await reader.read(words(), { type: 'string', hwm: 2 });
    assert.deepEqual(r.values, ['a', 'bé', '']);
  });

  it('a rejection: the values before it, then JsError with its name, message and code, then nullopt', async () => {
    async function* failing() {
      yield 1;
      yield 2;
      await null;
      const e = new RangeError('boom');
      e.code = 'E_BOOM';
      throw e;
    }
    const r = await reader.read(failing(), { hwm: 16 });
    assert.deepEqual(r.values, [1, 2]);
    assert.deepEqual(r.error, { name: 'RangeError', message: 'boom', code: 'E_BOOM' });
    assert.equal(r.again, 'nullopt');
  });

  it('a value from_js refuses: the values before it, then a TypeError; the iterator is returned', async () => {
    let finallyRan = 0;
    async function* mixed() {
      try {
        yield 1;
        yield 'two';
        yield 3;
      } finally {
        finallyRan++;
      }
    }
    const r = await reader.read(mixed(), { hwm: 16 });
    assert.deepEqual(r.values, [1]);
    assert.equal(r.error.name, 'TypeError');
    assert.equal(r.again, 'nullopt');
    await until(() => finallyRan === 1, 5000, 'the generator finally');
  });

  it('cancel(): the generator finally runs, later reads give nullopt', async () => {
    const c = counted();
    const r = await reader.read(c.iterable, { hwm: 4, stopAfter: 3, how: 'cancel' });
    assert.deepEqual(r.values, [0, 1, 2]);
    assert.equal(r.again, 'nullopt');
    await until(() => c.finally === 1, 5000, 'the generator finally');
    assert.equal(c.returns, 1);
  });

  it('destroying an unfinished reader cancels it (on its thread, and on the JS thread)', async () => {
    const c = counted();
    const r = await reader.read(c.iterable, { hwm: 4, stopAfter: 2, how: 'drop' });
    assert.deepEqual(r.values, [0, 1]);
    await until(() => c.finally === 1, 5000, 'the generator finally');
    assert.equal(c.returns, 1);

    const d = counted();
    const id = reader.hold(d.iterable, { hwm: 3 });
    await until(() => reader.stats(id).paused, 5000, 'the pump to pause');
    reader.release(id);
    await until(() => d.finally === 1, 5000, 'the generator finally');
    assert.equal(d.returns, 1);
    assert.equal(reader.stats(id).jsReleased, true);
  });

  for (const hwm of [1, 5, 16]) {
    it(`prefetch: nobody reads, the iterator is pulled exactly high_water_mark (${hwm}) times`, async () => {
      const c = counted();
      const id = reader.hold(c.iterable, { hwm });
      await until(() => reader.stats(id).paused, 5000, 'the pump to pause');
      const s = reader.stats(id);
      assert.equal(c.next, hwm);
      assert.equal(s.queued, hwm);
      assert.equal(s.delivered, hwm);
      // Paused means no pull is in flight: turns of the loop later there is still none.
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      assert.equal(c.next, hwm);
      reader.release(id);
      await until(() => c.finally === 1, 5000, 'the generator finally');
    });
  }

  it('values cross in batches: fewer crossings than values, the pump woken by freed credit', async () => {
    const id = reader.hold(numbers(2000), { hwm: 16 });
    reader.readOnThread(id);
    // The pump lets go at the end of the source; the thread may still be reading the last batch.
    await until(() => reader.stats(id).jsReleased && reader.stats(id).read === 2000, 10000, 'the end');
    const s = reader.stats(id);
    assert.equal(s.delivered, 2000);
    assert.equal(s.read, 2000);
    // Each wakeup comes after at least half the mark was read: at most 2000 / 8 of them. A batch
    // goes at half the mark or when the credit runs out: on average more than one value each.
    assert.ok(s.wakes <= 250, `wakes ${s.wakes}`);
    assert.ok(s.batches <= 2000 / 4, `batches ${s.batches}, wakes ${s.wakes}`);
  });

  it('read() takes each delivery out in one go: the lock the JS thread delivers under, once per batch', async () => {
    // Per value, the reading thread held the lock deliver() needs for every read, and the JS
    // thread slept on it; now read() empties the queue at once and serves the rest lock-free.
    for (const hwm of [16, 1024]) {
      const id = reader.hold(numbers(5000), { hwm });
      reader.readOnThread(id);
      await until(() => reader.stats(id).jsReleased && reader.stats(id).read === 5000, 10000, 'the end');
      const s = reader.stats(id);
      assert.equal(s.read, 5000);
      assert.equal(s.queued, 0);
      // Each take empties the queue, which a deliver filled since the last one.
      assert.ok(s.takes >= 1 && s.takes <= s.batches, `hwm ${hwm}: takes ${s.takes}, batches ${s.batches}`);
    }
  });

  it('a slow source is not held back until the mark fills: each value reaches the reader first', async () => {
    let id;
    async function* lockstep() {
      for (let i = 0; i < 5; i++) {
        yield i;
        // The next value only once the reader has this one: without a timely batch, no progress.
        await until(() => reader.stats(id).read === i + 1, 5000, `value ${i} read`);
      }
    }
    id = reader.hold(lockstep(), { hwm: 16 });
    reader.readOnThread(id);
    await until(() => reader.stats(id).jsReleased, 10000, 'the end');
    assert.equal(reader.stats(id).read, 5);
  });

  it('the generator runs in the creator\'s AsyncLocalStorage context', async () => {
    const als = new AsyncLocalStorage();
    async function* stores() {
      for (let i = 0; i < 12; i++) {
        await new Promise((resolve) => setImmediate(resolve));
        yield String(als.getStore());
      }
    }
    const r = await als.run('creator', () => reader.read(stores(), { type: 'string', hwm: 2 }));
    assert.deepEqual(r.values, Array(12).fill('creator'));
  });

  it('read() on the JS thread is refused, never a deadlock', async () => {
    const c = counted();
    const id = reader.hold(c.iterable, { hwm: 2 });
    if (addon.exceptions) {
      assert.throws(() => reader.readHere(id), /would deadlock/);
    } else {
      assert.throws(() => reader.readHere(id), { code: 'ERR_NAPIX_WOULD_DEADLOCK' });
    }
    reader.release(id);
    await until(() => c.finally === 1, 5000, 'the generator finally');
  });

  it('not an async iterable: TypeError ERR_INVALID_ARG_TYPE', () => {
    for (const bad of [42, null, undefined, {}, [1, 2], 'text']) {
      assert.throws(() => reader.read(bad), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    }
    const weird = { [Symbol.asyncIterator]: () => 5 };
    assert.throws(() => reader.read(weird), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('high_water_mark 0: RangeError ERR_OUT_OF_RANGE', () => {
    assert.throws(() => reader.read(numbers(1), { hwm: 0 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
  });

  it('doc/stream.md\'s sumStream example: an async generator and a Readable; a rejection rejects', async () => {
    async function* lines() { yield 1; yield 2; yield 3; }
    assert.equal(await addon.docs.sumStream(lines()), 6);
    assert.equal(await addon.docs.sumStream(Readable.from([4, 5])), 9);
    async function* broken() { yield 1; throw new Error('no more'); }
    await assert.rejects(addon.docs.sumStream(broken()), { message: 'no more' });
    assert.throws(() => addon.docs.sumStream(7), { name: 'TypeError' });
  });

  it('teardown: readers blocked in read() wake with closing when their Worker ends (terminate, process.exit; thread and task) x5', async () => {
    const r = await runFixture('reader_teardown.js', ['workers', '5'], { timeout: 60000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /readers done 20, closing 20, values 40/);
  });

  it('teardown: main-thread process.exit() wakes readers blocked in read() (a thread and a task) with closing; no hang', async () => {
    const r = await runFixture('reader_teardown.js', ['main'], { timeout: 20000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /blocked 2/);
    assert.match(r.stdout, /at exit: readers done 2, closing 2/);
  });
});
