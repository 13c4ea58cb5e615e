'use strict';
// Hashes files on the libuv threadpool and checks the results against a JS FNV-1a; then shows an
// AbortSignal cancelling big hashes, and that cancelled hashes free their pool threads at once.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { hashFile } = require('./build/Release/addon.node');

// The same hash in JavaScript, with BigInt: slow but obviously right.
function fnv1a64(bytes) {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}

const ms = (since) => Number(process.hrtime.bigint() - since) / 1e6;

async function main(dir) {
  // Known answers first: FNV-1a 64 of "" and of "a".
  assert.strictEqual(fnv1a64(Buffer.from('a')), 'af63dc4c8601ec8c');
  fs.writeFileSync(path.join(dir, 'empty'), '');
  assert.strictEqual(await hashFile(path.join(dir, 'empty')), 'cbf29ce484222325');

  // 1. A file that spans two 1 MiB chunks, hashed natively with progress, checked against JS.
  const data = Buffer.alloc((1 << 20) + 12345);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  const small = path.join(dir, 'small.bin');
  fs.writeFileSync(small, data);
  const progress = [];
  const digest = await hashFile(small, { onProgress: (bytes) => progress.push(bytes) });
  console.log(`fnv1a64(${path.basename(small)}, ${data.length} bytes) = ${digest}; progress: ${progress.join(', ')}`);
  assert.strictEqual(digest, fnv1a64(data), 'native hash equals the JS hash');
  assert.deepStrictEqual(progress, [1 << 20, data.length], 'progress after each chunk, before the result');

  // 2. Errors are rejections with a code, not crashes.
  await assert.rejects(hashFile(path.join(dir, 'missing')), { code: 'ENOENT' });
  // Arguments are checked on the JS thread; an async function reports a wrong one by rejecting.
  await assert.rejects(hashFile(42), { name: 'TypeError', message: 'argument 1: expected string, got number' });
  await assert.rejects(hashFile(small, { signal: 'soon' }),
    { name: 'TypeError', message: 'argument 2: expected AbortSignal at signal, got string' });

  // 3. Cancelling. A 512 MiB sparse file (no disk space used) takes a while to hash.
  const big = path.join(dir, 'big.bin');
  fs.closeSync(fs.openSync(big, 'w'));
  fs.truncateSync(big, 512 << 20);

  // AbortController.abort() rejects with an AbortError ...
  const controller = new AbortController();
  const aborted = hashFile(big, { signal: controller.signal });
  setTimeout(() => controller.abort(), 20);
  await assert.rejects(aborted, { name: 'AbortError' });
  console.log('AbortController.abort(): rejected with AbortError');

  // ... AbortSignal.timeout() with its reason, a TimeoutError (a DOMException, like fetch's).
  // Four at once fill the default pool of four threads; each stops at its next 1 MiB chunk.
  let started = process.hrtime.bigint();
  const timedOut = await Promise.allSettled(
    [1, 2, 3, 4].map(() => hashFile(big, { signal: AbortSignal.timeout(30) })));
  for (const r of timedOut) {
    assert.strictEqual(r.status, 'rejected');
    assert.strictEqual(r.reason.name, 'TimeoutError');
  }
  console.log(`AbortSignal.timeout(30) x4: all rejected with TimeoutError after ${ms(started).toFixed(0)} ms`);

  // Had the cancelled tasks kept hashing, this would wait for a pool thread for seconds.
  started = process.hrtime.bigint();
  assert.strictEqual(await hashFile(small), digest);
  const wait = ms(started);
  console.log(`next hash right after the cancellations: ${wait.toFixed(0)} ms`);
  assert.ok(wait < 500, `cancelled tasks stopped and freed the pool (waited ${wait.toFixed(0)} ms)`);

  // An already aborted signal: rejected at once, the task never runs.
  await assert.rejects(hashFile(big, { signal: AbortSignal.abort() }), { name: 'AbortError' });
  console.log('ok: hashes, errors and cancellation checked');
}

let finished = false;
process.on('exit', (code) => {
  if (!finished && code === 0) {
    console.error('FAIL: exited before the example finished');
    process.exitCode = 1;
  }
});
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'napix-hash-'));
main(dir).then(
  () => { finished = true; },
  (err) => { finished = true; console.error('FAIL:', err); process.exitCode = 1; },
).finally(() => fs.rmSync(dir, { recursive: true, force: true }));
