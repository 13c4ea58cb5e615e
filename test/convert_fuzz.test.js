'use strict';
// Randomized from_js: seeded JS values of every kind (numbers at the edges, strings with NUL, astral
// characters and lone surrogates, sparse and cyclic arrays and objects, class instances, Map, typed
// arrays, Proxies whose traps throw, BigInts, symbols...) go through from_js<T> for every T the test
// addon exposes. A JS model of convert.h's contract predicts each outcome exactly: the value to_js
// gives back, or the error's class, code and message, or the trap's own exception. A second pass
// feeds hostile values (huge-length and holey arrays, getters that change `length`, Proxies with
// throwing traps, revoked Proxies, cycles through a converter that adds no path step, objects over
// the key limit), each built afresh for the model and for the addon since reading them changes them.
//   NAPIX_FUZZ_SEED=<n>|random    seed (default fixed, so CI is deterministic); printed on failure
//   NAPIX_FUZZ_ITERATIONS=<n>     values to generate (default 300; each goes to every type)
const assert = require('node:assert/strict');
const { types } = require('node:util');
const addon = require('./addon');

const { convert } = addon;
const MAX_SAFE = 2n ** 53n - 1n;
const MAX_DEPTH = convert.maxDepth;
let maxElements = convert.getLimits().maxElements;  // what the addon's global limit is now
const FLOAT_OVERFLOW = 3.4028235677973366e38;  // 2^128 - 2^103: Math.fround gives Infinity from here

const seedEnv = process.env.NAPIX_FUZZ_SEED;
const SEED = seedEnv === 'random' ? (Date.now() >>> 0) : Number(seedEnv || 0x5eed1234) >>> 0;
const ITERATIONS = Number(process.env.NAPIX_FUZZ_ITERATIONS || 300);

// ---------------------------------------------------------------------------------------------
// Deterministic PRNG (mulberry32).
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r = {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
  };
  return r;
}

// ---------------------------------------------------------------------------------------------
// The model of the contract.

const trapErrors = new WeakSet();  // errors our Proxy traps and getters throw: must arrive as is
const proxies = new WeakSet();     // Node-API sees a Proxy as a plain object with no prototype

class Expected extends Error {
  constructor(Class, message) {
    super(message);
    this.Class = Class;
  }
}

// The fuzz's only Externals are the addon's (convert.made().external, added below). Deno's
// node:util has no types.isExternal: the model then knows them by identity.
const madeExternals = new WeakSet();
const isExternal = typeof types.isExternal === 'function' ? (v) => types.isExternal(v)
  : (v) => v !== null && typeof v === 'object' && madeExternals.has(v);
// napi_typeof: typeof, except that a Node-API External is 'external' (JS says 'object').
const napiType = (v) => (v === null ? 'null' : isExternal(v) ? 'external' : typeof v);

function typeName(v) {
  const t = napiType(v);
  if (t !== 'object') return t;
  if (proxies.has(v)) return 'object';
  if (Array.isArray(v)) return 'array';
  if (types.isTypedArray(v)) return Object.prototype.toString.call(v).slice(8, -1);
  if (types.isArrayBuffer(v)) return 'ArrayBuffer';
  if (types.isDataView(v)) return 'DataView';
  if (types.isDate(v)) return 'Date';
  if (types.isPromise(v)) return 'Promise';
  // Named by its prototype: of this realm, not replaced.
  if (types.isSharedArrayBuffer(v) && Object.getPrototypeOf(v) === SharedArrayBuffer.prototype) return 'SharedArrayBuffer';
  return 'object';
}
const isRealArray = (v) => !proxies.has(v) && Array.isArray(v);
const isObjectLike = (v) => napiType(v) === 'object' || napiType(v) === 'function';

function pathText(path) {
  let out = '';
  for (const s of path) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s)) out += (out ? '.' : '') + s;
    else out += `[${JSON.stringify(s.toWellFormed())}]`;
  }
  return out;
}
function message(expected, path, got) {
  const p = pathText(path);
  return `expected ${expected}${p ? ` at ${p}` : ''}, got ${got}`;
}
const typeFail = (expected, path, v) => new Expected(TypeError, message(expected, path, typeName(v)));
const rangeFail = (expected, path, got) => new Expected(RangeError, message(expected, path, got));

