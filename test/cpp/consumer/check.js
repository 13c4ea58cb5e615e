'use strict';
// Loads the consumer addon built by consumer_test.cmake and checks that it works.
const addon = require(process.argv[2]);
const s = addon.hello('napix');
if (s !== 'hello napix') {
  console.error(`expected 'hello napix', got ${JSON.stringify(s)}`);
  process.exit(1);
}
console.log(`${s} (napix ${addon.version})`);
