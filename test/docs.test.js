'use strict';
// The docs' C++ must compile: every ```cpp block in README.md and doc/*.md has to appear verbatim
// (ignoring indentation) in a C++ source that `npm test` builds. Two fence tags exempt a block:
// `cpp planned` (API that does not exist yet) and `cpp node-addon-api` (the other library's code,
// shown beside napix's in doc/migration.md). Any other tag after `cpp` fails the page, so a typo
// cannot quietly exempt a block from being compiled.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const addon = require('./addon');
const { until } = require('./helpers');

const root = path.join(__dirname, '..');

const exemptTags = ['planned', 'node-addon-api'];

// The page's compiled blocks, and the tags of any ```cpp fences it exempts by an unknown tag.
function cppBlocks(file) {
  const text = fs.readFileSync(file, 'utf8');
  const blocks = [];
  const unknownTags = [];
  const re = /^```cpp([^\n]*)\n([\s\S]*?)^```/gm;
  let m;
  while ((m = re.exec(text))) {
    const tag = m[1].trim();
    if (!tag) blocks.push(m[2]);
    else if (!exemptTags.includes(tag)) unknownTags.push(tag);
  }
  return { blocks, unknownTags };
}

function compiledSources() {
  const out = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) { if (!['node_modules', 'build'].includes(e.name)) walk(p); } else if (/\.(cc|cpp|h)$/.test(e.name)) out.push(p);
    }
  };
  walk(path.join(root, 'test'));
  if (fs.existsSync(path.join(root, 'examples'))) walk(path.join(root, 'examples'));
  return out.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
}

// Indentation and #include lines do not count: a real file has its includes at the top.
const normalize = (s) => s.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#include')).join('\n');

