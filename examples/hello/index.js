'use strict';
// Calls the ten-line addon, checks its results and errors, and prints its TypeScript declarations
// the way `npx napix-dts build/Release/addon.node` does.
const assert = require('assert');
const path = require('path');
const addon = require('./build/Release/addon.node');
const { declarations } = require('napix/bin/napix-dts.js');

async function main() {
  assert.strictEqual(addon.add(1, 2), 3);
  assert.strictEqual(addon.greet('napix'), 'Hello, napix');
  assert.strictEqual(await addon.sum([1, 2, 3.5]), 6.5);

  // Arguments are checked: a TypeError names the argument (an async function rejects).
  assert.throws(() => addon.add(1, 'two'), { name: 'TypeError', message: 'argument 2: expected number, got string' });
  await assert.rejects(addon.sum([1, 'x']), { name: 'TypeError', message: 'argument 1: expected number at [1], got string' });
  console.log('add, greet and sum checked');

  const dts = declarations(addon, path.basename('addon.node'));
  process.stdout.write(dts);
  assert.ok(dts.includes('export declare function add(arg1: number, arg2: number): number;'));
  assert.ok(dts.includes('export declare function greet(arg1: string): string;'));
  assert.ok(dts.includes('export declare function sum(arg1: number[]): Promise<number>;'));
  console.log('ok: results, errors and declarations checked');
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
