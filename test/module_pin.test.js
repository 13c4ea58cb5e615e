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