// Type descriptors mirror the addon's table (test/convert.cc).
const L = convert.limits;
const int = (name) => ({ kind: 'int', min: BigInt(L[name][0]), max: BigInt(L[name][1]) });
const vec = (of) => ({ kind: 'vector', of });
const arr = (of, n) => ({ kind: 'tuple', of: Array(n).fill(of) });
const tup = (...of) => ({ kind: 'tuple', of });
const opt = (of) => ({ kind: 'optional', of });
const map = (of) => ({ kind: 'map', of });
const napi = (expected, check) => ({ kind: 'napi', expected, check });
const typedArrayOf = (name, also = []) => (v) => types.isTypedArray(v) && !proxies.has(v) &&
  [name, ...also].includes(Object.prototype.toString.call(v).slice(8, -1));
const D = { kind: 'double' };
const S = { kind: 'string' };
const I = int('Int');
const POINT = { kind: 'point' };

const T = {
  Bool: { kind: 'bool' },
  Float: { kind: 'float' },
  Double: D,
  LongDouble: D,
  String: S,
  U16String: { kind: 'u16string' },
  Monostate: { kind: 'exact', value: undefined, expected: 'undefined' },
  Nullptr: { kind: 'exact', value: null, expected: 'null' },
  VectorInt: vec(I),
  VectorDouble: vec(D),
  VectorString: vec(S),
  VectorBool: vec({ kind: 'bool' }),
  Bytes: { kind: 'bytes' },
  ArrayInt3: arr(I, 3),
  ArrayEmpty: arr(S, 0),
  OptionalInt: opt(I),
  OptionalString: opt(S),
  OptionalVectorInt: opt(vec(I)),
  MapInt: map(I),
  UnorderedMapString: map(S),
  MapOptionalDouble: map(opt(D)),
  PairIntString: tup(I, S),
  TupleIntStringBool: tup(I, S, { kind: 'bool' }),
  TupleEmpty: tup(),
  VectorVectorInt: vec(vec(I)),
  VectorOptionalInt: vec(opt(I)),
  Nested: vec(opt(map(tup(I, S)))),
  Value: napi('', () => true),
  Object: napi('object', isObjectLike),
  Array: napi('array', isRealArray),
  Function: napi('function', (v) => typeof v === 'function'),
  StringValue: napi('string', (v) => typeof v === 'string'),
  NumberValue: napi('number', (v) => typeof v === 'number'),
  BooleanValue: napi('boolean', (v) => typeof v === 'boolean'),
  BigIntValue: napi('bigint', (v) => typeof v === 'bigint'),
  SymbolValue: napi('symbol', (v) => typeof v === 'symbol'),
  NameValue: napi('string or symbol', (v) => typeof v === 'string' || typeof v === 'symbol'),
  Promise: napi('Promise', (v) => types.isPromise(v) && !proxies.has(v)),
  ArrayBuffer: napi('ArrayBuffer', (v) => types.isArrayBuffer(v) && !proxies.has(v)),
  TypedArray: napi('TypedArray', (v) => types.isTypedArray(v) && !proxies.has(v)),
  Uint8Array: napi('Uint8Array', typedArrayOf('Uint8Array', ['Uint8ClampedArray'])),
  Float64Array: napi('Float64Array', typedArrayOf('Float64Array')),
  BigInt64Array: napi('BigInt64Array', typedArrayOf('BigInt64Array')),
  Buffer: napi('Uint8Array', typedArrayOf('Uint8Array', ['Uint8ClampedArray'])),
  DataView: napi('DataView', (v) => types.isDataView(v) && !proxies.has(v)),
  Date: napi('Date', (v) => types.isDate(v) && !proxies.has(v)),
  External: napi('external', (v) => isExternal(v)),
  Point: POINT,
  Points: vec(POINT),
  PointMap: map(vec(POINT)),
  Color: { kind: 'color' },
  Tree: { kind: 'tree' },
  VectorValue: vec(napi('', () => true)),
  VectorMonostate: vec({ kind: 'exact', value: undefined, expected: 'undefined' }),
  Chain: { kind: 'chain' },
};
for (const name of Object.keys(L)) T[name] = int(name);

