'use strict';
// napix/function.h: napix::function, napix::async_function, napix::Module / NAPIX_MODULE (the test
// addon itself is a NAPIX_MODULE) and the TypeScript declarations napix-dts prints.
const assert = require('node:assert/strict');
const addon = require('./addon');
const { until, runFixture } = require('./helpers');

const fn = addon.fn;

const typeError = (message) => ({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message });
const rangeError = (message) => ({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message });

describe(`function.h [${addon.variant}]`, () => {
  describe('function(): every built-in conversion as parameter and result', () => {
    it('bool and numbers', () => {
      assert.equal(fn.idBool(true), true);
      assert.equal(fn.idBool(false), false);
      assert.equal(fn.idInt8(-128), -128);
      assert.equal(fn.idUint16(65535), 65535);
      assert.equal(fn.idInt32(-2147483648), -2147483648);
      assert.equal(fn.idUint32(4294967295), 4294967295);
      assert.equal(fn.idInt64(-(2 ** 53) + 1), -(2 ** 53) + 1);
      assert.equal(fn.idInt64(-(2n ** 63n)), -(2n ** 63n));
      assert.equal(fn.idUint64(2n ** 64n - 1n), 2n ** 64n - 1n);
      assert.equal(fn.idUint64(7n), 7);
      assert.equal(fn.idFloat(0.5), 0.5);
      assert.equal(fn.idDouble(Math.PI), Math.PI);
      assert.ok(Number.isNaN(fn.idDouble(NaN)));
    });
    it('strings', () => {
      assert.equal(fn.idString('héllo \u{1F600}'), 'héllo \u{1F600}');
      assert.equal(fn.idString(''), '');
      assert.equal(fn.idU16String('a\uD800b'), 'a\uD800b');
      assert.equal(fn.cString(), 'literal');
      assert.equal(fn.cStringPointer(false), 'pointer');
      assert.equal(fn.cStringPointer(true), null);
      assert.equal(fn.stringView(), 'view');
    });
    it('containers, tuples, maps and optionals', () => {
      assert.deepEqual(fn.idVector([1, 2.5, 3]), [1, 2.5, 3]);
      const bytes = fn.idBytes(new Uint8Array([1, 2, 255]));
      assert.ok(bytes instanceof Uint8Array);
      assert.deepEqual([...bytes], [1, 2, 255]);
      assert.deepEqual([...fn.idBytes([4, 5])], [4, 5]);
      assert.deepEqual(fn.idArray([1, 2, 3]), [1, 2, 3]);
      assert.deepEqual(fn.idTuple([1, 'a', true]), [1, 'a', true]);
      assert.deepEqual(fn.idPair(['x', 1.5]), ['x', 1.5]);
      assert.deepEqual(fn.idMap({ a: 1, b: 2 }), { a: 1, b: 2 });
      assert.deepEqual(fn.idUnorderedMap({ k: ['v', 'w'] }), { k: ['v', 'w'] });
      assert.equal(fn.idOptional(5), 5);
      assert.equal(fn.idOptional(null), undefined);
      assert.equal(fn.idOptional(), undefined);
      assert.equal(fn.idMonostate(undefined), undefined);
      assert.equal(fn.idNull(null), null);
    });
    it('Napi::Value and its subclasses pass through (subclasses checked)', () => {
      const o = { a: 1 };
      const f = () => 1;
      assert.equal(fn.idValue(o), o);
      assert.equal(fn.idValue(), undefined);
      assert.equal(fn.idObject(o), o);
      assert.equal(fn.idFunction(f), f);
      assert.throws(() => fn.idObject(1), typeError('argument 1: expected object, got number'));
      assert.throws(() => fn.idFunction({}), typeError('argument 1: expected function, got object'));
    });
    it('user types through their Converter', () => {
      assert.deepEqual(fn.idSize({ width: 2, height: 3 }), { width: 2, height: 3 });
      assert.equal(fn.idOpaque(4), 4);
      assert.equal(fn.area({ width: 2, height: 3 }), 6);
    });
  });

  describe('function(): arguments', () => {
    it('a wrong argument throws TypeError ERR_INVALID_ARG_TYPE naming it from 1', () => {
      assert.throws(() => fn.add(1, 'x'), typeError('argument 2: expected number, got string'));
      assert.throws(() => fn.add({}, 2), typeError('argument 1: expected number, got object'));
      assert.throws(() => fn.idBool(1), typeError('argument 1: expected boolean, got number'));
      assert.throws(() => fn.idString(1n), typeError('argument 1: expected string, got bigint'));
    });
    it('a missing argument is undefined', () => {
      assert.throws(() => fn.add(1), typeError('argument 2: expected number, got undefined'));
      assert.throws(() => fn.add(), typeError('argument 1: expected number, got undefined'));
    });
    it('an out-of-range number is the converter\'s RangeError, named', () => {
      assert.throws(() => fn.add(1, 2 ** 31), rangeError('argument 2: expected integer from -2147483648 to 2147483647, got 2147483648'));
      assert.throws(() => fn.add(1.5, 1), rangeError('argument 1: expected integer from -2147483648 to 2147483647, got 1.5'));
    });
    it('the converter\'s path is inside the message', () => {
      assert.equal(fn.sumSizes([{ width: 1, height: 2 }, { width: 3, height: 4 }]), 14);
      assert.throws(() => fn.sumSizes([{ width: 1, height: 2 }, { width: 'x', height: 4 }]),
        typeError('argument 1: expected number at [1].width, got string'));
      assert.throws(() => fn.idTuple([1, 2, true]), typeError('argument 1: expected string at [1], got number'));
      assert.throws(() => fn.idMap({ a: 'x' }), typeError('argument 1: expected number at a, got string'));
    });
    it('a JS exception thrown while reading an argument propagates unchanged', () => {
      const boom = new Error('getter');
      const sizes = [{ get width() { throw boom; }, height: 1 }];
      assert.throws(() => fn.sumSizes(sizes), (e) => e === boom);
    });
    it('extra arguments are ignored', () => {
      assert.equal(fn.add(1, 2, 3, 'x', {}), 3);
      assert.equal(fn.nothing(1, 2), undefined);
    });
    it('std::optional parameters may be omitted, or be undefined or null', () => {
      assert.equal(fn.greet('ann'), 'hello ann');
      assert.equal(fn.greet('ann', undefined), 'hello ann');
      assert.equal(fn.greet('ann', null), 'hello ann');
      assert.equal(fn.greet('ann', 'hi'), 'hi ann');
      assert.throws(() => fn.greet('ann', 5), typeError('argument 2: expected string, got number'));
      assert.equal(fn.middleOptional(undefined, 2), 1);
      assert.equal(fn.middleOptional(5, 2), 7);
    });
    it('Napi::Env, const Napi::CallbackInfo& and Napi::Value pass through and do not count', () => {
      const self = { name: 'self' };
      const value = { v: 1 };
      assert.deepEqual(fn.passThrough.call(self, value, 7, 'extra'), [3, value, 7, self]);
      assert.throws(() => fn.passThrough(value, 'x'), typeError('argument 2: expected number, got string'));
      assert.equal(fn.envOnly(), globalThis);
    });
    it('free functions, noexcept functions, functors, members through a lambda, mutable lambdas', () => {
      assert.equal(fn.add(2, 3), 5);
      assert.equal(fn.area({ width: 1.5, height: 2 }), 3);
      assert.equal(fn.functor('x'), 'tracked:x');
      assert.equal(fn.member(1), 101);
      const first = fn.mutableCounter();
      assert.equal(fn.mutableCounter(), first + 1);
    });
  });

  describe('function(): results and errors', () => {
    it('void returns undefined', () => {
      assert.equal(fn.nothing(), undefined);
    });
    it('a Result<T> returns its value or throws its error (name, message, code)', () => {
      assert.equal(fn.checked(4), 8);
      assert.throws(() => fn.checked(11), { name: 'RangeError', message: 'too big: 11', code: 'ERR_TOO_BIG' });
      assert.equal(fn.checkedVoid(false), undefined);
      assert.throws(() => fn.checkedVoid(true), (e) => e instanceof Error && e.name === 'CustomError' &&
        e.message === 'it failed' && e.code === 'ERR_CUSTOM');
    });
    it('a JS exception the function leaves pending propagates', () => {
      assert.throws(() => fn.pending('left pending'), { message: 'left pending', code: 'ERR_PENDING' });
    });
    it('C++ exceptions become JS errors', function () {
      if (!addon.exceptions) this.skip();  // no C++ exceptions in this build
      assert.throws(() => fn.throwsCpp('from C++'), (e) => e instanceof Error && e.message === 'from C++');
      assert.throws(() => fn.throwsNapi(), (e) => e instanceof TypeError && e.message === 'napi type error');
      assert.throws(() => fn.throwsJsError(), { name: 'RangeError', message: 'js error', code: 'ERR_JS' });
      assert.throws(() => fn.throwsOther(), { message: 'unknown C++ exception' });
    });
  });

  describe('function(): name and length', () => {
    it('fn.name is the given name; anonymous without one', () => {
      assert.equal(fn.add.name, 'add');
      assert.equal(fn.greet.name, 'greet');
      assert.equal(fn.addLater.name, 'addLater');
      assert.equal(fn.anonymous().name, '');
      assert.equal(fn.anonymous()(), 1);
    });
    it('fn.length counts JS parameters before the trailing optional ones', () => {
      assert.equal(fn.add.length, 2);
      assert.equal(fn.greet.length, 1);
      assert.equal(fn.middleOptional.length, 2);
      assert.equal(fn.idOptional.length, 0);
      assert.equal(fn.passThrough.length, 2);
      assert.equal(fn.nothing.length, 0);
      assert.equal(fn.addLater.length, 2);
      assert.equal(fn.countTo.length, 1);  // the options argument does not count
      const d = Object.getOwnPropertyDescriptor(fn.add, 'length');
      assert.deepEqual(d, { value: 2, writable: false, enumerable: false, configurable: true });
    });
  });

  describe('async_function()', () => {
    beforeEach(() => fn.resetAsyncCounters());

    it('returns a Promise of the converted result', async () => {
      const p = fn.addLater(2, 3);
      assert.ok(p instanceof Promise);
      assert.equal(await p, 5);
      assert.equal(await fn.nothingAsync(), undefined);
      assert.equal(await fn.concat('x'), 'async:x');
      assert.equal(await fn.bytesLength(new Uint8Array(5)), 5);
      assert.equal(await fn.bytesLength([1, 2], 10), 12);
    });
    it('runs off the JS thread; arguments are converted on the JS thread', async () => {
      assert.equal(await fn.offThread(), true);
      assert.deepEqual(await fn.probe({}), [true, true]);
    });
    it('1,000 concurrent calls resolve correctly', async () => {
      const n = 1000;
      const results = await Promise.all(Array.from({ length: n }, (_, i) => fn.doubleIt(i)));
      assert.deepEqual(results, Array.from({ length: n }, (_, i) => 2 * i));
      assert.equal(fn.asyncCounters().executed, n);
    });
    it('a wrong argument rejects (never throws) with the same message', async () => {
      let p;
      assert.doesNotThrow(() => { p = fn.addLater(1, 'x'); });
      await assert.rejects(p, typeError('argument 2: expected number, got string'));
      await assert.rejects(fn.doubleIt(), typeError('argument 1: expected number or bigint, got undefined'));
      assert.equal(fn.asyncCounters().executed, 0);
    });
    it('an error Result and a C++ exception reject', async () => {
      await assert.rejects(fn.failing('nope'), { name: 'RangeError', message: 'nope', code: 'ERR_ASYNC' });
      if (addon.exceptions) {
        await assert.rejects(fn.throwsAsync('thrown'), (e) => e instanceof Error && e.message === 'thrown');
      }
    });
    it('progress values arrive in order, all before the promise settles', async () => {
      const seen = [];
      let settledFirst = false;
      const p = fn.countTo(100, { onProgress: (v) => { if (settledFirst) throw new Error('late'); seen.push(v); } });
      const n = await p;
      settledFirst = true;
      assert.equal(n, 100);
      assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => i));
    });
    it('the options argument is optional and checked', async () => {
      assert.equal(await fn.countTo(3), 3);
      assert.equal(await fn.countTo(3, null), 3);
      assert.equal(await fn.countTo(3, {}), 3);
      await assert.rejects(fn.countTo(3, 5), typeError('argument 2: expected object, got number'));
      await assert.rejects(fn.countTo(3, { signal: 1 }), typeError('argument 2: expected AbortSignal at signal, got number'));
      await assert.rejects(fn.countTo(3, { onProgress: 'x' }), typeError('argument 2: expected function at onProgress, got string'));
    });
    it('an AbortSignal aborted before the call rejects with AbortError and never runs f', async () => {
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(fn.untilCancelled({ signal: ac.signal }), { name: 'AbortError' });
      assert.equal(fn.asyncCounters().started, 0);
    });
    it('aborting during the run rejects with AbortError and f sees ctx.cancelled()', async () => {
      const ac = new AbortController();
      const p = fn.untilCancelled({ signal: ac.signal });
      await until(() => fn.asyncCounters().started === 1, 10000, 'the task to start');
      ac.abort();
      await assert.rejects(p, { name: 'AbortError' });
      await until(() => fn.asyncCounters().observed === 1, 10000, 'the task to see the cancellation');
    });
    it('a signal\'s reason is the rejection', async () => {
      const ac = new AbortController();
      const reason = new Error('my reason');
      ac.abort(reason);
      await assert.rejects(fn.untilCancelled({ signal: ac.signal }), (e) => e === reason);
    });
  });

  describe('Module and NAPIX_MODULE', () => {
    it('def, def_async and set add to the exports; the signatures key is hidden', async () => {
      assert.equal(addon.fnAdd(1, 2), 3);
      assert.equal(await addon.fnAddLater(1, 2), 3);
      assert.equal(addon.fnAnswer, 42);
      assert.equal(addon.fnGreeting, 'hi');
      assert.deepEqual(addon.fnLimits, { max: 9007199254740993n });
      assert.equal(typeof addon.exceptions, 'boolean');
      const key = Symbol.for('napix.signatures');
      assert.ok(!Object.keys(addon).includes(key));
      assert.equal(Object.getOwnPropertyDescriptor(addon, key).enumerable, false);
      const names = addon[key].map((s) => s.name);
      assert.deepEqual(names, ['exceptions', 'napixVersion', 'fnAdd', 'fnAddLater', 'fnAnswer', 'fnGreeting', 'fnLimits']);
    });
  });

  describe('lifetime', () => {
    it('a heap-stored callable is freed with its function (finalizer)', async function () {
      this.timeout(30000);
      const r = await runFixture('function_gc.js', [], { flags: ['--expose-gc'] });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /freed 100 of 100/);
    });
  });
});
