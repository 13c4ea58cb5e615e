'use strict';
// Reads native events with for-await: checks their order, that a slow consumer holds the
// producer back (at most `window` events ahead), and that `break` stops the producer thread.
const assert = require('assert');
const { setTimeout: sleep } = require('timers/promises');
const { EventStream } = require('./stream');

async function main() {
  // 1. The whole stream, in order.
  const all = new EventStream(10_000, { window: 64 });
  let expected = 0;
  for await (const ev of all) {
    assert.strictEqual(ev.seq, expected, 'events arrive in order');
    assert.strictEqual(ev.value, Math.sqrt(ev.seq));
    expected++;
  }
  console.log(`read all ${expected} events in order (producer sent ${all.produced})`);
  assert.strictEqual(expected, 10_000);

  // 2. A slow consumer and an early break.
  const window = 4;
  const stream = new EventStream(1_000_000, { window });
  let taken = 0;
  let maxAhead = 0;
  for await (const ev of stream) {
    assert.strictEqual(ev.seq, taken, 'events arrive in order');
    taken++;
    await sleep(1);  // a slow consumer: the producer must wait for it
    maxAhead = Math.max(maxAhead, stream.produced - taken);
    if (taken === 50) break;  // return() stops and joins the producer thread
  }
  const atBreak = stream.produced;
  await sleep(50);
  const later = stream.produced;
  console.log(`slow consumer took ${taken}; producer was at most ${maxAhead} events ahead (window ${window})`);
  console.log(`after break: produced ${atBreak}, 50 ms later ${later}`);
  assert.ok(maxAhead <= window, `back-pressure: at most ${window} events ahead, saw ${maxAhead}`);
  assert.ok(atBreak <= taken + window, 'the producer stopped within one window of the break');
  assert.strictEqual(later, atBreak, 'after break the producer sends nothing more');

  // 3. A throw inside the loop stops the producer too.
  const failing = new EventStream(1_000_000, { window });
  await assert.rejects(async () => {
    for await (const ev of failing) if (ev.seq === 10) throw new Error('consumer failed');
  }, { message: 'consumer failed' });
  const stopped = failing.produced;
  await sleep(20);
  assert.strictEqual(failing.produced, stopped, 'a throw stops the producer as well');

  // Bad arguments are JS errors from the first next(), not crashes.
  await assert.rejects(async () => { for await (const ev of new EventStream(-1)) void ev; }, RangeError);
  await assert.rejects(async () => { for await (const ev of new EventStream(5, { window: 'x' })) void ev; }, TypeError);
  console.log('ok: order, back-pressure and stop on break checked');
}

// A promise that never settles would let Node exit silently with code 0: guard against that.
let finished = false;
process.on('exit', (code) => {
  if (!finished && code === 0) {
    console.error('FAIL: exited before the example finished');
    process.exitCode = 1;
  }
});
main().then(
  () => { finished = true; },
  (err) => { finished = true; console.error('FAIL:', err); process.exitCode = 1; },
);
