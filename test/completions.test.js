'use strict';
// API.md "Small completions": to_js(env, napix::Error), Channel::try_settle_with,
// ThreadSafeCallback::call_error_first.
const assert = require('node:assert/strict');
const addon = require('./addon');

const { completions } = addon;

describe(`completions [${addon.variant}]`, () => {
  afterEach(() => addon.joinThreads());

  describe('to_js(env, napix::Error)', () => {
    it('makes an Error with its name, message and code', () => {
      const e = completions.errorToJs('Error', 'plain', 'ERR_PLAIN');
      assert.ok(e instanceof Error);
      assert.equal(e.name, 'Error');
      assert.equal(e.message, 'plain');
      assert.equal(e.code, 'ERR_PLAIN');
    });
    it('TypeError and RangeError by name; any other name is an Error with that name', () => {
      const t = completions.errorToJs('TypeError', 'bad type', 'ERR_INVALID_ARG_TYPE');
      assert.ok(t instanceof TypeError);
      assert.equal(t.code, 'ERR_INVALID_ARG_TYPE');
      const r = completions.errorToJs('RangeError', 'too far', 'ERR_OUT_OF_RANGE');
      assert.ok(r instanceof RangeError);
      assert.equal(r.message, 'too far');
      const c = completions.errorToJs('DataError', 'bad data', 'ERR_DATA');
      assert.ok(c instanceof Error);
      assert.equal(c.name, 'DataError');
      assert.equal(c.message, 'bad data');
      assert.equal(c.code, 'ERR_DATA');
    });
    it('no code property when the code is empty', () => {
      const e = completions.errorToJs('Error', 'no code', '');
      assert.equal(Object.hasOwn(e, 'code'), false);
    });
  });

  describe('Channel::try_settle_with', () => {
    it('ok: the Deferred is taken and the closure settles the promise', async () => {
      const r = completions.trySettle('ok');
      assert.equal(r.status, 'ok');
      assert.equal(r.held, false);
      assert.equal(await r.promise, 'settled by closure');
    });
    for (const kind of ['queue_full', 'typed_full', 'closing']) {
      it(`${kind}: the Deferred stays with the caller, unsettled`, async () => {
        const r = completions.trySettle(kind);
        assert.equal(r.status, kind === 'typed_full' ? 'queue_full' : kind);
        assert.equal(r.held, true);
        assert.equal(await r.promise, 'kept by caller');
      });
    }
    it('from a native thread: queue_full keeps the Deferred; a retry once drained settles it', async () => {
      const r = completions.trySettleFromThread();
      assert.equal(r.first, 'queue_full');
      assert.equal(r.held, true);
      assert.equal(await r.promise, 2);
    });
  });

  describe('ThreadSafeCallback::call_error_first', () => {
    const call = (kind) => new Promise((resolve) => {
      completions.errorFirst(function (...args) { resolve(args); }, kind);
    });
    it('a value calls fn(null, value)', async () => {
      assert.deepEqual(await call('value'), [null, 42]);
      assert.deepEqual(await call('string'), [null, 'text']);
    });
    it('Result<void> calls fn(null)', async () => {
      assert.deepEqual(await call('void'), [null]);
    });
    it('an error calls fn(error) with its name, message and code (and no second argument)', async () => {
      const args = await call('error');
      assert.equal(args.length, 1);
      assert.ok(args[0] instanceof RangeError);
      assert.equal(args[0].message, 'too big');
      assert.equal(args[0].code, 'ERR_TOO_BIG');
      const [custom, ...rest] = await call('custom');
      assert.equal(rest.length, 0);
      assert.equal(custom.name, 'DataError');
      assert.equal(custom.message, 'bad data');
      assert.equal(custom.code, 'ERR_DATA');
    });
  });
});
