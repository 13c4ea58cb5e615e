'use strict';
// napix/convert.h: every built-in converter both ways, every failure's class, code and exact
// message, a user-defined Converter, try_from_js, and what each exception mode does with a JS
// exception thrown while reading a value.
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const vm = require('node:vm');
const { Worker } = require('node:worker_threads');
const addon = require('./addon');
const evalScript = require('node:path').join(__dirname, 'fixtures', 'eval.js'); // `-e` on every runtime

const { convert } = addon;
const rt = convert.roundtrip;
const MAX_SAFE = 2n ** 53n - 1n;

function fails(fn, Class, code, message) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof Class, `expected a ${Class.name}, got ${e && e.stack}`);
    assert.equal(e.name, Class.name);
    assert.equal(e.code, code);
    assert.equal(e.message, message);
    return true;
  });
}
const typeError = (fn, message) => fails(fn, TypeError, 'ERR_INVALID_ARG_TYPE', message);
const rangeError = (fn, message) => fails(fn, RangeError, 'ERR_OUT_OF_RANGE', message);
const throwsExactly = (fn, thrown) => assert.throws(fn, (e) => e === thrown);
// The largest double below x (x > 0 or x < 0, not 0).
function below(x) {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  view.setBigUint64(0, x > 0 ? bits - 1n : bits + 1n);
  return view.getFloat64(0);
}
// What JS prints for a value in a range message.
const shown = (v) => (typeof v === 'bigint' ? `${v}n` : String(v));

