'use strict';
// When a CMake build tree needs `cmake -S <src> -B <dir>` before `cmake --build <dir>`. Shared by
// test.js (build-cpp) and sanitize.js (build-cpp-tsan).
//
// CMake writes CMakeCache.txt early and keeps it when the configure fails; the build files
// (Makefile, build.ninja, ...) appear only once it succeeds. So "configure when CMakeCache.txt is
// missing" never repairs a tree whose first configure failed (e.g. run once without Catch2):
// every later build then fails with "gmake: Makefile: No such file or directory".
const fs = require('fs');
const path = require('path');

// The generator the cache records (CMAKE_GENERATOR:INTERNAL=...), or null.
function cachedGenerator(dir) {
  let text;
  try { text = fs.readFileSync(path.join(dir, 'CMakeCache.txt'), 'utf8'); } catch { return null; }
  const m = /^CMAKE_GENERATOR:INTERNAL=(.*)$/m.exec(text);
  return m ? m[1].trim() : null;
}

// Whether the file the build tool reads exists for `generator` (null: a generator not known here).
function hasBuildFiles(dir, generator) {
  if (/Ninja/.test(generator)) return fs.existsSync(path.join(dir, 'build.ninja'));
  if (/Makefiles/.test(generator)) return fs.existsSync(path.join(dir, 'Makefile'));
  let entries = [];
  try { entries = fs.readdirSync(dir); } catch { return false; }
  if (/Visual Studio/.test(generator)) return entries.some((e) => e.endsWith('.sln'));
  if (/Xcode/.test(generator)) return entries.some((e) => e.endsWith('.xcodeproj'));
  return null;
}

// The reason `dir` needs a configure, or '' when `cmake --build` can run as it is.
function configureReason(dir) {
  if (!fs.existsSync(path.join(dir, 'CMakeCache.txt'))) return 'no CMakeCache.txt';
  const generator = cachedGenerator(dir);
  if (!generator) return 'CMakeCache.txt names no generator (the last configure failed)';
  const built = hasBuildFiles(dir, generator);
  if (built === null) return `generator ${generator} not known here: configure to be safe`;
  if (!built) return `no build files for ${generator} (the last configure failed)`;
  return '';
}

function needsConfigure(dir) {
  return configureReason(dir) !== '';
}

module.exports = { needsConfigure, configureReason, cachedGenerator };
