'use strict';
// What a consumer's build needs to find napix: node-gyp users depend on `${gyp}:napix` (exceptions
// off) or `${gyp}:napix_except`; CMake/cmake-js users add `include_dir` to their include path.
const path = require('path');
const { version } = require('./package.json');

const includeDir = path.join(__dirname, 'include');
const gyp = path.join(__dirname, 'napix.gyp');

module.exports = {
  include_dir: includeDir,
  gyp,
  // node-addon-api spells the same thing `targets`; keep both so either habit works.
  targets: gyp,
  version,
};
