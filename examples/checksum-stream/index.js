'use strict';
// CRC-32s of byte streams computed on a native thread, checked against the same CRC in JS: a file
// read by a Readable, the same file as a ReadableStream, an async generator; then a limit that
// cancels the stream early, and the errors.
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Readable } = require('stream');
const { crc32 } = require('./build/Release/addon.node');

// The same CRC in JavaScript: slow but obviously right.
function crc32js(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return ((c ^ 0xffffffff) >>> 0).toString(16).padStart(8, '0');
}

async function main(dir) {
  // Known answer: CRC-32 of "123456789" is cbf43926.
  assert.strictEqual(crc32js(Buffer.from('123456789')), 'cbf43926');
  async function* digits() {
    yield Buffer.from('1234');
    yield new Uint8Array([0x35, 0x36, 0x37, 0x38, 0x39]);  // "56789"
  }
  assert.deepStrictEqual(await crc32(digits()), { crc: 'cbf43926', bytes: 9 });

  // 1. A 3 MiB file, read in 64 KiB chunks by a Readable, and as a ReadableStream.
  const data = Buffer.alloc(3 * (1 << 20) + 777);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  const file = path.join(dir, 'data.bin');
  fs.writeFileSync(file, data);
  const want = crc32js(data);
  const fromReadable = await crc32(fs.createReadStream(file));
  console.log(`crc32(${path.basename(file)}, ${data.length} bytes) = ${fromReadable.crc} (Readable)`);
  assert.deepStrictEqual(fromReadable, { crc: want, bytes: data.length });
  const fromWeb = await crc32(Readable.toWeb(fs.createReadStream(file)));
  assert.deepStrictEqual(fromWeb, { crc: want, bytes: data.length }, 'the same through a ReadableStream');
  console.log(`crc32 of the same file as a ReadableStream = ${fromWeb.crc}`);

  // 2. A limit: the thread cancels the reader after 100,000 bytes, and the Readable is destroyed.
  const early = fs.createReadStream(file);
  const closed = new Promise((resolve) => early.on('close', resolve));
  const first = await crc32(early, { limit: 100_000 });
  assert.deepStrictEqual(first, { crc: crc32js(data.subarray(0, 100_000)), bytes: 100_000 });
  await closed;
  assert.ok(early.destroyed, 'cancel() destroyed the Readable');
  console.log(`the first 100,000 bytes: ${first.crc}; the Readable was destroyed (cancel)`);

  // 3. Errors: a stream that fails rejects with its error; a chunk that is not bytes with a
  // TypeError; something that is not a stream throws at once.
  await assert.rejects(crc32(fs.createReadStream(path.join(dir, 'missing'))), { code: 'ENOENT' });
  async function* words() { yield 'not bytes'; }
  await assert.rejects(crc32(words()), { name: 'TypeError' });
  assert.throws(() => crc32(42), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  console.log('errors: ENOENT rejects, a string chunk is a TypeError, 42 is not a stream');
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'napix-checksum-'));
main(dir)
  .then(() => console.log('ok'))
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => fs.rmSync(dir, { recursive: true, force: true }));
