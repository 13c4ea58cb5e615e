'use strict';
// `npm run test:sanitize`: the mocha suite against a test addon built with AddressSanitizer +
// UndefinedBehaviorSanitizer (LeakSanitizer on), and the Catch2 unit tests of napix's internals
// under ThreadSanitizer. Any sanitizer report fails the run. Ends with `N passed, M failed`.
//
// Everything is built in a scratch copy of the working tree (.cache/sanitize/tree: the files git
// tracks plus untracked, non-ignored ones, as they are on disk), never in ./build, so it does not
// disturb a concurrent `npm test`. node itself is not instrumented: the sanitizer runtimes are
// LD_PRELOADed, and every process (mocha and the fixtures the specs spawn) writes its reports to
// .cache/sanitize/reports/, which this script reads afterwards.
//   --only=js | --only=cpp     run one half
//   --variant=except|noexcept  one addon variant
//   NAPIX_TEST_FILES / NAPIX_TEST_GREP as for `npm test`
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { option, Summary } = require('./lib/summary');
const { configureReason } = require('./lib/cmake');
const { runNodeGyp, needsConfigure } = require('./lib/node-gyp');

const root = path.resolve(__dirname, '..');
const scratchBase = path.join(root, '.cache', 'sanitize');
const tree = path.join(scratchBase, 'tree');
const reportDir = path.join(scratchBase, 'reports');
const argv = process.argv.slice(2);
const opt = (name) => option(name, argv);
const only = opt('only');
const variants = opt('variant') ? [opt('variant')] : ['except', 'noexcept'];
const jobs = String(Math.max(1, os.cpus().length));

// GCC's -Wmaybe-uninitialized gives false positives on std::variant under the sanitizers, and
// binding.gyp has -Werror.
const CXXFLAGS = '-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -g -Wno-maybe-uninitialized';
const LDFLAGS = '-fsanitize=address,undefined';

const summary = new Summary();
const record = (...args) => summary.record(...args);

function run(cmd, args, opts = {}) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  return spawnSync(cmd, args, { cwd: tree, stdio: 'inherit', ...opts });
}

// Mirrors the working tree into `tree`, copying only files whose size or mtime changed (mtimes are
// kept, so make and cmake rebuild only what changed) and deleting files that are gone.
function syncTree() {
  const ls = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root, encoding: 'utf8', maxBuffer: 64 << 20,
  });
  if (ls.status !== 0) throw new Error(`git ls-files failed: ${ls.stderr}`);
  const files = new Set(ls.stdout.split('\0').filter((f) => f && fs.existsSync(path.join(root, f))));
  let copied = 0;
  for (const f of files) {
    const src = path.join(root, f);
    const dst = path.join(tree, f);
    const s = fs.lstatSync(src);
    if (!s.isFile()) continue;
    let d = null;
    try { d = fs.statSync(dst); } catch { /* new */ }
    if (d && d.size === s.size && d.mtimeMs === s.mtimeMs) continue;
    fs.mkdirSync(path.dirname(dst), { recursive: true });
    fs.copyFileSync(src, dst);
    fs.chmodSync(dst, s.mode);
    fs.utimesSync(dst, s.atime, s.mtime);
    copied++;
  }
  // Delete what the working tree no longer has (build outputs and node_modules stay).
  const keep = new Set(['build', 'build-cpp-tsan', 'node_modules']);
  let removed = 0;
  const walk = (dir, rel) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (!rel && keep.has(e.name)) continue;
      if (e.isDirectory()) walk(path.join(dir, e.name), r);
      else if (!files.has(r)) { fs.rmSync(path.join(dir, e.name), { force: true }); removed++; }
    }
  };
  walk(tree, '');
  const nm = path.join(tree, 'node_modules');
  if (!fs.existsSync(nm)) {
    fs.rmSync(nm, { force: true });
    fs.symlinkSync(path.join(root, 'node_modules'), nm);
  }
  console.log(`scratch tree ${path.relative(root, tree)}: ${copied} file(s) copied, ${removed} removed`);
}

function buildAddon() {
  const env = { ...process.env, CXXFLAGS, LDFLAGS };
  if (needsConfigure(tree, ['binding.gyp', 'napix.gyp']) && !runNodeGyp(['configure'], [], { cwd: tree, env })) return false;
  return runNodeGyp(['build'], ['--jobs', jobs], { cwd: tree, env });
}

function runtime(lib) {
  const r = spawnSync(process.env.CXX || 'g++', [`-print-file-name=${lib}`], { encoding: 'utf8' });
  const p = (r.stdout || '').trim();
  if (r.status !== 0 || !path.isAbsolute(p) || !fs.existsSync(p)) throw new Error(`cannot find ${lib} (g++ -print-file-name=${lib})`);
  return p;
}

