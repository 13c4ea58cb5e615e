'use strict';
// The docs' C++ must compile: every ```cpp block in README.md and doc/*.md has to appear verbatim
// (ignoring indentation) in a C++ source that `npm test` builds. Blocks fenced `cpp planned`
// describe API that does not exist yet and are skipped.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const addon = require('./addon');
const { until } = require('./helpers');

const root = path.join(__dirname, '..');

function cppBlocks(file) {
  const text = fs.readFileSync(file, 'utf8');
  const blocks = [];
  const re = /^```cpp[ \t]*\n([\s\S]*?)^```/gm;
  let m;
  while ((m = re.exec(text))) blocks.push(m[1]);
  return blocks;
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
    const blocks = cppBlocks(path.join(root, page));
    if (!blocks.length) continue;
    it(`${page}: all ${blocks.length} C++ blocks are compiled`, () => {
      for (const b of blocks) {
        assert.ok(sources.includes(normalize(b)), `${page}: this block is not in any compiled source:\n${b}`);
      }
    });
  }

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
});