describe(`convert.h [${addon.variant}]`, () => {
  describe('integers', () => {
    // Fixed-width types must have these limits; the others come from the platform.
    it('reports the limits the tests use', () => {
      assert.deepEqual(convert.limits.Int8, ['-128', '127']);
      assert.deepEqual(convert.limits.Uint8, ['0', '255']);
      assert.deepEqual(convert.limits.Int32, ['-2147483648', '2147483647']);
      assert.deepEqual(convert.limits.Uint32, ['0', '4294967295']);
      assert.deepEqual(convert.limits.Int64, ['-9223372036854775808', '9223372036854775807']);
      assert.deepEqual(convert.limits.Uint64, ['0', '18446744073709551615']);
      assert.deepEqual(convert.limits.Char16, ['0', '65535']);
    });

    for (const [name, [minText, maxText]] of Object.entries(convert.limits)) {
      const min = BigInt(minText);
      const max = BigInt(maxText);
      const wide = max > MAX_SAFE;  // the 64-bit types: BigInt accepted and produced
      const range = `integer from ${min} to ${max}`;
      // What to_js gives back for an in-range integer.
      const out = (n) => {
        const b = BigInt(n);
        return wide && (b > MAX_SAFE || b < -MAX_SAFE) ? b : Number(b);
      };

      describe(name, () => {
        it('round-trips in-range numbers exactly, -0 as 0', () => {
          // The largest double <= max: max itself, or 2^63 - 1024 / 2^64 - 2048 for 64-bit types.
          const values = [0, 1, wide ? below(Number(max + 1n)) : Number(max)];
          if (min < 0n) values.push(-1, Number(min));  // -2^(n-1) is always an exact double
          for (const v of values) assert.equal(rt[name](v), out(v), `${name}(${v})`);
          assert.ok(Object.is(rt[name](-0), 0));
        });

        it('throws RangeError for out-of-range numbers, never wrapping', () => {
          // The nearest doubles outside the range: max + 1 and min - 1 are powers of two (or
          // -1), exact as doubles; below(min) is the next double under min.
          const values = [Number(max + 1n), min === 0n ? -1 : below(Number(min)), 1e300, -1e300, Number.MAX_VALUE];
          for (const v of values) rangeError(() => rt[name](v), `expected ${range}, got ${shown(v)}`);
        });

        it('throws RangeError for fractions, NaN and Infinity', () => {
          for (const v of [0.5, 1.5, -1.5, 1e-300, NaN, Infinity, -Infinity]) {
            rangeError(() => rt[name](v), `expected ${range}, got ${shown(v)}`);
          }
        });

        it('throws TypeError for other JS types (no coercion)', () => {
          const expected = wide ? 'number or bigint' : 'number';
          const cases = [['1', 'string'], [true, 'boolean'], [null, 'null'], [undefined, 'undefined'],
            [{}, 'object'], [[1], 'array'], [Symbol('s'), 'symbol'], [() => 1, 'function'],
            [new Number(1), 'object'], [new Uint8Array(1), 'Uint8Array'], [new Date(0), 'Date']];
          for (const [v, got] of cases) typeError(() => rt[name](v), `expected ${expected}, got ${got}`);
        });

        if (wide) {
          it('accepts a BigInt losslessly and gives a BigInt beyond 2^53 - 1', () => {
            for (const b of [0n, 1n, min, max, MAX_SAFE, MAX_SAFE + 1n]) {
              if (b < min || b > max) continue;
              assert.equal(rt[name](b), out(b));
            }
            assert.equal(rt[name](2 ** 60), 2n ** 60n);
          });
          it('throws RangeError for a BigInt out of range', () => {
            for (const b of [max + 1n, min - 1n, 2n ** 200n, -(2n ** 200n)]) {
              rangeError(() => rt[name](b), `expected ${range}, got ${b}n`);
            }
          });
        } else {
          it('throws TypeError for a BigInt', () => {
            typeError(() => rt[name](1n), 'expected number, got bigint');
          });
        }
      });
    }
  });

  describe('floating point and bool', () => {
    it('double and long double pass every number through, NaN, ±Infinity and -0 included', () => {
      for (const name of ['Double', 'LongDouble']) {
        for (const v of [0, 1.5, -1e-320, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53 + 2, NaN, Infinity, -Infinity]) {
          assert.ok(Object.is(rt[name](v), v), `${name}(${v})`);
        }
        assert.ok(Object.is(rt[name](-0), -0));
        typeError(() => rt[name](1n), 'expected number, got bigint');
        typeError(() => rt[name]('1'), 'expected number, got string');
      }
    });

    it('float rounds like Math.fround and rejects only what would become Infinity', () => {
      for (const v of [0.1, 1.5, 1e-40, -3.4028235e38, 3.4028234663852886e38, 3.4028235677973362e38]) {
        assert.equal(rt.Float(v), Math.fround(v), `Float(${v})`);
      }
      assert.ok(Number.isNaN(rt.Float(NaN)));
      assert.equal(rt.Float(Infinity), Infinity);
      assert.equal(rt.Float(-Infinity), -Infinity);
      assert.ok(Object.is(rt.Float(-0), -0));
      for (const v of [3.4028235677973366e38, -3.4028235677973366e38, 1e39, Number.MAX_VALUE]) {
        rangeError(() => rt.Float(v), `expected number within float range, got ${shown(v)}`);
      }
      typeError(() => rt.Float(1n), 'expected number, got bigint');
    });

    it('bool takes only booleans', () => {
      assert.equal(rt.Bool(true), true);
      assert.equal(rt.Bool(false), false);
      for (const [v, got] of [[0, 'number'], [1, 'number'], ['true', 'string'], [null, 'null'],
        [undefined, 'undefined'], [new Boolean(true), 'object'], [0n, 'bigint']]) {
        typeError(() => rt.Bool(v), `expected boolean, got ${got}`);
      }
    });
  });

  describe('strings', () => {
    it('round-trips UTF-8 exactly: NUL, astral characters, empty, long', () => {
      for (const s of ['', 'abc', 'a\0b', '\0', 'é', '😀', 'x😀y', '\u2028', 'ab'.repeat(50000)]) {
        assert.equal(rt.String(s), s);
      }
    });

    it('reads lone surrogates as U+FFFD', () => {
      assert.equal(rt.String('\uD800'), '\uFFFD');
      assert.equal(rt.String('a\uDC00b'), 'a\uFFFDb');
      assert.equal(rt.String('\uDE00\uD83D'), '\uFFFD\uFFFD');
    });

    it('std::u16string keeps lone surrogates', () => {
      for (const s of ['', 'a\0b', '😀', '\uD800', 'a\uDC00b', '\uDE00\uD83D']) assert.equal(rt.U16String(s), s);
      typeError(() => rt.U16String(1), 'expected string, got number');
    });

    it('rejects everything that is not a string', () => {
      for (const [v, got] of [[1, 'number'], [null, 'null'], [new String('x'), 'object'],
        [Symbol('x'), 'symbol'], [['a'], 'array'], [1n, 'bigint'], [Buffer.from('a'), 'Uint8Array']]) {
        typeError(() => rt.String(v), `expected string, got ${got}`);
      }
    });
  });

  describe('what to_js makes from C++ values', () => {
    const m = convert.made();

    it('64-bit integers: a number up to ±(2^53 - 1), a BigInt beyond, never a rounded number', () => {
      assert.equal(m.int64Big, 2n ** 60n);
      assert.equal(m.int64Max, 2n ** 63n - 1n);
      assert.equal(m.int64Min, -(2n ** 63n));
      assert.equal(m.int64Safe, 9007199254740991);
      assert.equal(m.int64Unsafe, 9007199254740992n);
      assert.equal(m.int64NegSafe, -9007199254740991);
      assert.equal(m.int64NegUnsafe, -9007199254740992n);
      assert.equal(m.uint64Max, 2n ** 64n - 1n);
      assert.equal(m.uint64Safe, 9007199254740991);
      assert.equal(m.longLong, -5);
    });

    it('other numbers and bool', () => {
      assert.equal(m.uint32Max, 4294967295);
      assert.equal(m.int32Min, -2147483648);
      assert.equal(m.char, 97);
      assert.equal(m.char16, 65535);
      assert.equal(m.bool, true);
      assert.equal(m.float, 1.5);
      assert.equal(m.floatTenth, Math.fround(0.1));
      assert.equal(m.longDouble, 0.25);
    });

    it('byte vectors become Buffers', () => {
      assert.ok(Buffer.isBuffer(m.bytes));
      assert.deepEqual([...m.bytes], [1, 2, 255]);
      assert.ok(Buffer.isBuffer(m.emptyBytes));
      assert.equal(m.emptyBytes.length, 0);
    });

    it('strings: const char*, literals, char arrays, string_view, UTF-8', () => {
      assert.equal(m.nullCString, null);
      assert.equal(m.cString, 'hello');
      assert.equal(m.literal, 'lit');
      assert.equal(m.charArray, 'ab');  // up to the first NUL
      assert.equal(m.charArrayFull, 'xyz');  // no NUL: all N chars, nothing beyond
      assert.equal(m.stringView, 'a\0b');
      assert.equal(m.stringNul, 'x\0y');
      assert.equal(m.emoji, '😀');
      assert.equal(m.invalidUtf8, 'a\uFFFDb');
      assert.equal(m.loneSurrogate, '\uD800');
      assert.equal(m.emptyString, '');
    });

    it('nothing-values: nullopt, monostate and void → undefined, nullptr → null', () => {
      for (const k of ['nullopt', 'emptyOptional', 'monostate', 'void']) {
        assert.ok(k in m, k);
        assert.equal(m[k], undefined);
      }
      assert.equal(m.someOptional, 5);
      assert.equal(m.nullptr, null);
    });

    it('containers, tuples and a user type', () => {
      assert.deepEqual(m.tuple, [1, 'two', true]);
      assert.deepEqual(m.pair, ['k', 2.5]);
      assert.deepEqual(m.array, [7, 8, 9]);
      assert.deepEqual(m.vectorBool, [true, false]);
      assert.deepEqual(m.nested, [undefined, { k: [1, 'v'] }]);
      assert.deepEqual(m.point, { x: 1, y: 2, label: 'p' });
      assert.deepEqual(m.points, [{ x: 1, y: 2, label: 'a' }, { x: 3, y: 4, label: 'b' }]);
      assert.equal(m.color, 'green');
      assert.equal(m.passthrough, 'same');
    });

    it('map keys become own data properties, "__proto__" and NUL included', () => {
      assert.equal(Object.getPrototypeOf(m.protoKey), Object.prototype);
      assert.deepEqual(Object.getOwnPropertyNames(m.protoKey).sort(), ['__proto__', 'a']);
      assert.equal(Object.getOwnPropertyDescriptor(m.protoKey, '__proto__').value, 1);
      assert.deepEqual(Object.getOwnPropertyDescriptor(m.protoKey, 'a'),
        { value: 2, writable: true, enumerable: true, configurable: true });
      assert.deepEqual(Object.keys(m.nulKey), ['k\0z']);
    });

    it('a failing Node-API call lets the pending JS exception through', () => {
      const e = new Error('pending');
      throwsExactly(() => convert.toJsWhilePending(e), e);
    });
  });

  describe('nothing-types', () => {
    it('std::monostate ↔ undefined only, std::nullptr_t ↔ null only', () => {
      assert.equal(rt.Monostate(undefined), undefined);
      typeError(() => rt.Monostate(null), 'expected undefined, got null');
      typeError(() => rt.Monostate(0), 'expected undefined, got number');
      assert.equal(rt.Nullptr(null), null);
      typeError(() => rt.Nullptr(undefined), 'expected null, got undefined');
    });

    it('from_js<void> accepts anything', () => {
      for (const v of [undefined, null, 1, {}, Symbol('x')]) assert.equal(convert.fromVoid(v), true);
    });
  });

  describe('std::optional', () => {
    it('undefined and null are nullopt (written back as undefined); anything else converts as T', () => {
      assert.equal(rt.OptionalInt(undefined), undefined);
      assert.equal(rt.OptionalInt(null), undefined);
      assert.equal(rt.OptionalInt(5), 5);
      assert.equal(rt.OptionalString('s'), 's');
      assert.deepEqual(rt.OptionalVectorInt([1, 2]), [1, 2]);
      assert.equal(rt.OptionalVectorInt(null), undefined);
    });
    it('a wrong T is T\'s error', () => {
      typeError(() => rt.OptionalInt('x'), 'expected number, got string');
      rangeError(() => rt.OptionalInt(1.5), 'expected integer from -2147483648 to 2147483647, got 1.5');
      typeError(() => rt.OptionalVectorInt([null]), 'expected number at [0], got null');
    });
  });

  describe('std::vector and std::array', () => {
    it('round-trips arrays', () => {
      assert.deepEqual(rt.VectorInt([]), []);
      assert.deepEqual(rt.VectorInt([1, -2, 3]), [1, -2, 3]);
      assert.deepEqual(rt.VectorDouble([0.5, NaN]), [0.5, NaN]);
      assert.deepEqual(rt.VectorString(['a', '', '😀']), ['a', '', '😀']);
      assert.deepEqual(rt.VectorBool([true, false, true]), [true, false, true]);
      assert.deepEqual(rt.VectorVectorInt([[1], [], [2, 3]]), [[1], [], [2, 3]]);
      const withProps = Object.assign([1, 2], { extra: 'ignored' });
      assert.deepEqual(rt.VectorInt(withProps), [1, 2]);
    });

    it('reads holes as undefined', () => {
      // eslint-disable-next-line no-sparse-arrays
      assert.deepEqual(rt.VectorOptionalInt([1, , 3]), [1, undefined, 3]);
      // eslint-disable-next-line no-sparse-arrays
      typeError(() => rt.VectorInt([1, , 3]), 'expected number at [1], got undefined');
      const sparse = [];
      sparse[5] = 1;
      assert.deepEqual(rt.VectorOptionalInt(sparse), [undefined, undefined, undefined, undefined, undefined, 1]);
    });

    it('names the failing element', () => {
      typeError(() => rt.VectorInt([1, 2, 'x']), 'expected number at [2], got string');
      rangeError(() => rt.VectorInt([0, 2 ** 31]), 'expected integer from -2147483648 to 2147483647 at [1], got 2147483648');
      typeError(() => rt.VectorVectorInt([[1], [2, 'x']]), 'expected number at [1][1], got string');
      typeError(() => rt.VectorVectorInt([1]), 'expected array at [0], got number');
      typeError(() => rt.VectorBool([true, 0]), 'expected boolean at [1], got number');
    });

    it('takes only real arrays', () => {
      for (const [v, got] of [[{ length: 1, 0: 1 }, 'object'], ['ab', 'string'], [new Int32Array(2), 'Int32Array'],
        [new Proxy([1], {}), 'object'], [new Set([1]), 'object'], [null, 'null'], [undefined, 'undefined']]) {
        typeError(() => rt.VectorInt(v), `expected array, got ${got}`);
      }
    });

    it('std::array needs exactly N elements', () => {
      assert.deepEqual(rt.ArrayInt3([1, 2, 3]), [1, 2, 3]);
      typeError(() => rt.ArrayInt3([1, 2]), 'expected array of length 3, got array of length 2');
      typeError(() => rt.ArrayInt3([1, 2, 3, 4]), 'expected array of length 3, got array of length 4');
      typeError(() => rt.ArrayInt3([1, 'x', 3]), 'expected number at [1], got string');
      typeError(() => rt.ArrayInt3({}), 'expected array, got object');
      assert.deepEqual(rt.ArrayEmpty([]), []);
      typeError(() => rt.ArrayEmpty(['x']), 'expected array of length 0, got array of length 1');
    });
  });

  describe('std::vector<std::uint8_t>', () => {
    it('takes a Buffer or any Uint8Array and gives a Buffer copy', () => {
      const source = Buffer.from([1, 2, 3]);
      const out = rt.Bytes(source);
      assert.ok(Buffer.isBuffer(out));
      assert.deepEqual([...out], [1, 2, 3]);
      out[0] = 9;
      assert.equal(source[0], 1);  // a copy
      assert.deepEqual([...rt.Bytes(new Uint8Array([255, 0]))], [255, 0]);
      assert.deepEqual([...rt.Bytes(new Uint8ClampedArray([7]))], [7]);
      assert.equal(rt.Bytes(new Uint8Array(0)).length, 0);
    });

    it('honours byteOffset and length of a view into a larger buffer', () => {
      const backing = new ArrayBuffer(16);
      new Uint8Array(backing).forEach((_, i, a) => { a[i] = i; });
      assert.deepEqual([...rt.Bytes(new Uint8Array(backing, 5, 3))], [5, 6, 7]);
      const big = Buffer.from('0123456789');
      assert.equal(rt.Bytes(big.subarray(2, 5)).toString(), '234');
    });

    it('reads a detached buffer as empty', () => {
      const ab = new ArrayBuffer(4);
      const view = new Uint8Array(ab);
      structuredClone(ab, { transfer: [ab] });
      assert.equal(rt.Bytes(view).length, 0);
    });

    it('takes an Array of bytes, range-checked', () => {
      assert.deepEqual([...rt.Bytes([0, 128, 255])], [0, 128, 255]);
      rangeError(() => rt.Bytes([1, 256]), 'expected integer from 0 to 255 at [1], got 256');
      rangeError(() => rt.Bytes([-1]), 'expected integer from 0 to 255 at [0], got -1');
      rangeError(() => rt.Bytes([1.5]), 'expected integer from 0 to 255 at [0], got 1.5');
      typeError(() => rt.Bytes(['1']), 'expected number at [0], got string');
    });

    it('rejects other typed arrays and buffers', () => {
      for (const [v, got] of [[new Int8Array(1), 'Int8Array'], [new Uint16Array(1), 'Uint16Array'],
        [new Float64Array(1), 'Float64Array'], [new ArrayBuffer(1), 'ArrayBuffer'],
        [new DataView(new ArrayBuffer(1)), 'DataView'], ['abc', 'string'], [null, 'null']]) {
        typeError(() => rt.Bytes(v), `expected Uint8Array or array, got ${got}`);
      }
    });
  });

  describe('std::pair and std::tuple', () => {
    it('round-trip arrays of exactly their length', () => {
      assert.deepEqual(rt.PairIntString([1, 'x']), [1, 'x']);
      assert.deepEqual(rt.TupleIntStringBool([1, 'a', false]), [1, 'a', false]);
      assert.deepEqual(rt.TupleEmpty([]), []);
    });
    it('fail on length, type and element', () => {
      typeError(() => rt.PairIntString([1]), 'expected array of length 2, got array of length 1');
      typeError(() => rt.PairIntString([1, 'x', 3]), 'expected array of length 2, got array of length 3');
      typeError(() => rt.PairIntString([1, 2]), 'expected string at [1], got number');
      typeError(() => rt.TupleIntStringBool({ 0: 1, 1: 'a', 2: true, length: 3 }), 'expected array, got object');
      typeError(() => rt.TupleEmpty([undefined]), 'expected array of length 0, got array of length 1');
    });
  });

  describe('std::map and std::unordered_map', () => {
    it('round-trip plain objects (Object.prototype or null prototype)', () => {
      assert.deepEqual(rt.MapInt({ b: 2, a: 1 }), { a: 1, b: 2 });
      assert.deepEqual(rt.MapInt({}), {});
      const bare = Object.assign(Object.create(null), { x: 1 });
      assert.deepEqual(rt.MapInt(bare), { x: 1 });
      assert.deepEqual(rt.UnorderedMapString({ 'a b': 'c', '': '', 1: 'one' }), { 'a b': 'c', '': '', 1: 'one' });
      assert.deepEqual(rt.MapOptionalDouble({ a: null, b: 1.5 }), { a: undefined, b: 1.5 });
      assert.deepEqual(rt.MapInt(JSON.parse('{"__proto__": 7}')), JSON.parse('{"__proto__": 7}'));
    });

    it('reads own enumerable string keys only, through getters', () => {
      const o = Object.create(null);
      Object.defineProperty(o, 'hidden', { value: 1, enumerable: false });
      o[Symbol('s')] = 2;
      o.visible = 3;
      Object.defineProperty(o, 'computed', { get: () => 4, enumerable: true });
      assert.deepEqual(rt.MapInt(o), { visible: 3, computed: 4 });
    });

    it('names the failing key', () => {
      typeError(() => rt.MapInt({ a: 1, size: 'x' }), 'expected number at size, got string');
      typeError(() => rt.MapInt({ 'a b': 'x' }), 'expected number at ["a b"], got string');
      typeError(() => rt.MapInt({ 7: 'x' }), 'expected number at ["7"], got string');
      typeError(() => rt.MapInt({ 'q"\n': 'x' }), 'expected number at ["q\\"\\n"], got string');
      rangeError(() => rt.MapInt({ n: 2 ** 40 }), 'expected integer from -2147483648 to 2147483647 at n, got 1099511627776');
    });

    it('rejects everything that is not a plain object', () => {
      class Thing {}
      const cases = [[[], 'array'], [new Map([['a', 1]]), 'class instance'], [new Thing(), 'class instance'],
        [Object.create({}), 'class instance'], [new Date(0), 'Date'], [Promise.resolve(), 'Promise'],
        [new Uint8Array(1), 'Uint8Array'], [() => {}, 'function'], [null, 'null'], ['s', 'string'],
        [vm.runInNewContext('({ a: 1 })'), 'class instance']];
      for (const [v, got] of cases) typeError(() => rt.MapInt(v), `expected plain object, got ${got}`);
    });
  });

  describe('nested combinations', () => {
    it('round-trip vector<optional<map<string, tuple<int, string>>>>', () => {
      const v = [null, { k: [1, 'v'], 'a b': [-2, ''] }, undefined, {}];
      assert.deepEqual(rt.Nested(v), [undefined, { k: [1, 'v'], 'a b': [-2, ''] }, undefined, {}]);
    });
    it('give the full path of the failure', () => {
      typeError(() => rt.Nested([{ k: [1, 2] }]), 'expected string at [0].k[1], got number');
      typeError(() => rt.Nested([null, { 'a b': [1] }]), 'expected array of length 2 at [1]["a b"], got array of length 1');
      typeError(() => rt.Nested([1]), 'expected plain object at [0], got number');
      rangeError(() => rt.Nested([{ k: [0.5, ''] }]), 'expected integer from -2147483648 to 2147483647 at [0].k[0], got 0.5');
    });
    it('stop at the depth of the C++ type on cyclic input', () => {
      const a = [];
      a.push(a);
      typeError(() => rt.VectorVectorInt(a), 'expected number at [0][0], got array');
      const o = {};
      o.self = o;
      typeError(() => rt.MapInt(o), 'expected number at self, got object');
    });
  });

  describe('Napi::Value and subclasses', () => {
    const fn = () => 1;
    const sym = Symbol('s');
    const promise = Promise.resolve(1);
    const ab = new ArrayBuffer(2);
    const u8 = new Uint8Array(2);
    const buf = Buffer.alloc(2);
    const dv = new DataView(ab);
    const date = new Date(0);

    it('pass the same value through', () => {
      for (const v of [undefined, null, 1, 's', sym, 1n, fn, {}, [], promise]) assert.equal(rt.Value(v), v);
      const pairs = [['Object', {}], ['Object', []], ['Object', fn], ['Array', []], ['Function', fn],
        ['StringValue', 's'], ['NumberValue', 1.5], ['BooleanValue', false], ['BigIntValue', 2n ** 70n],
        ['SymbolValue', sym], ['NameValue', 'n'], ['NameValue', sym], ['Promise', promise], ['ArrayBuffer', ab],
        ['TypedArray', u8], ['TypedArray', new Float32Array(1)], ['Uint8Array', u8], ['Uint8Array', buf],
        ['Uint8Array', new Uint8ClampedArray(1)], ['Float64Array', new Float64Array(1)],
        ['BigInt64Array', new BigInt64Array(1)], ['Buffer', buf], ['Buffer', u8], ['DataView', dv], ['Date', date],
        ['External', convert.made().external]];
      for (const [name, v] of pairs) assert.equal(rt[name](v), v, name);
    });

    it('check the JS type', () => {
      const cases = [['Object', null, 'object', 'null'], ['Object', 1, 'object', 'number'],
        ['Array', {}, 'array', 'object'], ['Function', {}, 'function', 'object'],
        ['StringValue', 1, 'string', 'number'], ['NumberValue', 1n, 'number', 'bigint'],
        ['BooleanValue', 0, 'boolean', 'number'], ['BigIntValue', 1, 'bigint', 'number'],
        ['SymbolValue', 's', 'symbol', 'string'], ['NameValue', 1, 'string or symbol', 'number'],
        ['Promise', { then() {} }, 'Promise', 'object'], ['ArrayBuffer', u8, 'ArrayBuffer', 'Uint8Array'],
        ['TypedArray', ab, 'TypedArray', 'ArrayBuffer'], ['TypedArray', dv, 'TypedArray', 'DataView'],
        ['Uint8Array', new Int8Array(1), 'Uint8Array', 'Int8Array'],
        ['Float64Array', new Float32Array(1), 'Float64Array', 'Float32Array'],
        ['BigInt64Array', new BigUint64Array(1), 'BigInt64Array', 'BigUint64Array'],
        ['Buffer', new Uint16Array(1), 'Uint8Array', 'Uint16Array'], ['DataView', u8, 'DataView', 'Uint8Array'],
        ['Date', 0, 'Date', 'number'], ['External', {}, 'external', 'object']];
      for (const [name, v, expected, got] of cases) typeError(() => rt[name](v), `expected ${expected}, got ${got}`);
    });
  });

  describe('a user-defined Converter<Point>', () => {
    it('round-trips', () => {
      assert.deepEqual(rt.Point({ x: 1, y: -2.5, label: 'p' }), { x: 1, y: -2.5, label: 'p' });
      assert.deepEqual(rt.Points([{ x: 1, y: 2, label: 'a' }]), [{ x: 1, y: 2, label: 'a' }]);
      assert.deepEqual(rt.PointMap({ k: [{ x: 0, y: 0, label: '' }] }), { k: [{ x: 0, y: 0, label: '' }] });
    });
    it('reports nested paths through cx.field and the built-in containers', () => {
      typeError(() => rt.Point(null), 'expected object, got null');
      typeError(() => rt.Point({ x: 1, y: 2 }), 'expected string at label, got undefined');
      typeError(() => rt.Point({ x: '1', y: 2, label: '' }), 'expected number at x, got string');
      typeError(() => rt.Points([{ x: 1, y: 2, label: 'a' }, { x: 1, y: 2, label: 3 }]), 'expected string at [1].label, got number');
      typeError(() => rt.PointMap({ a: [{ x: 1, y: '2', label: '' }] }), 'expected number at a[0].y, got string');
    });
    it('custom errors through cx.fail and cx.message', () => {
      assert.equal(rt.Color('red'), 'red');
      rangeError(() => rt.Color('blue'), 'expected "red" or "green", got "blue"');
      typeError(() => rt.Color(1), 'expected string, got number');
    });
    it('a recursive converter stops at ConvertContext::kMaxDepth on a cyclic object', () => {
      assert.equal(convert.maxDepth, 1000);
      assert.deepEqual(rt.Tree({ children: [{ children: [] }] }), { children: [{ children: [] }] });
      const cyclic = { children: [] };
      cyclic.children.push(cyclic);
      const path = Array(500).fill('children[0]').join('.');
      rangeError(() => rt.Tree(cyclic), `expected at most 1000 levels of nesting at ${path}, got more`);
    });
    it('writes paths like JS source', () => {
      assert.equal(convert.pathOf(),
        'expected number at [2].size["a b"][0], got string|expected number at first[""]["q\\"\\n"], got string|expected number, got string');
    });
  });

  describe('JS exceptions while reading a value', () => {
    const trap = Object.assign(new Error('trap'), { code: 'E_TRAP' });
    const throwing = {
      get: new Proxy({}, { get() { throw trap; } }),
      ownKeys: new Proxy({ a: 1 }, { ownKeys() { throw trap; } }),
      getPrototypeOf: new Proxy({}, { getPrototypeOf() { throw trap; } }),
      getter: { get x() { throw trap; } },
    };

    it('propagate unchanged through from_js', () => {
      throwsExactly(() => rt.Point(throwing.get), trap);
      throwsExactly(() => rt.Point(throwing.getter), trap);
      throwsExactly(() => rt.MapInt(throwing.ownKeys), trap);
      throwsExactly(() => rt.MapInt({ get a() { throw trap; } }), trap);
      const arr = [1, 2];
      Object.defineProperty(arr, 1, { get() { throw trap; } });
      throwsExactly(() => rt.VectorInt(arr), trap);
      throwsExactly(() => rt.Nested([{ get k() { throw trap; } }]), trap);
      assert.throws(() => rt.Point({ get x() { throw 42; } }), (v) => v === 42);
    });

    it('a Proxy counts as a plain object: Node-API reads no prototype through it', () => {
      // napi_get_prototype does not call the getPrototypeOf trap (V8 sees a Proxy's own null).
      assert.deepEqual(rt.MapInt(throwing.getPrototypeOf), {});
      assert.deepEqual(rt.MapInt(new Proxy(new Map([['a', 1]]), {})), {});
    });

    it('a Proxy that does not throw converts like its target', () => {
      assert.deepEqual(rt.MapInt(new Proxy({ a: 1 }, {})), { a: 1 });
      assert.deepEqual(rt.Point(new Proxy({}, { get: (_, k) => (k === 'label' ? 'L' : 1) })), { x: 1, y: 1, label: 'L' });
    });

    it('the exceptions-off from_js leaves only a JS exception pending; exceptions-on throws it', () => {
      const viaTrap = convert.fromJsDetail(throwing.get);
      assert.equal(viaTrap.ok, false);
      assert.equal(viaTrap.thrown, trap);
      assert.equal(viaTrap.pending, addon.variant === 'noexcept');
      if (addon.variant === 'noexcept') assert.equal(viaTrap.resultMessage, 'trap');
      const wrongType = convert.fromJsDetail(5);
      assert.equal(wrongType.ok, false);
      assert.equal(wrongType.pending, false);
      assert.ok(wrongType.thrown instanceof TypeError);
      assert.equal(wrongType.thrown.message, 'expected object, got number');
      assert.equal(wrongType.thrown.code, 'ERR_INVALID_ARG_TYPE');
      assert.equal(convert.fromJsDetail({ x: 1, y: 2, label: 'L' }).ok, true);
    });
  });

  describe('the doc/convert.md examples', () => {
    it('polylineLength', () => {
      assert.equal(convert.polylineLength([{ x: 0, y: 0, label: 'a' }, { x: 3, y: 4, label: 'b' }]), 5);
      typeError(() => convert.polylineLength([{ x: 0, y: 0, label: 'a' }, { x: 3, y: '4', label: 'b' }]),
        'expected number at [1].y, got string');
      const trap = new Error('trap');
      throwsExactly(() => convert.polylineLength([new Proxy({}, { get() { throw trap; } })]), trap);
    });
    it('countIds', () => {
      assert.equal(convert.countIds(Array(1000).fill(7)), 1000);
      rangeError(() => convert.countIds(Array(1001).fill(7)), 'expected array of at most 1000 elements, got 1001 elements');
    });
    it('portOrDefault', () => {
      assert.equal(convert.portOrDefault(443), 443);
      assert.equal(convert.portOrDefault(70000), 8080);
      assert.equal(convert.portOrDefault(new Proxy({}, { get() { throw new Error('x'); } })), 8080);
    });
  });

  describe('limits on hostile input', () => {
    const limited = convert.limited;
    const DEFAULT = 2 ** 24;
    const tooMany = (max, n) => `expected array of at most ${max} elements, got ${n} elements`;
    // A chain of `n` links: {next: {next: ... {next: undefined}}}.
    const chain = (n) => {
      let c;
      for (let i = 0; i < n; i++) c = { next: c };
      return c;
    };

    it('the default limit is 2^24 elements', () => {
      assert.equal(convert.defaultMaxElements, DEFAULT);
      assert.deepEqual(convert.getLimits(), { maxElements: DEFAULT });
    });

    it('a holey array of length 2^32 - 1 fails at once with a RangeError naming length and limit', function () {
      this.timeout(60000);
      // In a child process: without the limit each of these loops over 4.3 billion holes (minutes,
      // ~95 MB/s of memory), and a synchronous native loop cannot be interrupted from here.
      const names = ['VectorOptionalInt', 'VectorValue', 'VectorMonostate', 'VectorInt', 'Bytes', 'Nested'];
      const code = `
        const { convert } = require(${JSON.stringify(addon.file)});
        const out = {};
        for (const name of ${JSON.stringify(names)}) {
          const a = [];
          a.length = 2 ** 32 - 1;
          const start = process.hrtime.bigint();
          try {
            convert.roundtrip[name](a);
            out[name] = { ok: true };
          } catch (e) {
            out[name] = { name: e.name, code: e.code, message: e.message };
          }
          out[name].ms = Number(process.hrtime.bigint() - start) / 1e6;
        }
        console.log(JSON.stringify(out));`;
      const r = spawnSync(process.execPath, [evalScript, code], { encoding: 'utf8', timeout: 30000, killSignal: 'SIGKILL' });
      assert.equal(r.signal, null, `the child hung or crashed (${r.signal}): ${r.stderr}`);
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      for (const name of names) {
        assert.deepEqual({ ...out[name], ms: undefined },
          { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: tooMany(DEFAULT, 2 ** 32 - 1), ms: undefined }, name);
        assert.ok(out[name].ms < 1000, `${name} took ${out[name].ms} ms`);
      }
    });

    it('checks the length before reading any element, nested arrays at their path', () => {
      const hole = [];
      hole.length = DEFAULT + 1;
      rangeError(() => rt.VectorOptionalInt(hole), tooMany(DEFAULT, DEFAULT + 1));
      rangeError(() => rt.VectorVectorInt([[], hole]), `expected array of at most ${DEFAULT} elements at [1], got ${DEFAULT + 1} elements`);
      const trapped = [];
      Object.defineProperty(trapped, 0, { get() { throw new Error('read'); } });
      trapped.length = 2 ** 32 - 1;
      rangeError(() => rt.VectorInt(trapped), tooMany(DEFAULT, 2 ** 32 - 1));
      // Fixed-length types fail on the length as before.
      typeError(() => rt.ArrayInt3(hole), `expected array of length 3, got array of length ${DEFAULT + 1}`);
    });

    it('a limit for one conversion: from_js<T>(value, limits) and try_from_js<T>(value, limits)', () => {
      assert.deepEqual(limited.VectorInt([1, 2, 3], { maxElements: 3 }), [1, 2, 3]);
      rangeError(() => limited.VectorInt([1, 2, 3, 4], { maxElements: 3 }), tooMany(3, 4));
      assert.deepEqual(limited.VectorMonostate([], { maxElements: 0 }), []);
      rangeError(() => limited.VectorMonostate([undefined], { maxElements: 0 }), tooMany(0, 1));
      rangeError(() => limited.VectorValue([1, 2], { maxElements: 1 }), tooMany(1, 2));
      rangeError(() => limited.VectorOptionalInt([1, , 3], { maxElements: 2 }), tooMany(2, 3));  // eslint-disable-line no-sparse-arrays
      // Byte vectors: an Array is an element loop and limited; a typed array is one copy and is not.
      rangeError(() => limited.Bytes([1, 2, 3], { maxElements: 2 }), tooMany(2, 3));
      assert.deepEqual(limited.Bytes(new Uint8Array(5), { maxElements: 2 }), Buffer.alloc(5));
      // Nested containers are each held to it.
      rangeError(() => limited.Nested([{ a: [1, 'x'] }, null, null], { maxElements: 2 }), tooMany(2, 3));
      assert.deepEqual(limited.Nested([{ a: [1, 'x'] }], { maxElements: 2 }), [{ a: [1, 'x'] }]);
      assert.deepEqual(convert.tryLimited.VectorInt([1, 2, 3], { maxElements: 2 }),
        { ok: false, pending: false, name: 'RangeError', message: tooMany(2, 3), code: 'ERR_OUT_OF_RANGE' });
      assert.deepEqual(convert.tryLimited.VectorInt([1, 2], { maxElements: 2 }), { ok: true, pending: false, value: [1, 2] });
      // The global limit is unchanged.
      assert.deepEqual(convert.getLimits(), { maxElements: DEFAULT });
    });

    it('a map counts its own enumerable keys against the limit before reading any value', () => {
      assert.deepEqual(limited.MapInt({ a: 1, b: 2 }, { maxElements: 2 }), { a: 1, b: 2 });
      const tooManyKeys = (max, n, at = '') => `expected plain object of at most ${max} keys${at}, got ${n} keys`;
      rangeError(() => limited.MapInt({ a: 1, b: 2, c: 3 }, { maxElements: 2 }), tooManyKeys(2, 3));
      // No getter runs: the count fails first.
      rangeError(() => limited.MapInt({ a: 1, b: 2, get c() { throw new Error('read'); } }, { maxElements: 2 }), tooManyKeys(2, 3));
      // Non-enumerable and symbol keys do not count.
      const hidden = Object.defineProperty({ a: 1, [Symbol('s')]: 2 }, 'b', { value: 2, enumerable: false });
      assert.deepEqual(limited.MapInt(hidden, { maxElements: 1 }), { a: 1 });
      rangeError(() => limited.Nested([{ a: [1, 'x'], b: [2, 'y'], c: [3, 'z'] }], { maxElements: 2 }), tooManyKeys(2, 3, ' at [0]'));
    });

    it('set_convert_limits sets the limit of every conversion given none', () => {
      try {
        convert.setLimits({ maxElements: 2 });
        assert.deepEqual(convert.getLimits(), { maxElements: 2 });
        assert.deepEqual(rt.VectorInt([1, 2]), [1, 2]);
        rangeError(() => rt.VectorInt([1, 2, 3]), tooMany(2, 3));
        rangeError(() => rt.MapInt({ a: 1, b: 2, c: 3 }), 'expected plain object of at most 2 keys, got 3 keys');
        assert.equal(convert.tryFrom.VectorInt([1, 2, 3]).message, tooMany(2, 3));
        // A limit given to one conversion wins over the global one.
        assert.deepEqual(limited.VectorInt([1, 2, 3], { maxElements: 3 }), [1, 2, 3]);
      } finally {
        convert.setLimits({ maxElements: DEFAULT });
      }
      assert.deepEqual(rt.VectorInt([1, 2, 3]), [1, 2, 3]);
    });

    it('reads length once: a getter that changes it gives holes or leaves the rest unread', () => {
      const shrinking = [1, 2, 3, 4];
      Object.defineProperty(shrinking, 0, { get() { shrinking.length = 1; return 1; }, enumerable: true });
      assert.deepEqual(rt.VectorOptionalInt(shrinking), [1, undefined, undefined, undefined]);
      const growing = [1, 2];
      Object.defineProperty(growing, 0, { get() { growing.push(9, 9); return 1; }, enumerable: true });
      assert.deepEqual(rt.VectorInt(growing), [1, 2]);
    });

    it('a converter that recurses without a path step stops at kMaxDepth: cyclic, 200,000 links', () => {
      // Chain reads `next` itself and calls cx.convert<std::optional<Chain>>: two levels a link.
      const deep = 'expected at most 1000 levels of nesting, got more';
      assert.equal(rt.Chain(chain(500)), 500);
      rangeError(() => rt.Chain(chain(501)), deep);
      const cyclic = {};
      cyclic.next = cyclic;
      rangeError(() => rt.Chain(cyclic), deep);
      rangeError(() => rt.Chain(chain(200000)), deep);
      assert.equal(convert.tryFrom.Chain(chain(200000)).message, deep);
    });

    it('the same inside a Worker, whose stack is smaller, without taking the process down', async function () {
      this.timeout(60000);
      const worker = new Worker(`
        const { parentPort } = require('node:worker_threads');
        const { convert } = require(${JSON.stringify(addon.file)});
        const chain = ${chain.toString()};
        const cyclic = {};
        cyclic.next = cyclic;
        const out = [];
        for (const v of [cyclic, chain(200000), chain(501)]) {
          try {
            out.push(convert.roundtrip.Chain(v));
          } catch (e) {
            out.push(e.name + ': ' + e.message);
          }
        }
        out.push(convert.roundtrip.Chain(chain(500)));
        parentPort.postMessage(out);`, { eval: true });
      const messages = [];
      worker.on('message', (m) => messages.push(m));
      const code = await new Promise((resolve, reject) => {
        worker.on('error', reject);
        worker.on('exit', resolve);
      });
      assert.equal(code, 0);
      const deep = 'RangeError: expected at most 1000 levels of nesting, got more';
      assert.deepEqual(messages, [[deep, deep, deep, 500]]);
    });

    it('names a SharedArrayBuffer (and every typed array) in messages', () => {
      const sab = new SharedArrayBuffer(4);
      typeError(() => rt.Bytes(sab), 'expected Uint8Array or array, got SharedArrayBuffer');
      typeError(() => rt.ArrayBuffer(sab), 'expected ArrayBuffer, got SharedArrayBuffer');
      typeError(() => rt.VectorInt(sab), 'expected array, got SharedArrayBuffer');
      typeError(() => rt.MapInt(sab), 'expected plain object, got SharedArrayBuffer');
      // A view of one is a typed array and its bytes are copied.
      new Uint8Array(sab).set([1, 2, 3, 4]);
      assert.deepEqual(rt.Bytes(new Uint8Array(sab, 1, 2)), Buffer.from([2, 3]));
      for (const Ctor of [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array,
        Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array]) {
        typeError(() => rt.VectorInt(new Ctor(1)), `expected array, got ${Ctor.name}`);
      }
      typeError(() => rt.VectorInt(Buffer.alloc(1)), 'expected array, got Uint8Array');
      typeError(() => rt.VectorInt(new ArrayBuffer(1)), 'expected array, got ArrayBuffer');
      typeError(() => rt.VectorInt(new DataView(sab)), 'expected array, got DataView');
      // Not one: a Proxy of it, one of another realm.
      typeError(() => rt.VectorInt(new Proxy(sab, {})), 'expected array, got object');
      typeError(() => rt.VectorInt(vm.runInNewContext('new SharedArrayBuffer(1)')), 'expected array, got object');
    });

    it('naming one never leaks an exception from a replaced global SharedArrayBuffer', () => {
      const saved = Object.getOwnPropertyDescriptor(globalThis, 'SharedArrayBuffer');
      const sab = new SharedArrayBuffer(1);
      try {
        Object.defineProperty(globalThis, 'SharedArrayBuffer', { get() { throw new Error('no'); }, configurable: true });
        typeError(() => rt.VectorInt(sab), 'expected array, got object');
        assert.deepEqual(convert.tryFrom.VectorInt(sab),
          { ok: false, pending: false, name: 'TypeError', message: 'expected array, got object', code: 'ERR_INVALID_ARG_TYPE' });
      } finally {
        Object.defineProperty(globalThis, 'SharedArrayBuffer', saved);
      }
    });
  });

  describe('try_from_js', () => {
    const t = convert.tryFrom;
    it('returns the value', () => {
      assert.deepEqual(t.Int32(5), { ok: true, pending: false, value: 5 });
      assert.deepEqual(t.Points([]), { ok: true, pending: false, value: [] });
    });
    it('returns conversion failures as Result errors, never throwing', () => {
      assert.deepEqual(t.Int32('x'), { ok: false, pending: false, name: 'TypeError', message: 'expected number, got string', code: 'ERR_INVALID_ARG_TYPE' });
      assert.deepEqual(t.Uint64(2n ** 64n), { ok: false, pending: false, name: 'RangeError', message: 'expected integer from 0 to 18446744073709551615, got 18446744073709551616n', code: 'ERR_OUT_OF_RANGE' });
      assert.deepEqual(t.Points([{}]), { ok: false, pending: false, name: 'TypeError', message: 'expected number at [0].x, got undefined', code: 'ERR_INVALID_ARG_TYPE' });
    });
    it('copies a JS exception into the Result and clears it', () => {
      const trap = Object.assign(new RangeError('trapped'), { code: 'E_TRAP' });
      const proxy = new Proxy({}, { get() { throw trap; } });
      assert.deepEqual(t.Point(proxy), { ok: false, pending: false, name: 'RangeError', message: 'trapped', code: 'E_TRAP' });
      assert.deepEqual(t.MapInt({ get a() { throw 42; } }), { ok: false, pending: false, name: 'Error', message: '42', code: '' });
    });
  });
});
