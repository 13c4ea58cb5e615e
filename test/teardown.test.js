'use strict';
// Teardown while producers call continuously: Worker terminate(), a Worker's process.exit(), and
// the main thread's natural exit and process.exit(). Every producer must return `closing`
// promptly and every accepted call must either run or be destroyed unrun — exactly once.
// NAPIX_STRESS_REPEAT sets the repetitions (npm test: 3; npm run test:stress: 50).
const assert = require('node:assert/strict');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const addon = require('./addon');
const { until, runFixture } = require('./helpers');

const repeat = Number(process.env.NAPIX_STRESS_REPEAT || 3);
const threads = 4;
const forms = ['closure', 'typed', 'channel'];
const queues = [0, 2];

// Every attempted call ran exactly once or was destroyed unrun exactly once (a refused call's
// closure is destroyed by the caller, an accepted one that never ran by napix).
function accounted(c) {
  return c.producersDone === threads && c.attempted === c.accepted + c.refused && c.attempted === c.ran + c.dropped;
}

async function workerCycle(form, maxQueue, mode) {
  addon.tsc.resetCounters();
  const worker = new Worker(path.join(__dirname, 'fixtures', 'teardown_worker.js'), {
    workerData: { form, threads, maxQueue, mode },
    env: { ...process.env, NAPIX_TEST_VARIANT: addon.variant },
  });
  const exited = new Promise((resolve, reject) => {
    worker.on('exit', resolve);
    worker.on('error', reject);
  });
  if (mode === 'terminate') {
    await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
  }
  await exited;
  let c;
  await until(() => accounted((c = addon.tsc.counters())), 10000,
    `every producer to see closing and every call to be accounted for (${JSON.stringify(addon.tsc.counters())})`);
  assert.ok(c.accepted > 0, 'some calls were accepted');
  assert.ok(c.refused >= threads, 'each producer saw closing');
  return c;
}

describe(`teardown [${addon.variant}]`, function () {
  this.timeout(120000);

  for (const form of forms) {
    for (const maxQueue of queues) {
      for (const mode of ['terminate', 'exit']) {
        it(`${form}, ${maxQueue ? `bounded (${maxQueue}, producers blocked)` : 'unbounded'}: Worker ${mode === 'exit' ? 'process.exit()' : 'terminate()'} x${repeat}`, async () => {
          for (let i = 0; i < repeat; i++) await workerCycle(form, maxQueue, mode);
        });
      }
    }
  }

  for (const form of forms) {
    it(`${form}: main thread natural exit with producers running (bounded and unbounded) x${repeat}`, async () => {
      for (let i = 0; i < repeat; i++) {
        for (const maxQueue of queues) {
          const r = await runFixture('teardown_main.js', [form, String(threads), String(maxQueue), 'natural']);
          assert.equal(r.code, 0, r.stderr);
          const m = /counters: (\{.*\})/.exec(r.stdout);
          assert.ok(m, `no counters printed: ${r.stdout} ${r.stderr}`);
          const c = JSON.parse(m[1]);
          assert.ok(accounted(c), JSON.stringify(c));
        }
      }
    });

    it(`${form}: main thread process.exit() with producers running does not crash or hang x${repeat}`, async () => {
      for (let i = 0; i < repeat; i++) {
        for (const maxQueue of queues) {
          const r = await runFixture('teardown_main.js', [form, String(threads), String(maxQueue), 'exit']);
          assert.equal(r.signal, null, r.stderr);
          assert.equal(r.code, 0, r.stderr);
        }
      }
    });
  }
});
