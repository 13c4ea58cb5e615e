'use strict';
// napix/bytes.h: Bytes filled on a native thread becomes a Buffer over the same memory (the
// external-buffer path, counted by napix's test hook), or a copy where external buffers are not
// allowed (forced through the hook); the garbage collector frees it.
const assert = require('node:assert/strict');
const addon = require('./addon');
const { runFixture } = require('./helpers');

const { bytes } = addon;
const pattern = (i) => (i * 31 + 7) & 0xff;

function checkContent(buffer, size) {
  assert.ok(Buffer.isBuffer(buffer));
  assert.equal(buffer.length, size);
  // Every byte for small buffers; for big ones every 4093rd byte and the last.
  const step = size > (1 << 20) ? 4093 : 1;
  for (let i = 0; i < size; i += step) if (buffer[i] !== pattern(i)) assert.fail(`byte ${i}: ${buffer[i]} !== ${pattern(i)}`);
  if (size > 0) assert.equal(buffer[size - 1], pattern(size - 1));
}

describe(`bytes [${addon.variant}]`, function () {
  this.timeout(60000);
  afterEach(() => {
    bytes.forceCopy(false);
    addon.joinThreads();
  });

  for (const kind of ['bytes', 'uninitialized', 'vector', 'string', 'raw-vector']) {
    it(`${kind}: content and length from a native thread, the same memory (no copy)`, async () => {
      for (const size of [1, 15, 100, 4096]) {
        const before = bytes.hooks();
        const r = await bytes.fromThread(kind, size);
        checkContent(r.buffer, size);
        assert.equal(r.same, true, 'the Buffer is over the memory the thread filled');
        assert.equal(r.leftEmpty, true);
        const after = bytes.hooks();
        assert.equal(after.external, before.external + 1);
        assert.equal(after.copied, before.copied);
      }
    });
  }

  it('64 MiB without a copy: the external-buffer path, over the memory the thread filled', async () => {
    const size = 64 << 20;
    const before = bytes.hooks();
    const r = await bytes.fromThread('bytes', size);
    checkContent(r.buffer, size);
    assert.equal(r.same, true);
    const after = bytes.hooks();
    assert.equal(after.external, before.external + 1);
    assert.equal(after.copied, before.copied);
  });

  it('0 bytes: an empty Buffer (neither path)', async () => {
    for (const kind of ['bytes', 'vector', 'string', 'raw-vector']) {
      const before = bytes.hooks();
      const r = await bytes.fromThread(kind, 0);
      assert.ok(Buffer.isBuffer(r.buffer));
      assert.equal(r.buffer.length, 0);
      const after = bytes.hooks();  // `freed` is left out: earlier specs' buffers are freed by GC at any time
      assert.deepEqual([after.copied, after.external], [before.copied, before.external]);
    }
  });

  for (const kind of ['bytes', 'vector', 'string', 'raw-vector']) {
    it(`${kind}: the copy fallback (napi_no_external_buffers_allowed, forced): same content, a copy, memory freed`, async () => {
      bytes.forceCopy(true);
      const before = bytes.hooks();
      const r = await bytes.fromThread(kind, 1000);
      checkContent(r.buffer, 1000);
      assert.equal(r.same, false, 'a copy');
      assert.equal(r.leftEmpty, true);
      const after = bytes.hooks();
      assert.equal(after.copied, before.copied + 1);
      assert.equal(after.external, before.external);
    });
  }

  for (const kind of ['bytes', 'uninitialized', 'vector', 'string']) {
    it(`${kind}: set_zero_copy(false) copies where external buffers are allowed; the choice travels with moves`, async () => {
      const before = bytes.hooks();
      const r = await bytes.fromThread(kind, 1000, true);
      checkContent(r.buffer, 1000);
      assert.equal(r.zeroCopy, false, 'zero_copy() after the moves');
      assert.equal(r.same, false, 'a copy');
      assert.equal(r.leftEmpty, true, 'its memory freed at once');
      const after = bytes.hooks();
      assert.equal(after.copied, before.copied + 1);
      assert.equal(after.external, before.external);
      const dflt = await bytes.fromThread(kind, 10);
      assert.equal(dflt.zeroCopy, true, 'the default');
    });
  }

  it('the memory of a collected Buffer goes to the next Bytes of its size, warm; Bytes(size) zeroes it, uninitialized() does not', async () => {
    const r = await runFixture('bytes_pool.js', [], { flags: ['--expose-gc'] });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /ok/);
  });

  it('the garbage collector frees the memory of a dropped Buffer (finalizer)', async () => {
    const r = await runFixture('bytes_gc.js', [], { flags: ['--expose-gc'] });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /freed: 5 of 5/);
  });
});

describe(`bytes doc example [${addon.variant}]`, () => {
  it('readFile resolves with the file, read on a native thread, as a Buffer', async () => {
    const fs = require('node:fs');
    const buffer = await addon.bytes.readFile(__filename);
    assert.ok(buffer.equals(fs.readFileSync(__filename)));
  });
});
