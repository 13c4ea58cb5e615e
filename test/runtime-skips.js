'use strict';
// The specs that do not run on Bun or Deno, by exact name, each with the runtime gap that stops it
// (a section of doc/compat.md, "Bun and Deno"). scripts/mocha.js marks them pending on that runtime
// only and prints each one with its reason; a name that matches no spec fails the run.
//
// `spec` is the spec's full title with the describe's variant tag (` [except]`, ` [noexcept]`) left
// out; `variants` limits an entry to one addon variant (default: both).

// Which runtime runs this process.
const runtime = process.versions.bun ? 'bun' : process.versions.deno ? 'deno' : 'node';

function specName(fullTitle, variant) {
  return fullTitle.split(` [${variant}]`).join('');
}

const R = {
  als: 'doc/compat.md "Bun and Deno" R1: napi_make_callback does not restore the AsyncLocalStorage store of its napi_async_init context',
  hooks: 'doc/compat.md "Bun and Deno" R2: async_hooks.createHook sees no napi_async_init resource',
  atexit: 'doc/compat.md "Bun and Deno" R3: Bun ends the process without running C atexit handlers, where these specs print their ledgers',
  flood: 'doc/compat.md "Bun and Deno" R4: an unref\'ed napi_threadsafe_function that is called without pause keeps Bun\'s event loop alive',
  fair: 'doc/compat.md "Bun and Deno" R5: Bun drains queued napi_threadsafe_function calls before setImmediate, whatever the addon yields to',
  lost: 'doc/compat.md "Bun and Deno" R8: Deno can lose a napi_threadsafe_function call made while that tsfn\'s callback is running (the NAPIX_JS_LINGER_US=0 half hangs now and then)',
  teardown: 'doc/compat.md "Bun and Deno" R6: Deno neither finalizes a Worker\'s napi_threadsafe_functions at terminate()/process.exit() nor the main thread\'s before exit: calls keep returning napi_ok, nothing returns napi_closing',
};
const forms3 = ['closure', 'typed', 'channel'];
const forms4 = ['args', 'closure', 'typed', 'channel'];
const alsSpecs = [
  ...['untyped', 'typed', 'channel'].map((f) => ['threadsafe_callback', `ThreadSafeCallback async context ${f}: AsyncLocalStorage of the creator is seen in callbacks`]),
  ['task', 'task AsyncLocalStorage of the caller is seen in progress and complete'],
  ['task', 'task each of 40 concurrent tasks sees its own creator\'s AsyncLocalStorage'],
  ['stream', 'stream: native writers, JS async iteration values with a user\'s Converter are converted by flushes, in the creator\'s AsyncLocalStorage, never pulled'],
];
const entries = (list, reason) => list.map(([file, spec]) => ({ file, spec, reason }));

const skips = {
  bun: [
    ...entries(alsSpecs, R.als),
    ...entries([['task', 'task a named task is an async resource of that name (its promise); a plain unnamed .promise() task is not']], R.hooks),
    ...entries([
      ['stress', 'stress main thread natural exit (unref\'ed) while 4 producers mix every operation, exact ledgers x5'],
      ['stress', 'stress main thread process.exit() while 4 producers mix every operation: no crash, no hang, nothing counted twice x5'],
    ], R.atexit),
    ...entries(forms3.map((f) => ['teardown', `teardown ${f}: main thread natural exit with producers running (bounded and unbounded) x3`]), `${R.atexit}; ${R.flood}`),
    ...entries(forms4.map((f) => ['threadsafe_callback', `ThreadSafeCallback event loop fairness ${f}: a flood of queued calls lets setImmediate and timers run between batches`]), R.fair),
  ],
  deno: [
    ...entries(alsSpecs, R.als),
    ...entries([
      ['module_pin', 'module pin a native thread outlives its Worker-only addon without crashing (x3)'],
      ['stream', 'stream: native writers, JS async iteration Worker terminate() and process.exit() with blocked writers (x10 each): no crash, no hang, every writer told'],
      ['promise', 'promise to_future a promise that never settles fails the future with ClosingError when its Worker ends'],
      ['stress', 'stress Worker terminate() while 4 producers mix every operation, exact ledgers x5'],
      ['stress', 'stress Worker process.exit() inside a callback while 4 producers mix every operation, exact ledgers x5'],
      ['stress', 'stress main thread natural exit (unref\'ed) while 4 producers mix every operation, exact ledgers x5'],
      ['task', 'task worker.terminate() with 1,000 queued 20 ms tasks on the pool is not delayed by the queue'],
      ['task', 'task worker.terminate() tells running tasks (ctx.cancelled()) and drops the queued ones (×10)'],
      ...forms3.flatMap((f) => [0, 2].flatMap((q) => ['terminate() x3', 'process.exit() x3'].map((m) =>
        ['teardown', `teardown ${f}, ${q ? `bounded (${q}, producers blocked)` : 'unbounded'}: Worker ${m}`]))),
      ...forms3.map((f) => ['teardown', `teardown ${f}: main thread natural exit with producers running (bounded and unbounded) x3`]),
      ...forms4.map((f) => ['threadsafe_callback', `ThreadSafeCallback event loop fairness ${f}: no call of a batch starts after one calls process.exit() in a Worker`]),
      ['threadsafe_callback', 'ThreadSafeCallback process-level behaviour (child processes) a call_async whose function returned a promise fails with ClosingError when its Worker exits before the promise\'s reaction runs'],
    ], R.teardown),
    ...entries(['untyped', 'typed'].map((f) => ['threadsafe_callback', `ThreadSafeCallback the JS thread lingers for the next call after a batch (child processes) ${f}: call_sync round trips from a thread wake the JS thread once while it lingers; NAPIX_JS_LINGER_US=0 wakes it per call`]), R.lost),
  ],
};

function skipsFor(rt, variant) {
  return (skips[rt] || []).filter((s) => !s.variants || s.variants.includes(variant));
}

module.exports = { runtime, specName, skipsFor, skips };