const tooLong = (path, n) => rangeFail(`array of at most ${maxElements} elements`, path, `${n} elements`);

// What to_js(from_js<T>(v)) gives, or throws Expected / the JS error reading v throws. `depth`
// counts the cx.convert calls running around this one (every nested conversion is one, path step
// or not).
function model(type, v, path, depth = 0) {
  if (depth >= MAX_DEPTH) {
    throw rangeFail(`at most ${MAX_DEPTH} levels of nesting`, path, 'more');
  }
  const inner = depth + 1;
  switch (type.kind) {
    case 'bool':
      if (typeof v !== 'boolean') throw typeFail('boolean', path, v);
      return v;
    case 'int': {
      const wide = type.max > MAX_SAFE;
      const range = `integer from ${type.min} to ${type.max}`;
      let b;
      if (wide && typeof v === 'bigint') {
        b = v;
        if (b < type.min || b > type.max) throw rangeFail(range, path, `${v}n`);
      } else {
        if (typeof v !== 'number') throw typeFail(wide ? 'number or bigint' : 'number', path, v);
        if (!Number.isInteger(v) || BigInt(v) < type.min || BigInt(v) > type.max) {
          throw rangeFail(range, path, String(v));
        }
        b = BigInt(v);
      }
      return b > MAX_SAFE || b < -MAX_SAFE ? b : Number(b);  // -0 comes back as 0
    }
    case 'double':
      if (typeof v !== 'number') throw typeFail('number', path, v);
      return v;
    case 'float':
      if (typeof v !== 'number') throw typeFail('number', path, v);
      if (Number.isFinite(v) && Math.abs(v) >= FLOAT_OVERFLOW) {
        throw rangeFail('number within float range', path, String(v));
      }
      return Math.fround(v);
    case 'string':
      if (typeof v !== 'string') throw typeFail('string', path, v);
      return v.toWellFormed();
    case 'u16string':
      if (typeof v !== 'string') throw typeFail('string', path, v);
      return v;
    case 'exact':
      if (v !== type.value) throw typeFail(type.expected, path, v);
      return v;
    case 'optional':
      return v === undefined || v === null ? undefined : model(type.of, v, path, inner);
    case 'vector': {
      if (!isRealArray(v)) throw typeFail('array', path, v);
      if (v.length > maxElements) throw tooLong(path, v.length);
      const out = [];
      for (let i = 0, n = v.length; i < n; i++) out.push(model(type.of, v[i], [...path, i], inner));
      return out;
    }
    case 'tuple': {
      if (!isRealArray(v)) throw typeFail('array', path, v);
      if (v.length !== type.of.length) {
        throw new Expected(TypeError, message(`array of length ${type.of.length}`, path, `array of length ${v.length}`));
      }
      return type.of.map((t, i) => model(t, v[i], [...path, i], inner));
    }
    case 'bytes': {
      if (types.isTypedArray(v) && !proxies.has(v)) {
        if (!(v instanceof Uint8Array || v instanceof Uint8ClampedArray)) throw typeFail('Uint8Array or array', path, v);
        return Buffer.from(v.buffer, v.byteOffset, v.length);
      }
      if (!isRealArray(v)) throw typeFail('Uint8Array or array', path, v);
      if (v.length > maxElements) throw tooLong(path, v.length);
      const byte = int('Uint8');
      const out = [];
      for (let i = 0, n = v.length; i < n; i++) out.push(model(byte, v[i], [...path, i], inner));
      return Buffer.from(out);
    }
    case 'map': {
      if (napiType(v) !== 'object' || isRealArray(v)) throw typeFail('plain object', path, v);
      if (!proxies.has(v)) {
        const proto = Object.getPrototypeOf(v);
        if (proto !== null && proto !== Object.prototype) {
          const got = typeName(v);
          throw new Expected(TypeError, message('plain object', path, got === 'object' ? 'class instance' : got));
        }
      }
      const keys = Object.keys(v);
      if (keys.length > maxElements) {
        throw rangeFail(`plain object of at most ${maxElements} keys`, path, `${keys.length} keys`);
      }
      const entries = [];
      for (const key of keys) {
        if (inner >= MAX_DEPTH) throw rangeFail(`at most ${MAX_DEPTH} levels of nesting`, path, 'more');  // the key's own conversion
        entries.push([key.toWellFormed(), model(type.of, v[key], [...path, key], inner)]);
      }
      return Object.fromEntries(entries);  // own data properties; a later colliding key wins
    }
    case 'napi':
      if (!type.check(v)) throw typeFail(type.expected, path, v);
      return v;
    case 'point': {
      if (!isObjectLike(v)) throw typeFail('object', path, v);
      return { x: model(D, v.x, [...path, 'x'], inner), y: model(D, v.y, [...path, 'y'], inner), label: model(S, v.label, [...path, 'label'], inner) };
    }
    case 'color': {
      const name = model(S, v, path, inner);
      if (name !== 'red' && name !== 'green') throw rangeFail('"red" or "green"', path, `"${name}"`);
      return name;
    }
    case 'tree': {
      if (!isObjectLike(v)) throw typeFail('object', path, v);
      return { children: model(vec(type), v.children, [...path, 'children'], inner) };
    }
    case 'chain': {  // reads `next` itself: a level with no path step
      if (napiType(v) !== 'object') throw typeFail('object', path, v);
      const rest = model(opt(type), v.next, path, inner);
      return 1 + (rest === undefined ? 0 : rest);
    }
    default:
      throw new Error(`no model for ${type.kind}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Generators.

function makeGen(rng) {
  const edgeNumbers = [0, -0, 1, -1, 0.5, 1.5, -1.5, NaN, Infinity, -Infinity, 127, 128, -128, -129, 255, 256,
    32767, 32768, 65535, 65536, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32 - 1, 2 ** 32,
    2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 2 ** 63, -(2 ** 63), 2 ** 64, 1e21, 1e300, -1e300,
    Number.MAX_VALUE, Number.MIN_VALUE, 5e-324, 1e-7, 3.4028234663852886e38, FLOAT_OVERFLOW, 3.5e38];
  const edgeBigInts = [0n, 1n, -1n, MAX_SAFE, MAX_SAFE + 1n, 2n ** 63n - 1n, 2n ** 63n, -(2n ** 63n),
    -(2n ** 63n) - 1n, 2n ** 64n - 1n, 2n ** 64n, 2n ** 200n, -(2n ** 200n)];
  const pieces = ['a', 'Z', '0', ' ', '\0', 'é', '😀', '\uD800', '\uDFFF', '\u2028', '"', '\\', '\n', 'red', 'green', 'x', '$'];
  const keys = ['a', 'b', 'x', 'y', 'label', 'children', 'k', 'a b', '', '0', '7', '__proto__', 'q"\n', '😀', '\uD800', 'constructor'];
  const typedArrays = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
    Float32Array, Float64Array, BigInt64Array, BigUint64Array];
  const external = convert.made().external;
  madeExternals.add(external);
  class Thing { constructor() { this.x = 1; } }

  function number() {
    switch (rng.int(4)) {
      case 0: return rng.pick(edgeNumbers);
      case 1: return rng.int(512) - 256;
      case 2: return (rng.next() - 0.5) * 2 ** rng.int(70);
      default: {
        const view = new DataView(new ArrayBuffer(8));
        view.setUint32(0, rng.int(2 ** 32));
        view.setUint32(4, rng.int(2 ** 32));
        return view.getFloat64(0);
      }
    }
  }
  function bigint() {
    return rng.chance(0.6) ? rng.pick(edgeBigInts) : BigInt(rng.int(2 ** 31)) * BigInt(rng.int(2 ** 31)) * (rng.chance(0.5) ? -1n : 1n);
  }
  function string() {
    let s = '';
    for (let i = rng.int(6); i > 0; i--) s += rng.pick(pieces);
    return s;
  }
  function trapError() {
    const e = rng.chance(0.8) ? new Error(`trap ${rng.int(1000)}`) : new RangeError('trap');
    trapErrors.add(e);
    return e;
  }
  function proxy(target, depth) {
    const handler = {};
    if (rng.chance(0.5)) {
      const trap = rng.pick(['get', 'ownKeys', 'getOwnPropertyDescriptor', 'has']);
      const e = trapError();
      handler[trap] = () => { throw e; };
    }
    let t = target === undefined ? value(depth + 1) : target;
    if (!isObjectLike(t)) t = rng.chance(0.5) ? [t] : { x: t };
    const p = new Proxy(t, handler);
    proxies.add(p);
    return p;
  }

  // Any JS value.
  function value(depth = 0) {
    const leaf = depth > 3;
    switch (rng.int(leaf ? 8 : 22)) {
      case 0: case 1: return number();
      case 2: return string();
      case 3: return rng.chance(0.5);
      case 4: return rng.pick([null, undefined]);
      case 5: return bigint();
      case 6: return rng.pick([Symbol('s'), Symbol.iterator, () => 1, function named() {}, external]);
      case 7: return rng.pick([new Date(0), Promise.resolve(1), new Map([['a', 1]]), new Set([1]), new Thing(),
        new Number(1), new String('s'), new ArrayBuffer(2), new DataView(new ArrayBuffer(2)), Object.create({ a: 1 }),
        /re/, new Error('e'), new SharedArrayBuffer(2), new Uint8Array(new SharedArrayBuffer(3))]);
      case 8: case 9: case 10: {
        const a = [];
        for (let i = rng.int(5); i > 0; i--) a.push(value(depth + 1));
        return a;
      }
      case 11: {
        const a = [];
        a[rng.int(6)] = value(depth + 1);  // sparse
        return a;
      }
      case 12: case 13: case 14: {
        const o = rng.chance(0.2) ? Object.create(null) : {};
        for (let i = rng.int(4); i > 0; i--) Object.defineProperty(o, rng.pick(keys), { value: value(depth + 1), enumerable: rng.chance(0.9), configurable: true, writable: true });
        if (rng.chance(0.1)) o[Symbol('k')] = 1;
        return o;
      }
      case 15: {
        const Ctor = rng.pick(typedArrays);
        const n = rng.int(5);
        const offset = rng.int(3) * 8;
        const ta = new Ctor(new ArrayBuffer(offset + n * 8), offset, n);
        for (let i = 0; i < n; i++) ta[i] = Ctor.name.startsWith('Big') ? BigInt(rng.int(300)) : rng.int(300);
        return rng.chance(0.2) ? Buffer.from(ta.buffer, offset, n) : ta;
      }
      case 16: return proxy(undefined, depth);
      case 17: {  // cyclic
        if (rng.chance(0.5)) {
          const a = [1];
          a.push(a);
          return a;
        }
        const o = { x: 1, children: [] };
        o.self = o;
        o.children.push(o);
        return o;
      }
      case 18: {  // a getter that throws or returns
        const o = {};
        const key = rng.pick(keys);
        const e = trapError();
        const v = value(depth + 1);
        Object.defineProperty(o, key, { get: rng.chance(0.5) ? () => { throw e; } : () => v, enumerable: true, configurable: true });
        return o;
      }
      case 19: {  // revoked proxy
        const { proxy: p, revoke } = Proxy.revocable({}, {});
        revoke();
        proxies.add(p);
        return p;
      }
      default: return shaped(rng.pick(Object.values(T)), depth + 1);
    }
  }

  // A value mostly of `type`'s shape, sometimes with a random value in its place.
  function shaped(type, depth = 0) {
    if (depth > 6 || rng.chance(0.08)) return value(7);
    switch (type.kind) {
      case 'bool': return rng.chance(0.5);
      case 'int': {
        const span = type.max - type.min;
        switch (rng.int(4)) {
          case 0: return Number(type.min);
          case 1: return rng.chance(0.5) && type.max > MAX_SAFE ? type.max : Number(type.max);
          case 2: return Number(type.min + (BigInt(rng.int(2 ** 30)) * span) / (2n ** 30n));
          default: return rng.int(200) - (type.min < 0n ? 100 : 0);
        }
      }
      case 'double': case 'float': return number();
      case 'string': case 'u16string': return string();
      case 'exact': return type.value;
      case 'optional': return rng.chance(0.3) ? rng.pick([null, undefined]) : shaped(type.of, depth + 1);
      case 'vector': {
        const a = [];
        for (let i = rng.int(4); i > 0; i--) a.push(shaped(type.of, depth + 1));
        return a;
      }
      case 'tuple': return type.of.map((t) => shaped(t, depth + 1));
      case 'bytes': return rng.chance(0.5) ? Buffer.from([rng.int(256), rng.int(256)]) : [rng.int(260), rng.int(256)];
      case 'map': {
        const o = rng.chance(0.2) ? Object.create(null) : {};
        for (let i = rng.int(4); i > 0; i--) Object.defineProperty(o, rng.pick(keys), { value: shaped(type.of, depth + 1), enumerable: true, configurable: true, writable: true });
        return rng.chance(0.1) ? proxy(o, depth) : o;
      }
      case 'point': {
        const p = { x: number(), y: rng.int(10), label: string() };
        return rng.chance(0.1) ? proxy(p, depth) : p;
      }
      case 'color': return rng.pick(['red', 'green', 'blue', string()]);
      case 'tree': return { children: Array.from({ length: rng.int(3) }, () => shaped(type, depth + 1)) };
      case 'chain': return { next: rng.chance(0.6) ? shaped(type, depth + 1) : rng.pick([undefined, null]) };
      case 'napi': return value(depth + 1);
      default: return value(depth + 1);
    }
  }
  return { value, shaped };
}


// Hostile values, each a factory: reading one may change it, so the model and the addon each get
// their own. A trap's error is made once per factory, so both runs throw the same object.
function hostileFactories(rng) {
  const gen = makeGen(rng);
  const trapError = () => {
    const e = new Error(`hostile trap ${rng.int(1000)}`);
    trapErrors.add(e);
    return e;
  };
  const proxied = (target, handler) => {
    const p = new Proxy(target, handler);
    proxies.add(p);
    return p;
  };
  const chainOf = (n, end) => {
    let c = end;
    for (let i = 0; i < n; i++) c = { next: c };
    return c;
  };
  const list = [];
  const add = (label, make) => list.push([label, make]);

  // Just over a large limit only in dictionary mode: a 2^24-length array takes V8 ~0.6 s to make.
  const huge = rng.pick([2 ** 32 - 1, 2 ** 31, ...(maxElements < 1e6 ? [maxElements + 1, maxElements + rng.int(1000) + 1] : [])]);
  add(`holey array of length ${huge}`, () => {
    const a = [];
    a.length = huge;
    return a;
  });
  const fill = gen.shaped(rng.pick(Object.values(T)));
  add(`array of length ${huge} with a throwing getter at 0`, ((e) => () => {
    const a = [fill];
    Object.defineProperty(a, 0, { get() { throw e; }, enumerable: true });
    a.length = huge;
    return a;
  })(trapError()));
  const within = Math.min(maxElements, 1 + rng.int(40));
  const at = rng.int(within);
  const item = gen.shaped(rng.pick(Object.values(T)));
  add(`holey array of length ${within} with one item at ${at}`, () => {
    const a = [];
    a.length = within;
    a[at] = item;
    return a;
  });
  const items = Array.from({ length: 2 + rng.int(6) }, () => (rng.chance(0.5) ? rng.int(9) : gen.shaped(rng.pick(Object.values(T)))));
  const keep = rng.int(items.length);
  add(`array whose getter shrinks it to ${keep + 1}`, () => {
    const a = items.slice();
    const first = a[keep];
    Object.defineProperty(a, keep, { get() { a.length = keep + 1; return first; }, enumerable: true });
    return a;
  });
  add('array whose getter grows it', () => {
    const a = items.slice();
    Object.defineProperty(a, 0, { get() { a.push(1, 'x', null); return items[0]; }, enumerable: true });
    return a;
  });
  const traps = ['get', 'ownKeys', 'getOwnPropertyDescriptor', 'has', 'getPrototypeOf', 'set', 'defineProperty', 'deleteProperty'];
  const trap = rng.pick(traps);
  const target = rng.pick([() => ({ x: 1, y: 2, label: 'a', children: [], next: undefined }), () => [1, 2, 3], () => function f() {}]);
  add(`Proxy with a throwing ${trap} trap`, ((e) => () => proxied(target(), { [trap]() { throw e; } }))(trapError()));
  const revokeFunction = rng.chance(0.5);
  add(`revoked Proxy of ${revokeFunction ? 'a function' : 'an object'}`, () => {
    const { proxy, revoke } = Proxy.revocable(revokeFunction ? () => 1 : {}, {});
    revoke();
    proxies.add(proxy);
    return proxy;
  });
  add('cyclic chain', () => {
    const c = {};
    c.next = c;
    return c;
  });
  const length = 400 + rng.int(2600);
  const end = rng.pick([undefined, null]);
  add(`chain of ${length} links`, () => chainOf(length, end));
  add('cyclic tree', () => {
    const t = { children: [] };
    t.children.push(t);
    return t;
  });
  add('chain ending in a throwing getter', ((e) => () => chainOf(3, { get next() { throw e; } }))(trapError()));
  const keyCount = maxElements < 1000 ? maxElements + 1 + rng.int(20) : 1 + rng.int(20);
  const value = rng.chance(0.5) ? rng.int(9) : gen.shaped(rng.pick(Object.values(T)));
  add(`object with ${keyCount} keys`, () => {
    const o = {};
    for (let i = 0; i < keyCount; i++) o[`k${i}`] = value;
    return o;
  });
  add(`Proxy whose ownKeys reports ${keyCount} keys`, () => proxied({}, {
    ownKeys: () => Array.from({ length: keyCount }, (_, i) => `k${i}`),
    getOwnPropertyDescriptor: () => ({ value, enumerable: true, configurable: true, writable: true }),
  }));
  return list;
}

// ---------------------------------------------------------------------------------------------

function show(v) {
  try {
    return require('node:util').inspect(v, { depth: 4, breakLength: Infinity, maxArrayLength: 10 });
  } catch (e) {
    return `<uninspectable: ${e.message}>`;
  }
}

// `fresh`, when given, builds the input anew for the model and again for the addon (reading a hostile
// value may change it); `input` is then only what failure messages show.
function check(name, input, where, fresh) {
  const modelInput = fresh ? fresh() : input;
  let expected;
  let expectedThrow;
  try {
    expected = model(T[name], modelInput, []);
  } catch (e) {
    expectedThrow = e;
  }
  const actualInput = fresh ? fresh() : input;
  let actual;
  let actualThrow;
  let threw = false;
  try {
    actual = convert.roundtrip[name](actualInput);
  } catch (e) {
    threw = true;
    actualThrow = e;
  }
  const context = `${where}: ${name}(${show(input)})`;
  if (expectedThrow === undefined) {
    assert.equal(threw, false, `${context} threw ${threw && show(actualThrow)}`);
    // A value passed through is the addon's own input (a hostile one must not be walked).
    if (expected === modelInput && isObjectLike(expected)) assert.equal(actual, actualInput, context);
    else assert.deepStrictEqual(actual, expected, context);
    return 'ok';
  }
  assert.ok(threw, `${context} returned ${show(actual)}, expected ${show(expectedThrow)}`);
  if (expectedThrow instanceof Expected) {
    const Class = expectedThrow.Class;
    assert.ok(actualThrow instanceof Class, `${context}: expected ${Class.name}, got ${show(actualThrow)}`);
    assert.equal(actualThrow.message, expectedThrow.message, context);
    assert.match(actualThrow.message, /^expected .+, got .+$/s, context);
    assert.equal(actualThrow.code, Class === TypeError ? 'ERR_INVALID_ARG_TYPE' : 'ERR_OUT_OF_RANGE', context);
    if (Class === RangeError) {
      const limit = / of at most \d+ (elements|keys)|levels of nesting/.exec(actualThrow.message);
      if (limit) return `RangeError: ${limit[1] || 'depth'}`;
    }
    return Class.name;
  }
  if (trapErrors.has(expectedThrow)) {
    assert.equal(actualThrow, expectedThrow, `${context}: expected the trap's own error, got ${show(actualThrow)}`);
    return 'trap';
  }
  // V8's own errors (a revoked Proxy): a fresh object each time, so compare class and message.
  assert.equal(actualThrow?.constructor, expectedThrow.constructor, context);
  assert.equal(actualThrow.message, expectedThrow.message, context);
  return 'js';
}

describe(`convert.h fuzz [${addon.variant}]`, () => {
  it(`agrees with the contract's model for ${ITERATIONS} random values × every type (seed ${SEED})`, function () {
    this.timeout(120000);
    const rng = prng(SEED);
    const gen = makeGen(rng);
    const names = Object.keys(T);
    for (const name of names) assert.equal(typeof convert.roundtrip[name], 'function', name);
    const outcomes = {};
    for (let i = 0; i < ITERATIONS; i++) {
      const input = rng.chance(0.5) ? gen.value() : gen.shaped(T[rng.pick(names)]);
      for (const name of names) {
        let outcome;
        try {
          outcome = check(name, input, `seed ${SEED} (NAPIX_FUZZ_SEED=${SEED}), iteration ${i}`);
        } catch (e) {
          e.message = `[NAPIX_FUZZ_SEED=${SEED}] ${e.message}`;
          throw e;
        }
        outcomes[outcome] = (outcomes[outcome] || 0) + 1;
      }
    }
    // The generator must reach every kind of outcome, or the test proves little.
    for (const kind of ['ok', 'TypeError', 'RangeError', 'trap', 'js']) {
      assert.ok(outcomes[kind] > 0, `no ${kind} outcome in ${JSON.stringify(outcomes)}`);
    }
  });

  // Never a crash, a hang or a silent wrong value: every outcome is the model's, every failure a
  // TypeError or RangeError (or the trap's own error, or V8's TypeError for a revoked Proxy).
  const ROUNDS = Math.max(10, Math.ceil(ITERATIONS / 20));
  for (const [label, limit] of [['the default limit', undefined], ['a global limit of 16', 16]]) {
    it(`survives hostile values under ${label}: ${ROUNDS} rounds × every factory × every type (seed ${SEED})`, function () {
      this.timeout(300000);
      const rng = prng(SEED ^ (limit || 0x7a11));
      const names = Object.keys(T);
      const outcomes = {};
      const saved = convert.getLimits();
      try {
        if (limit !== undefined) convert.setLimits({ maxElements: limit });
        maxElements = convert.getLimits().maxElements;
        for (let round = 0; round < ROUNDS; round++) {
          for (const [what, make] of hostileFactories(rng)) {
            for (const name of names) {
              let outcome;
              try {
                outcome = check(name, what, `seed ${SEED} (NAPIX_FUZZ_SEED=${SEED}), hostile round ${round}, ${what}`, make);
              } catch (e) {
                e.message = `[NAPIX_FUZZ_SEED=${SEED}] ${e.message}`;
                throw e;
              }
              outcomes[outcome] = (outcomes[outcome] || 0) + 1;
            }
          }
        }
      } finally {
        convert.setLimits(saved);
        maxElements = saved.maxElements;
      }
      for (const kind of ['ok', 'TypeError', 'RangeError: elements', 'RangeError: depth', 'trap', 'js'].concat(limit ? ['RangeError: keys'] : [])) {
        assert.ok(outcomes[kind] > 0, `no ${kind} outcome in ${JSON.stringify(outcomes)}`);
      }
    });
  }
});
