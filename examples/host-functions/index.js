'use strict';
// A native engine thread asks JavaScript for quantities (sync) and prices (async, like a network
// lookup), and the example checks the total it computes. A failing host function rejects the run.
const assert = require('assert');
const { setTimeout: sleep } = require('timers/promises');
const { runEngine } = require('./build/Release/addon.node');

const stock = { apple: 3, pear: 2, fig: 12, kiwi: 5 };
const prices = { apple: 0.5, pear: 0.75, fig: 0.25, kiwi: 1.25 };

function hosts(calls) {
  return {
    quantity(item) {
      calls.push(`quantity(${item})`);
      if (!(item in stock)) throw new RangeError(`no such item: ${item}`);
      return stock[item];
    },
    async price(item) {
      calls.push(`price(${item})`);
      await sleep(5);  // the engine thread keeps waiting; the JS thread is free meanwhile
      return prices[item];
    },
    log(item, qty, each) {
      calls.push(`log(${item})`);
      console.log(`  engine: ${qty} x ${item} at ${each}`);
    },
  };
}

async function main() {
  const items = ['apple', 'pear', 'fig', 'kiwi'];
  const calls = [];
  // The JS thread stays responsive while the engine waits for answers.
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 1);
  const total = await runEngine(items, hosts(calls));
  clearInterval(ticker);
  const expected = items.reduce((sum, item) => sum + stock[item] * prices[item], 0);
  console.log(`engine total: ${total} (expected ${expected}); the JS thread ticked ${ticks} times meanwhile`);
  assert.strictEqual(total, expected);
  // Questions go one at a time: each answer arrives before the next question is asked.
  const questions = calls.filter((c) => !c.startsWith('log'));
  assert.deepStrictEqual(questions, items.flatMap((i) => [`quantity(${i})`, `price(${i})`]));
  // log() is another queue, so its calls interleave freely with the questions; but they keep
  // their own order, and all of them ran before the promise settled (same queue as the result).
  assert.deepStrictEqual(calls.filter((c) => c.startsWith('log')), items.map((i) => `log(${i})`));
  assert.ok(ticks > 0, 'the JS thread was not blocked');

  // A host function that throws: the engine stops at that item and the promise rejects with it.
  const failing = [];
  await assert.rejects(runEngine(['apple', 'unicorn', 'fig'], hosts(failing)), (err) => {
    console.log(`engine with an unknown item: rejected with ${err.name}: ${err.message}`);
    return err.name === 'RangeError' && err.message === 'no such item: unicorn';
  });
  assert.deepStrictEqual(failing.filter((c) => !c.startsWith('log')), ['quantity(apple)', 'price(apple)', 'quantity(unicorn)']);

  // An async host that rejects, and one that answers with the wrong type.
  await assert.rejects(runEngine(['apple'], { ...hosts([]), price: async () => { throw new Error('offline'); } }),
    { message: 'offline' });
  await assert.rejects(runEngine(['apple'], { ...hosts([]), price: async () => 'cheap' }), { name: 'TypeError' });
  console.log('ok: engine results and host errors checked');
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
