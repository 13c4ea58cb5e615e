'use strict';
// Reads native events with for-await: checks their order, that a slow consumer holds the
// producer back (at most `window` events ahead), and that `break` stops the producer thread.
const assert = require('assert');
const { setTimeout: sleep } = require('timers/promises');
const addon = require('./build/Release/addon.node');

// Resolves once `done()` is true (the producer thread has returned); fails after 5 s.
async function until(done, what) {
  for (const start = Date.now(); !done(); await sleep(1)) {
    if (Date.now() - start > 5000) throw new Error(`timed out waiting for ${what}`);
  }
}

async function main() {
  // 1. The whole stream, in order.
  const all = addon.events(10_000, { window: 64 });
  let expected = 0;
  for await (const ev of all.events) {
    assert.strictEqual(ev.seq, expected, 'events arrive in order');
    assert.strictEqual(ev.value, Math.sqrt(ev.seq));
    expected++;
  }
  console.log(`read all ${expected} events in order (producer sent ${all.produced()})`);
  assert.strictEqual(expected, 10_000);

  // 2. A slow consumer and an early break.
  const window = 4;
  const stream = addon.events(1_000_000, { window });
  let taken = 0;
  let maxAhead = 0;
  for await (const ev of stream.events) {
    assert.strictEqual(ev.seq, taken, 'events arrive in order');
    taken++;
    await sleep(1);  // a slow consumer: the producer must wait for it
    maxAhead = Math.max(maxAhead, stream.produced() - taken);
    if (taken === 50) break;  // return(): the producer's next write() gives `closing`
  }
  await until(() => stream.stopped(), 'the producer to stop after break');
  const atBreak = stream.produced();
  console.log(`slow consumer took ${taken}; producer was at most ${maxAhead} events ahead (window ${window})`);
  console.log(`after break: the producer stopped, having produced ${atBreak}`);
  assert.ok(maxAhead <= window, `back-pressure: at most ${window} events ahead, saw ${maxAhead}`);
  assert.ok(atBreak <= taken + window, 'the producer stopped within one window of the break');

  // 3. A throw inside the loop stops the producer too.
  const failing = addon.events(1_000_000, { window });
  await assert.rejects(async () => {
    for await (const ev of failing.events) if (ev.seq === 10) throw new Error('consumer failed');
  }, { message: 'consumer failed' });
  await until(() => failing.stopped(), 'the producer to stop after a throw');
  assert.ok(failing.produced() <= 11 + window, 'a throw stops the producer within one window as well');

  // Bad arguments are JS errors, not crashes.
  assert.throws(() => addon.events(-1), RangeError);
  assert.throws(() => addon.events(5, { window: 'x' }), TypeError);
  assert.throws(() => addon.events(5, { window: 0 }), RangeError);
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
