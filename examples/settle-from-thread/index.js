'use strict';
// Promises settled from native threads, and dropped Deferreds rejecting instead of hanging.
const assert = require('assert');
const { sumOnThread, failOnThread, dropOnThread, dropNow } = require('./build/Release/addon.node');

async function main() {
  // Eight promises, each settled from its own std::thread, in whatever order the threads finish.
  const ns = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000];
  const sums = await Promise.all(ns.map((n) => sumOnThread(n)));
  ns.forEach((n, i) => console.log(`sumOnThread(${n}) = ${sums[i]}`));
  assert.deepStrictEqual(sums, ns.map((n) => (n * (n + 1)) / 2));

  // Rejected from a thread: a real RangeError with Node's code.
  await assert.rejects(failOnThread('too big'), (err) => {
    console.log(`failOnThread: ${err.name}: ${err.message} (code ${err.code})`);
    return err instanceof RangeError && err.message === 'too big' && err.code === 'ERR_OUT_OF_RANGE';
  });

  // Dropped Deferreds: the promise rejects, on a thread or right away.
  for (const [name, make] of [['dropOnThread', dropOnThread], ['dropNow', dropNow]]) {
    await assert.rejects(make(), (err) => {
      console.log(`${name}: ${err.message} (code ${err.code})`);
      return err instanceof Error && err.code === 'ERR_NAPIX_DEFERRED_DROPPED';
    });
  }
  console.log('ok: settled, rejected and dropped promises checked');
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