function sanitizerEnv(extra = {}) {
  const supp = path.join(root, 'test', 'sanitize', 'lsan.supp');
  return {
    ...process.env,
    LD_PRELOAD: [runtime('libasan.so'), runtime('libubsan.so'), process.env.LD_PRELOAD].filter(Boolean).join(':'),
    ASAN_OPTIONS: [
      'detect_leaks=1', // LeakSanitizer on; test/sanitize/lsan.supp holds Node's own leaks
      'abort_on_error=0',
      'exitcode=66',
      'detect_odr_violation=0', // node is not instrumented: no globals to check
      `log_path=${path.join(reportDir, 'asan')}`,
    ].join(':'),
    LSAN_OPTIONS: `suppressions=${supp}:print_suppressions=0:exitcode=66`,
    UBSAN_OPTIONS: `print_stacktrace=1:halt_on_error=1:log_path=${path.join(reportDir, 'ubsan')}`,
    ...extra,
  };
}

// The sanitizer reports the processes of one run wrote (files asan.<pid>, ubsan.<pid>).
function collectReports(label) {
  const found = [];
  for (const f of fs.existsSync(reportDir) ? fs.readdirSync(reportDir).sort() : []) {
    const p = path.join(reportDir, f);
    const text = fs.readFileSync(p, 'utf8');
    if (!text.trim()) continue;
    found.push(f);
    console.log(`\n----- sanitizer report ${label}: ${f}\n${text}`);
  }
  return found;
}

function runMocha(variant) {
  fs.rmSync(reportDir, { recursive: true, force: true });
  fs.mkdirSync(reportDir, { recursive: true });
  const statsFile = path.join(os.tmpdir(), `napix-sanitize-${process.pid}-${variant}.json`);
  fs.rmSync(statsFile, { force: true });
  console.log(`\n=== mocha under ASan+UBSan+LSan, addon variant: ${variant}`);
  const r = spawnSync(process.execPath, ['--expose-gc', path.join(tree, 'scripts', 'mocha.js')], {
    cwd: tree,
    stdio: 'inherit',
    env: sanitizerEnv({
      NAPIX_TEST_VARIANT: variant,
      NAPIX_STATS_FILE: statsFile,
      NAPIX_TEST_REPORTER: process.env.NAPIX_TEST_REPORTER || 'dot',
    }),
  });
  let stats = null;
  try { stats = JSON.parse(fs.readFileSync(statsFile, 'utf8')); } catch { /* died before writing */ }
  fs.rmSync(statsFile, { force: true });
  const reports = collectReports(`[${variant}]`);
  if (!stats) {
    record(`mocha+asan [${variant}]`, 0, 1, 0, `runner died: ${r.signal || `exit ${r.status}`}`);
  } else {
    record(`mocha+asan [${variant}]`, stats.passes, stats.failures, stats.pending,
      r.status === 0 ? '' : `runner exit ${r.signal || r.status}`);
    if (r.status !== 0 && !stats.failures && !reports.length) record(`mocha+asan [${variant}] exit`, 0, 1, 0, `exit ${r.signal || r.status}`);
  }
  record(`sanitizer reports [${variant}]`, 0, reports.length, 0, reports.length ? reports.join(', ') : 'none');
}

function runTsan() {
  console.log('\n=== Catch2 unit tests under ThreadSanitizer (CTest)');
  const dir = path.join(tree, 'build-cpp-tsan');
  const why = configureReason(dir);  // also after a configure that failed (no build files)
  if (why) {
    console.log(`configuring ${path.relative(root, dir)}: ${why}`);
    const c = run('cmake', ['-S', '.', '-B', dir, '-DNAPIX_BUILD_TESTS=ON', '-DNAPIX_SANITIZE=thread',
      '-DCMAKE_BUILD_TYPE=RelWithDebInfo']);
    if (c.status !== 0) { record('ctest+tsan', 0, 1, 0, 'cmake configure failed'); return; }
  }
  // Only the unit tests: the header checks and consumer builds prove nothing under TSan.
  const b = run('cmake', ['--build', dir, '--target', 'napix_unit_tests', '--parallel', jobs]);
  if (b.status !== 0) { record('ctest+tsan', 0, 1, 0, 'build failed'); return; }
  const t = spawnSync('ctest', ['--test-dir', dir, '--output-on-failure', '--parallel', jobs,
    '-E', '^(consumer_|compile_fail_)'], {
    cwd: tree, encoding: 'utf8',
    env: { ...process.env, TSAN_OPTIONS: `halt_on_error=1:second_deadlock_stack=1${process.env.TSAN_OPTIONS ? `:${process.env.TSAN_OPTIONS}` : ''}` },
  });
  process.stdout.write(t.stdout || '');
  process.stderr.write(t.stderr || '');
  const m = /(\d+)% tests passed, (\d+) tests? failed out of (\d+)/.exec(t.stdout || '');
  if (!m) { record('ctest+tsan', 0, 1, 0, `could not read ctest's summary (exit ${t.status})`); return; }
  const failed = Number(m[2]);
  record('ctest+tsan', Number(m[3]) - failed, failed);
}

function main() {
  fs.mkdirSync(tree, { recursive: true });
  syncTree();
  if (only !== 'cpp') {
    console.log(`\n=== building the test addon with ASan+UBSan in ${path.relative(root, tree)}/build`);
    if (!buildAddon()) {
      record('build', 0, 1, 0, 'node-gyp build failed');
    } else {
      for (const v of variants) runMocha(v);
    }
  }
  if (only !== 'js') runTsan();
  summary.finish('sanitize summary');
}

main();
