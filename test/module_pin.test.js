'use strict';
// An addon loaded only in a Worker is dlclose'd with the Worker's environment; napix pins it while
// handles exist, so a native thread still holding a ThreadSafeCallback keeps working (its calls
// return `closing`) instead of crashing in unmapped code. The addon is built with -fno-gnu-unique
// so that GCC's unique symbols cannot keep it loaded and hide a missing pin.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const addon = require('./addon');
const { runFixture } = require('./helpers');

describe(`module pin [${addon.variant}]`, () => {
  // Without the pin this crashed (SIGSEGV) in about 2 runs of 3 here: run it 3 times.
  it('a native thread outlives its Worker-only addon without crashing (x3)', async () => {
    for (let i = 0; i < 3; i++) {
      const marker = path.join(os.tmpdir(), `napix-unload-${process.pid}-${Date.now()}-${i}`);
      try {
        const r = await runFixture('unload_worker.js', [marker]);
        assert.equal(r.signal, null, `crashed: ${r.stderr}`);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout.trim(), /^done \d+ 1000$/);
      } finally {
        fs.rmSync(marker, { force: true });
      }
    }
  });

  it('the unload addon really has no GNU-unique symbols (else the test above proves nothing)', function () {
    const file = path.join(__dirname, '..', 'build', 'Release', 'napix_test_unload.node');
    const { execFileSync } = require('node:child_process');
    let out;
    try {
      out = execFileSync('readelf', ['-Ws', file], { encoding: 'utf8' });
    } catch {
      this.skip(); // no binutils
    }
    assert.doesNotMatch(out, /\bUNIQUE\b/);
  });
});

// GCC gives the statics of inline functions and templates' static members STB_GNU_UNIQUE binding
// at default visibility, and the dynamic linker then gives every loaded object ONE copy — also to
// addons that Node loads RTLD_LOCAL. Two addons built with different napix versions would share
// napix's registries and function tables across incompatible layouts. napix marks each of them
// hidden (detail/visibility.h); the test addon is built with default visibility, as node-gyp does.
describe(`two addons in one process [${addon.variant}]`, () => {
  it('the test addon exports no GNU-unique napix symbol', function () {
    const { execFileSync } = require('node:child_process');
    let out;
    try {
      out = execFileSync('readelf', ['-Ws', addon.file], { encoding: 'utf8', maxBuffer: 256 << 20 });
    } catch {
      this.skip(); // no binutils
    }
    const unique = out.split('\n').filter((l) => /\bUNIQUE\b/.test(l) && /N5napix|_ZZN5napix|_ZGVZN5napix|5napix6detail/.test(l));
    assert.deepEqual(unique, []);
  });

  it('two copies of an addon keep separate napix state (a test hook set in one is not seen by the other)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'napix-two-'));
    try {
      const load = (name) => {
        const file = path.join(dir, name);
        fs.copyFileSync(addon.file, file);
        const m = { exports: {} };
        process.dlopen(m, file);
        return m.exports;
      };
      const a = load('a.node');
      const b = load('b.node');
      const before = b.bytes.hooks().copied;
      a.bytes.forceCopy(true);
      try {
        const r = await a.bytes.fromThread('bytes', 64);
        assert.equal(r.buffer.length, 64);
      } finally {
        a.bytes.forceCopy(false);
      }
      assert.equal(a.bytes.hooks().copied, 1);
      assert.equal(b.bytes.hooks().copied, before);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
