'use strict';
// The specs that do not run on Bun or Deno, by exact name, each with the runtime gap that stops it
// (a section of doc/compat.md, "Bun and Deno"). scripts/mocha.js marks them pending on that runtime
// only and prints each one with its reason; a name that matches no spec fails the run.
//
// `spec` is the spec's full title with the describe's variant tag (` [except]`, ` [noexcept]`) left
// out; `variants` limits an entry to one addon variant (default: both).

// Which runtime runs this process.
const runtime = process.versions.bun ? 'bun' : process.versions.deno ? 'deno' : 'node';

function specName(fullTitle, variant) {
  return fullTitle.split(` [${variant}]`).join('');
}

const compat = (section) => `doc/compat.md#${section}`;

const skips = {
  bun: [],
  deno: [],
};

function skipsFor(rt, variant) {
  return (skips[rt] || []).filter((s) => !s.variants || s.variants.includes(variant));
}

module.exports = { runtime, specName, skipsFor, skips, compat };
