'use strict';
// Loads the consumer addon built by consumer_test.cmake and checks that it works.
const addon = require(process.argv[2]);
const s = addon.hello('napix');
if (s !== 'hello napix') {
  console.error(`expected 'hello napix', got ${JSON.stringify(s)}`);
  process.exit(1);
}
// A documented misuse reaches JS as an Error (NODE_ADDON_API_CPP_EXCEPTIONS_ALL), not an abort.
let caught = null;
try { addon.misuse(); } catch (e) { caught = e; }
if (!(caught instanceof Error) || !/Result::value\(\) called on a Result holding an error/.test(caught.message)) {
  console.error(`expected misuse() to throw the napix logic_error as an Error, got ${caught}`);
  process.exit(1);
}
console.log(`${s} (napix ${addon.version})`);
