'use strict';
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const addon = require('./addon');
const evalScript = require('node:path').join(__dirname, 'fixtures', 'eval.js'); // `-e` on every runtime

const { error } = addon;

describe(`error.h [${addon.variant}]`, () => {
  it('names every Status', () => {
    assert.deepEqual(error.statusNames(), ['ok', 'queue_full', 'closing']);
  });

  describe('to_js_error / throw_js', () => {
    for (const [name, Ctor] of [['TypeError', TypeError], ['RangeError', RangeError], ['Error', Error]]) {
      it(`makes a real ${name} with its code`, () => {
        const e = error.makeError(name, 'bad thing', 'ERR_BAD');
        assert.ok(e instanceof Ctor);
        assert.equal(e.constructor, Ctor);
        assert.equal(e.name, name);
        assert.equal(e.message, 'bad thing');
        assert.equal(e.code, 'ERR_BAD');
      });
    }

    it('keeps a custom name on an Error and leaves code unset when empty', () => {
      const e = error.makeError('AbortError', 'stopped');
      assert.ok(e instanceof Error);
      assert.equal(e.name, 'AbortError');
      assert.equal(e.message, 'stopped');
      assert.equal('code' in e, false);
      assert.match(String(e), /^AbortError: stopped$/);
    });

    it('carries UTF-8 messages exactly (NUL, astral)', () => {
      const msg = 'a\u0000b 😀 é';
      assert.equal(error.makeError('Error', msg).message, msg);
    });

    it('throws through throw_js in both modes', () => {
      assert.throws(() => error.throwError('RangeError', 'too big', 'ERR_OUT_OF_RANGE'), (e) => {
        assert.ok(e instanceof RangeError);
        assert.equal(e.message, 'too big');
        assert.equal(e.code, 'ERR_OUT_OF_RANGE');
        return true;
      });
    });

    it('lets the first pending error win', () => {
      assert.throws(() => error.throwTwice(), { message: 'first' });
    });
  });

  describe('JsError::from_value', () => {
    it('copies name, message, stack and code of an Error', () => {
      const r = error.captureJsError(() => {
        const e = new TypeError('wrong kind');
        e.code = 'ERR_KIND';
        throw e;
      });
      assert.equal(r.threw, true);
      assert.equal(r.name, 'TypeError');
      assert.equal(r.message, 'wrong kind');
      assert.equal(r.code, 'ERR_KIND');
      assert.match(r.stack, /^TypeError: wrong kind\n\s+at /);
      assert.equal(r.what, 'TypeError: wrong kind');
      assert.equal(r.plain, 'TypeError|wrong kind|ERR_KIND');
      assert.equal(r.pending, false);
    });

    it('handles thrown non-objects', () => {
      assert.deepEqual(
        [42, 'text', null, undefined, 10n].map((v) => {
          const r = error.captureJsError(() => { throw v; });
          return [r.name, r.message, r.stack];
        }),
        [['Error', '42', ''], ['Error', 'text', ''], ['Error', 'null', ''],
          ['Error', 'undefined', ''], ['Error', '10', '']]);
    });

    it('never leaves an exception pending when getters throw', () => {
      const r = error.captureJsError(() => {
        throw {
          get name() { throw new Error('getter'); },
          get message() { throw new Error('getter'); },
          stack: 17,
          code: 5, // not a string: ignored
        };
      });
      assert.equal(r.name, 'Error');
      assert.equal(r.message, '');
      assert.equal(r.stack, '17');
      assert.equal(r.code, '');
      assert.equal(r.pending, false);
    });

    it('handles a thrown Symbol (cannot be coerced to string)', () => {
      const r = error.captureJsError(() => { throw Symbol('s'); });
      assert.equal(r.name, 'Error');
      assert.equal(r.pending, false);
    });

    it('reports no throw', () => {
      assert.equal(error.captureJsError(() => 1).threw, false);
    });
  });

  describe('Result<T>', () => {
    it('carries a value or an error', () => {
      assert.equal(error.resultHalf(8), 4);
      assert.throws(() => error.resultHalf(7), (e) => {
        assert.ok(e instanceof RangeError);
        assert.equal(e.message, 'odd: 7');
        assert.equal(e.code, 'ERR_ODD');
        return true;
      });
    });

    it('supports move-only values, void, and both accessors', () => {
      assert.deepEqual(error.resultShapes(), {
        moveOnly: 42,
        voidOk: true,
        voidBad: true,
        stringValue: true,
        typeErrorCode: 'ERR_INVALID_ARG_TYPE',
        rangeErrorCode: 'ERR_OUT_OF_RANGE',
        errorEquality: true,
        isResult: true,
      });
    });

    if (addon.exceptions) {
      it('value() on an error throws std::logic_error', () => {
        assert.match(error.resultMisuse(), /Result::value\(\) called on a Result holding an error/);
      });
    } else {
      it('value() on an error is a fatal error naming the misuse', () => {
        const r = spawnSync(process.execPath, [evalScript, 'require(process.argv[1]).error.resultMisuse()', addon.file], {
          encoding: 'utf8',
        });
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /FATAL ERROR: napix napix::Result::value\(\) called on a Result holding an error/);
      });
    }
  });

  it('ClosingError says what happened', () => {
    assert.equal(error.closingErrorMessage(), 'napix: the JavaScript environment is closing');
  });
});
