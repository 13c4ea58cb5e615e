'use strict';
// Shared by the test runners (test.js, matrix.js, sanitize.js, valgrind.js): `--name=value`
// options and the per-suite tally that ends in one closing line `N passed, M failed[, K skipped]`.

function option(name, argv = process.argv.slice(2)) {
  const a = argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : null;
}

class Summary {
  constructor() {
    this.totals = { passed: 0, failed: 0, skipped: 0 };
    this.lines = [];
  }

  record(suite, passed, failed, skipped = 0, note = '') {
    this.totals.passed += passed;
    this.totals.failed += failed;
    this.totals.skipped += skipped;
    this.lines.push(`  ${suite}: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}${note ? ` (${note})` : ''}`);
  }

  // Prints the suites and the closing line, and fails the process when anything failed.
  finish(title) {
    const { passed, failed, skipped } = this.totals;
    console.log(`\n=== ${title}`);
    for (const l of this.lines) console.log(l);
    console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
    process.exitCode = failed ? 1 : 0;
  }
}

module.exports = { option, Summary };
