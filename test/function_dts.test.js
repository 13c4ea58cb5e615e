'use strict';
// napix-dts: the .d.ts of the test addon (a NAPIX_MODULE), and `tsc --noEmit` on TypeScript that
// uses it — right usage type-checks, wrong usage fails with the errors TypeScript should give.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const addon = require('./addon');

const root = path.join(__dirname, '..');
const dtsBin = path.join(root, 'bin', 'napix-dts.js');
const tscBin = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');

// Writes `files` into a fresh directory with the addon's declarations as addon.d.ts, runs tsc on
// `main`, returns {status, output}.
function typeCheck(dir, main) {
  fs.writeFileSync(path.join(dir, `tsconfig.${main}.json`), JSON.stringify({
    compilerOptions: {
      strict: true, noEmit: true, target: 'es2020', module: 'commonjs', lib: ['es2020', 'dom'], types: [],
    },
    files: [`${main}.ts`],
  }));
  const r = spawnSync(process.execPath, [tscBin, '-p', path.join(dir, `tsconfig.${main}.json`)], {
    cwd: dir, encoding: 'utf8', timeout: 120000,
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe(`napix-dts [${addon.variant}]`, function () {
  this.timeout(180000);
  let dir;
  let dts;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'napix-dts-'));
    const r = spawnSync(process.execPath, [dtsBin, addon.file, '-o', path.join(dir, 'addon.d.ts')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    dts = fs.readFileSync(path.join(dir, 'addon.d.ts'), 'utf8');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('declares each def, def_async and set with its C++ types', () => {
    const lines = dts.split('\n');
    const has = (line) => assert.ok(lines.includes(line), `missing: ${line}\n--- got:\n${dts}`);
    has('export declare const exceptions: boolean;');
    has('export declare const napixVersion: string;');
    has('export declare function fnAdd(arg1: number, arg2: number): number;');
    has('export declare function fnAddLater(arg1: number, arg2: number): Promise<number>;');
    has('export declare const fnAnswer: number;');
    has('export declare const fnLimits: Record<string, number | bigint>;');
    has('export declare const fn: {');
    has('  idBool(arg1: boolean): boolean;');
    has('  idInt64(arg1: number | bigint): number | bigint;');
    has('  idString(arg1: string): string;');
    has('  idVector(arg1: number[]): number[];');
    has('  idBytes(arg1: Uint8Array | number[]): Uint8Array;');
    has('  idArray(arg1: [number, number, number]): [number, number, number];');
    has('  idTuple(arg1: [number, string, boolean]): [number, string, boolean];');
    has('  idMap(arg1: Record<string, number>): Record<string, number>;');
    has('  idUnorderedMap(arg1: Record<string, string[]>): Record<string, string[]>;');
    has('  idOptional(arg1?: number | null): number | undefined;');
    has('  idValue(arg1: unknown): unknown;');
    has('  idSize(arg1: { width: number; height: number }): { width: number; height: number };');
    has('  idOpaque(arg1: unknown): unknown;');
    has('  greet(arg1: string, arg2?: string | null): string;');
    has('  middleOptional(arg1: number | null | undefined, arg2: number): number;');
    has('  passThrough(arg1: unknown, arg2: number): unknown[];');
    has('  nothing(): void;');
    has('  checked(arg1: number): number;');
    has('  countTo(arg1: number, options?: { signal?: AbortSignal | null; onProgress?: ((value: any) => void) | null }): Promise<number>;');
    has('  nothingAsync(): Promise<void>;');
    assert.ok(!dts.includes('joinThreads'), 'functions not defined through napix::Module are not declared');
  });

  it('the module itself works without the declarations (the key is not enumerable)', () => {
    assert.ok(!Object.keys(addon).some((k) => k.includes('napix.signatures')));
  });

  it('TypeScript using the declarations right type-checks', () => {
    fs.writeFileSync(path.join(dir, 'good.ts'), `import * as addon from './addon';
const sum: number = addon.fnAdd(1, 2);
const later: Promise<number> = addon.fnAddLater(1, 2);
const answer: number = addon.fnAnswer;
const exceptions: boolean = addon.exceptions;
const big: number | bigint = addon.fn.idInt64(5n);
const greeting: string = addon.fn.greet('ann');
const greeting2: string = addon.fn.greet('ann', null);
const size: { width: number; height: number } = addon.fn.idSize({ width: 1, height: 2 });
const map: Record<string, number> = addon.fn.idMap({ a: 1 });
const tuple: [number, string, boolean] = addon.fn.idTuple([1, 'a', true]);
const bytes: Uint8Array = addon.fn.idBytes(new Uint8Array(2));
const maybe: number | undefined = addon.fn.idOptional();
const counted: Promise<number> = addon.fn.countTo(3, { signal: new AbortController().signal, onProgress: (v: number) => {} });
const opaque: unknown = addon.fn.idOpaque(1);
addon.fn.nothing();
export { sum, later, answer, exceptions, big, greeting, greeting2, size, map, tuple, bytes, maybe, counted, opaque };
`);
    const r = typeCheck(dir, 'good');
    assert.equal(r.status, 0, r.output);
  });

  it('TypeScript using them wrong fails to type-check, with the expected errors', () => {
    fs.writeFileSync(path.join(dir, 'bad.ts'), `import * as addon from './addon';
addon.fnAdd('1', 2);
addon.fn.greet();
const s: string = addon.fnAdd(1, 2);
const p: number = addon.fnAddLater(1, 2);
addon.fn.idTuple([1, 2, true]);
addon.fn.countTo(1, { signal: 5 });
export { s, p };
`);
    const r = typeCheck(dir, 'bad');
    assert.notEqual(r.status, 0, r.output);
    for (const [line, code] of [[2, 'TS2345'], [3, 'TS2554'], [4, 'TS2322'], [5, 'TS2322'], [6, 'TS2322'], [7, 'TS2322']]) {
      assert.match(r.output, new RegExp(`bad\\.ts\\(${line},\\d+\\): error ${code}`), r.output);
    }
  });

  it('prints usage for a wrong command line and fails for an addon without signatures', () => {
    const usage = spawnSync(process.execPath, [dtsBin], { encoding: 'utf8' });
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /usage: napix-dts/);
    const none = path.join(dir, 'plain.js');
    fs.writeFileSync(none, 'module.exports = { a: 1 };');
    const r = spawnSync(process.execPath, [dtsBin, none], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /records no napix signatures/);
  });
});
