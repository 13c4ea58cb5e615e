'use strict';
// Counts the primes below LIMIT on a native thread and draws its progress. Exits non-zero if the
// result is wrong or the progress values were not 0..100 in increasing order.
const assert = require('assert');
const { countPrimes } = require('./build/Release/addon.node');

const LIMIT = Number(process.env.LIMIT) || 3_000_000;

// The same count in JavaScript (a sieve: fast, and an independent way to get the answer).
function countPrimesJs(limit) {
  const composite = new Uint8Array(limit);
  let count = 0;
  for (let n = 2; n < limit; n++) {
    if (composite[n]) continue;
    count++;
    for (let m = n * n; m < limit; m += n) composite[m] = 1;
  }
  return count;
}

// A plain `\r` bar on a terminal; a few lines when stdout is a file or a pipe.
function makeBar(width = 40) {
  if (process.stdout.isTTY) {
    return (percent) => {
      const filled = Math.round((percent / 100) * width);
      process.stdout.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(percent).padStart(3)}%`);
      if (percent === 100) process.stdout.write('\n');
    };
  }
  return (percent) => {
    if (percent % 25 === 0) console.log(`progress: ${percent}%`);
  };
}

async function main() {
  const seen = [];
  const draw = makeBar();
  const started = process.hrtime.bigint();
  const result = await countPrimes(LIMIT, (percent) => {
    seen.push(percent);
    draw(percent);
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(`primes below ${LIMIT}: ${result} (native thread, ${ms.toFixed(0)} ms, ${seen.length} progress calls)`);

  assert.strictEqual(result, countPrimesJs(LIMIT), 'the native count matches the JS sieve');
  assert.ok(seen.length > 0, 'progress was reported');
  for (let i = 1; i < seen.length; i++) {
    assert.ok(seen[i] > seen[i - 1], `progress increases: ${seen[i - 1]} then ${seen[i]}`);
  }
  assert.strictEqual(seen[seen.length - 1], 100, 'the last progress value, before the result, is 100');

  // Wrong arguments are JS errors, not crashes.
  assert.throws(() => countPrimes('many', () => {}), TypeError);
  assert.throws(() => countPrimes(-1, () => {}), RangeError);
  console.log('ok: result and progress checked');
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
