'use strict';
// `npm test`: builds what changed, runs the mocha suite once per addon variant (C++ exceptions on
// and off) and the Catch2 suite through CTest, then prints one closing line `N passed, M failed`.
//   --only=js | --only=cpp     run one half
//   --variant=except|noexcept  one addon variant
//   NAPIX_TEST_FILES=convert,error  only spec files whose name contains one of these
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { option, Summary } = require('./lib/summary');
const { configureReason } = require('./lib/cmake');
const { build, addonPath, variants } = require('./build');

const root = path.resolve(__dirname, '..');
const argv = process.argv.slice(2);
const opt = (name) => option(name, argv);
const only = opt('only');
const summary = new Summary();
const record = (...args) => summary.record(...args);

function runMocha(variant) {
  const statsFile = path.join(os.tmpdir(), `napix-mocha-${process.pid}-${variant}.json`);
  fs.rmSync(statsFile, { force: true });
  console.log(`\n=== mocha, addon variant: ${variant} (C++ exceptions ${variant === 'except' ? 'on' : 'off'})`);
  const r = spawnSync(process.execPath, ['--expose-gc', path.join(__dirname, 'mocha.js')], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NAPIX_TEST_VARIANT: variant, NAPIX_STATS_FILE: statsFile },
  });
  let stats = null;
  try { stats = JSON.parse(fs.readFileSync(statsFile, 'utf8')); } catch { /* crashed before writing */ }
  fs.rmSync(statsFile, { force: true });
  if (!stats) {
    record(`mocha [${variant}]`, 0, 1, 0, `runner died: ${r.signal || `exit ${r.status}`}`);
    return;
  }
  record(`mocha [${variant}]`, stats.passes, stats.failures, stats.pending);
}

function run(cmd, args, opts = {}) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  return spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
}

function catchInstalled() {
  const dirs = ['/usr/include/catch2', '/usr/local/include/catch2'];
  return dirs.some((d) => fs.existsSync(d)) || !!process.env.NAPIX_CATCH2_DIR;
}

function runCtest() {
  console.log('\n=== Catch2 unit tests (CTest)');
  if (!catchInstalled()) {
    if (process.env.CI) {
      record('ctest', 0, 1, 0, 'Catch2 not installed (apt-get install -y catch2)');
    } else {
      console.log('Catch2 not found: skipping the C++ unit tests (apt-get install -y catch2).');
      record('ctest', 0, 0, 1, 'Catch2 not installed');
    }
    return;
  }
  const dir = path.join(root, 'build-cpp');
  const why = configureReason(dir);  // also after a configure that failed (no build files)
  if (why) {
    console.log(`configuring ${path.relative(root, dir)}: ${why}`);
    const c = run('cmake', ['-S', '.', '-B', dir, '-DNAPIX_BUILD_TESTS=ON', '-DCMAKE_BUILD_TYPE=RelWithDebInfo']);
    if (c.status !== 0) { record('ctest', 0, 1, 0, 'cmake configure failed'); return; }
  }
  const b = run('cmake', ['--build', dir, '--parallel', String(os.cpus().length)]);
  if (b.status !== 0) { record('ctest', 0, 1, 0, 'build failed'); return; }
  const t = spawnSync('ctest', ['--test-dir', dir, '--output-on-failure', '--parallel', String(os.cpus().length)], {
    cwd: root, encoding: 'utf8',
  });
  process.stdout.write(t.stdout || '');
  process.stderr.write(t.stderr || '');
  const m = /(\d+)% tests passed, (\d+) tests? failed out of (\d+)/.exec(t.stdout || '');
  if (!m) {
    record('ctest', 0, 1, 0, `could not read ctest's summary (exit ${t.status})`);
    return;
  }
  const failed = Number(m[2]);
  const total = Number(m[3]);
  record('ctest', total - failed, failed);
}

function main() {
  if (only !== 'cpp') {
    console.log('=== building the test addon (node-gyp)');
    if (!build()) {
      record('build', 0, 1, 0, 'node-gyp build failed');
    } else {
      const chosen = opt('variant') ? [opt('variant')] : variants;
      for (const v of chosen) {
        if (!fs.existsSync(addonPath(v))) { record(`mocha [${v}]`, 0, 1, 0, 'addon missing'); continue; }
        runMocha(v);
      }
    }
  }
  if (only !== 'js') runCtest();
  summary.finish('summary');
}

main();
