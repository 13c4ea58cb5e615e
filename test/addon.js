'use strict';
// The test addon of the variant under test: scripts/test.js runs mocha once per variant.
const path = require('path');

const variant = process.env.NAPIX_TEST_VARIANT || 'except';
const file = path.join(__dirname, '..', 'build', 'Release', `napix_test_${variant}.node`);
const addon = require(file);

module.exports = addon;
module.exports.variant = variant;
module.exports.file = file;
