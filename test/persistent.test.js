'use strict';
// napix/persistent.h: Persistent<T> held, copied and dropped on native threads; GC and Worker
// teardown in child processes.
const assert = require('node:assert/strict');
const addon = require('./addon');
const { until, runFixture } = require('./helpers');

const { persistent } = addon;
const gcFlags = ['--expose-gc'];

describe(`persistent [${addon.variant}]`, function () {
  this.timeout(60000);
  afterEach(() => addon.joinThreads());

  it('keeps its value alive while a native thread holds a copy; collected after the last copy is dropped there', async () => {
    const r = await runFixture('persistent_gc.js', [], { flags: gcFlags });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /while held: alive/);
    assert.match(r.stdout, /after drop: collected/);
  });

  it('8 threads x 1,000 copy/drop: every copy counted, the value still held, then released once', async () => {
    const before = persistent.stats().live;
    const value = { v: 1 };
    const r = persistent.copyDrop(value, 8, 1000);
    assert.equal(r.copies, 8000);
    assert.equal(r.same, true);
    // The original was dropped on the JS thread at the end of copyDrop: deleted at once.
    assert.equal(persistent.stats().live, before);
  });

  it('100,000 drops on a native thread: released in one batch (one closure), none left', async () => {
    const before = persistent.stats();
    persistent.dropOnThread(100000);
    // Every release was queued while this thread waited: exactly one flush closure takes them all.
    assert.equal(persistent.stats().live, before.live + 100000);
    await until(() => persistent.stats().live === before.live, 10000, 'the batch to be released');
    assert.equal(persistent.stats().flushes, before.flushes + 1);
  });

  it('value() inside a Channel closure that captured Persistents by value', async () => {
    const value = { here: true };
    const got = await new Promise((resolve) => persistent.valueInClosure(value, resolve));
    assert.equal(got, value);
  });

  it('holds primitives too (below Node-API 10 a reference cannot)', () => {
    for (const v of [42, 'text', true, null, undefined, 10n]) assert.equal(persistent.primitive(v), v);
    const sym = Symbol('s');
    assert.equal(persistent.primitive(sym), sym);
  });

  it('value() off the JS thread, or of an empty Persistent, is a std::logic_error', async function () {
    if (!addon.exceptions) {
      // Exceptions off it is a fatal error: seen from a child process.
      const r = await runFixture('persistent_misuse.js', ['thread']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /napix::Persistent::value\(\) called off its JavaScript thread/);
      return;
    }
    assert.equal(persistent.misuse('thread'), 'napix::Persistent::value() called off its JavaScript thread');
    assert.equal(persistent.misuse('empty'), 'napix::Persistent::value() called on an empty Persistent');
  });

  it('Worker terminate() while native threads hold, copy and drop its Persistents: no crash (x3)', async () => {
    const r = await runFixture('persistent_worker.js', ['3']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /cycles: 3/);
    assert.match(r.stdout, /joined: 4/);
  });
});

describe(`persistent doc example [${addon.variant}]`, () => {
  it('keepFor hands the value back through a Channel closure', async () => {
    const value = { kept: 1 };
    assert.equal(await new Promise((resolve) => addon.persistent.keepFor(value, resolve)), value);
  });
});