describe(`docs [${addon.variant}]`, () => {
  const sources = normalize(compiledSources());
  const pages = ['README.md', ...fs.readdirSync(path.join(root, 'doc')).filter((f) => f.endsWith('.md')).map((f) => `doc/${f}`)];
  for (const page of pages) {
    const { blocks, unknownTags } = cppBlocks(path.join(root, page));
    if (!blocks.length && !unknownTags.length) continue;
    it(`${page}: all ${blocks.length} C++ blocks are compiled`, () => {
      assert.deepEqual(unknownTags, [], `${page}: unknown fence tags (use \`cpp\`, or one of ${exemptTags.join(', ')})`);
      for (const b of blocks) {
        assert.ok(sources.includes(normalize(b)), `${page}: this block is not in any compiled source:\n${b}`);
      }
    });
  }

  it('the doc/function.md examples behave as they say', () => {
    const m = addon.docs.module;
    assert.equal(m.safeDivide(1, 4), 0.25);
    assert.throws(() => m.safeDivide(1, 0), { name: 'RangeError', message: 'division by zero', code: 'ERR_DIVISION_BY_ZERO' });
    assert.equal(m.version, '1.0.0');
    assert.equal(m.math.add(2, 3), 5);
    assert.deepEqual(addon.docs.unitSquare(), { width: 1, height: 1 });
    const dts = require('../bin/napix-dts.js').declarations(m);
    assert.ok(dts.includes('export declare function safeDivide(arg1: number, arg2: number): number;'), dts);
    assert.ok(dts.includes('export declare const version: string;'), dts);
    assert.ok(dts.includes('export declare const math: {\n  add(arg1: number, arg2: number): number;\n};'), dts);
    assert.ok(require('../bin/napix-dts.js').declarations(addon.docs).includes('unitSquare(): { width: number; height: number };'));
  });

  it('the README and doc/error.md examples behave as they say', () => {
    if (addon.exceptions) {
      assert.equal(addon.docs.sum([1, 2, 3]), 6);
      assert.throws(() => addon.docs.sum(['x']), { name: 'TypeError', message: 'expected number at [0], got string' });
    }
    assert.equal(addon.docs.portOrThrow('8080'), 8080);
    assert.throws(() => addon.docs.portOrThrow('70000'), { name: 'RangeError', message: 'port out of range: 70000', code: 'ERR_OUT_OF_RANGE' });
  });

  it('the Channel and ThreadSafeCallback examples behave as they say', async () => {
    const ticks = [];
    addon.docs.startCounting((i) => ticks.push(i));
    const events = [];
    addon.docs.watch((...args) => events.push(args));
    const numbers = [];
    addon.docs.streamNumbers((i) => numbers.push(i));
    globalThis.answer = 42;
    assert.equal(await addon.docs.readAnswer(), 42);
    delete globalThis.answer;
    assert.equal(await addon.docs.askJs(async (q) => q / 2, 9), 4.5);
    await until(() => ticks.length === 3 && events.length === 2 && numbers.length === 1000, 5000, 'the examples');
    assert.deepEqual(ticks, [1, 2, 3]);
    assert.deepEqual(events, [['started', 1], ['done']]);
    assert.deepEqual(numbers, Array.from({ length: 1000 }, (_, i) => i));
  });

  it('the promise examples behave as they say', async () => {
    assert.equal(await addon.docs.compute(100), 5050);
    assert.equal(await addon.docs.maybeLater(true), 'now');
    await assert.rejects(addon.docs.maybeLater(false), { code: 'ERR_NAPIX_DEFERRED_DROPPED' });
  });

  // doc/getting-started.md, doc/migration.md and doc/threading.md (test/doc_guides.cc).
  const guides = addon.guides;

  it('the getting-started addon behaves as the page says', async () => {
    if (addon.exceptions) {
      assert.deepEqual(guides.greet('Ada', 2), ['Hello, Ada!', 'Hello, Ada!']);
      assert.throws(() => guides.greet(42, 2), { name: 'TypeError', message: 'expected string, got number' });
      assert.throws(() => guides.greet('Ada', -1), { name: 'RangeError' });
    }
    const ticks = [];
    guides.tick(3, (i) => ticks.push(i));
    assert.equal(await guides.slowSqrt(16), 4);
    await assert.rejects(guides.slowSqrt(-1), { name: 'RangeError', message: 'x must not be negative' });
    assert.equal(await guides.countPrimes(100000), 9592);
    await until(() => ticks.length === 3, 5000, 'the ticks');
    assert.deepEqual(ticks, [1, 2, 3]);
  });

  describe('the migration examples behave as the page says', () => {
    it('ThreadSafeFunction → ThreadSafeCallback, TypedThreadSafeFunction → TypedThreadSafeCallback', async () => {
      const ticks = [];
      guides.startTicker(3, (i) => ticks.push(i));
      const readings = [];
      guides.watchSensors((...args) => readings.push(args));
      await until(() => ticks.length === 3 && readings.length === 100, 5000, 'the calls');
      assert.deepEqual(ticks, [1, 2, 3]);
      assert.deepEqual(readings, Array.from({ length: 100 }, (_, i) => ['temperature', 20 + i / 10]));
    });

    it('AsyncWorker → task().promise() and and_then', async () => {
      assert.equal(await guides.smallestFactor(91), 7);
      assert.equal(await guides.smallestFactor(97), 97);
      await assert.rejects(guides.smallestFactor(1), { name: 'RangeError', message: 'n must be at least 2', code: 'ERR_OUT_OF_RANGE' });
      const calls = [];
      guides.smallestFactorCb(91, (...args) => calls.push(args));
      guides.smallestFactorCb(1, (...args) => calls.push(args));
      await until(() => calls.length === 2, 5000, 'the callbacks');
      const ok = calls.find((c) => c.length === 2);
      const failed = calls.find((c) => c.length === 1);
      assert.deepEqual(ok, [null, 7]);
      assert.ok(failed[0] instanceof RangeError && failed[0].message === 'n must be at least 2', String(failed[0]));
    });

    it('AsyncProgressQueueWorker → progress: every value, in order, before the result', async () => {
      const seen = [];
      const n = await guides.scan(1000, (v) => seen.push(v)).then((v) => {
        assert.equal(seen.length, 10, 'all progress values before the promise settled');
        return v;
      });
      assert.equal(n, 1000);
      assert.deepEqual(seen, [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    });

    it('Promise::Deferred → promise(); settling from a thread; a dropped Deferred rejects', async () => {
      assert.equal(await guides.textLength('hello'), 5);
      await assert.rejects(guides.textLength(''), { name: 'TypeError', message: 'empty text', code: 'ERR_INVALID_ARG_TYPE' });
      assert.equal(await guides.readSensor(1), 21);
      await assert.rejects(guides.readSensor(-1), { code: 'ERR_NAPIX_DEFERRED_DROPPED' });
    });

    it('Cancel() → AbortSignal and TaskHandle::cancel', async () => {
      await assert.rejects(guides.crunchUntil(AbortSignal.abort()), { name: 'AbortError' });
      const controller = new AbortController();
      const running = guides.crunchUntil(controller.signal);
      setTimeout(() => controller.abort(new Error('enough')), 20);
      await assert.rejects(running, { message: 'enough' });
      const { promise, cancel } = guides.startCrunch();
      setTimeout(cancel, 20);
      await assert.rejects(promise, { name: 'AbortError', message: 'The operation was aborted', code: 'ABORT_ERR' });
      const queued = guides.startCrunch();
      queued.cancel();
      await assert.rejects(queued.promise, { name: 'AbortError', code: 'ABORT_ERR' });
    });
  });

  it('the threading examples behave as the page says', async () => {
    const values = [];
    const n = await guides.report(1000, (v) => values.push(v)).then((v) => {
      assert.equal(values.length, 1000, 'every call ran before the promise settled');
      return v;
    });
    assert.equal(n, 1000);
    assert.deepEqual(values, Array.from({ length: 1000 }, (_, i) => i));
    const log = [];
    guides.twoInOneBatch((x) => {
      log.push(x);
      Promise.resolve().then(() => log.push(`after ${x}`));
    });
    await until(() => log.length === 4, 5000, 'the batch');
    assert.deepEqual(log, ['a', 'b', 'after a', 'after b']);
  });
});
