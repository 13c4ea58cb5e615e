'use strict';
// `npm run examples`: installs, builds and runs every examples/<name>/ the way a user would —
// `npm install` in the example (its file:../.. dependency installs this checkout as napix, packed
// like a registry install because of the example's .npmrc `install-links=true`; its install
// script runs node-gyp against the local Node headers), then `node index.js`, which asserts its
// own results. Ends with `N examples passed, M failed`.
//
//   --only=progress,hash-files   run only these examples
//   --repeat=N                   run each index.js N times (a hang or crash hunt); default 1
//   --timeout=S                  seconds one run of index.js may take; default 60
//   --packed                     the copy-it-out path: `npm pack` napix into a temp dir, copy each
//                                example out of the repository, point its napix dependency at the
//                                tarball, then `npm install` and `node index.js` there
//   --keep                       with --packed: keep the temp dir and print where it is
//   --verbose                    print npm's and the compiler's output even on success
//   --runtime=bun|deno           run each index.js under Bun or Deno (installed once into .cache/,
//                                scripts/lib/runtimes.js); npm and node-gyp still build with Node
//   --no-build                   run index.js against the example's existing install and build
//                                (a run after `npm run examples`, e.g. under another runtime)
//
// A compiler warning in an example fails it: the napix headers promise -Wall -Wextra clean builds.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { option } = require('./lib/summary');
const { root, localNodedir } = require('./lib/node-gyp');
const { npmCommand } = require('./lib/npm');
const { ensureRuntime } = require('./lib/runtimes');

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const only = option('only', argv);
const repeat = Math.max(1, Number(option('repeat', argv)) || 1);
const timeoutMs = (Number(option('timeout', argv)) || 60) * 1000;
const packed = flag('packed');
const noBuild = flag('no-build');
const verbose = flag('verbose');
const examplesDir = path.join(root, 'examples');
const runtimeName = option('runtime', argv);
let runtime = null; // { bin, label, args(script) } with --runtime=

// Local headers when they sit beside this node (never a download, never $HOME's node-gyp cache):
// node-gyp lets npm_config_nodedir beat --nodedir, and npm passes the variable on to the example's
// install script. devdir only matters when headers must be downloaded; keep that out of $HOME too.
function buildEnv(devdir) {
  const env = { ...process.env, npm_config_devdir: devdir, npm_config_update_notifier: 'false' };
  const nodedir = localNodedir();
  if (nodedir) env.npm_config_nodedir = nodedir;
  return env;
}

function listExamples() {
  const names = fs.readdirSync(examplesDir)
    .filter((n) => fs.existsSync(path.join(examplesDir, n, 'package.json')))
    .sort();
  if (!only) return names;
  const wanted = only.split(',');
  const unknown = wanted.filter((n) => !names.includes(n));
  if (unknown.length) throw new Error(`no such example: ${unknown.join(', ')} (have: ${names.join(', ')})`);
  return names.filter((n) => wanted.includes(n));
}

function seconds(since) {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

function run(cmd, args, cwd, env, timeout) {
  return spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout, killSignal: 'SIGKILL', maxBuffer: 64 << 20 });
}

function failureOf(r) {
  if (r.error && r.error.code === 'ETIMEDOUT') return 'timed out (a hang?)';
  if (r.error) return r.error.message;
  if (r.signal) return `killed by ${r.signal}`;
  return r.status === 0 ? null : `exit code ${r.status}`;
}

// npm pack of this checkout into `dir`; returns the tarball's path.
function packNapix(dir, env) {
  const [npm, pre] = npmCommand();
  const r = run(npm, [...pre, 'pack', '--pack-destination', dir, '--json', '--ignore-scripts'], root, env, 120000);
  if (failureOf(r)) throw new Error(`npm pack failed (${failureOf(r)}):\n${r.stdout}${r.stderr}`);
  const [{ filename }] = JSON.parse(r.stdout);
  return path.join(dir, path.basename(filename));
}

// Copies examples/<name> to `dir` without build products, depending on napix through `tarball`.
function copyOut(name, dir, tarball) {
  const from = path.join(examplesDir, name);
  const to = path.join(dir, name);
  const skip = new Set(['build', 'node_modules', 'package-lock.json'].map((f) => path.join(from, f)));
  fs.cpSync(from, to, { recursive: true, filter: (src) => !skip.has(src) });
  const pkgFile = path.join(to, 'package.json');
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
  pkg.dependencies.napix = `file:${tarball}`;
  fs.writeFileSync(pkgFile, `${JSON.stringify(pkg, null, 2)}\n`);
  return to;
}

function runExample(name, dir, env) {
  console.log(`\n=== ${name} (${dir})`);
  let since = Date.now();
  if (noBuild) {
    if (!fs.existsSync(path.join(dir, 'build')) || !fs.existsSync(path.join(dir, 'node_modules'))) {
      return 'not built (--no-build): run `npm run examples` first';
    }
  } else {
    const failure = install(dir, env, since);
    if (failure) return failure;
  }
  return runIndex(dir);
}

function install(dir, env, since) {
  const [npm, pre] = npmCommand();
  // Nothing stale: a previous build against other headers, or a napix linked from elsewhere.
  for (const f of ['build', 'node_modules', 'package-lock.json']) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
  const r = run(npm, [...pre, 'install', '--no-audit', '--no-fund', '--foreground-scripts'], dir, env, 600000);
  const installLog = `${r.stdout}${r.stderr}`;
  const warnings = installLog.split('\n').filter((l) => /\bwarning:/.test(l));
  const installFailure = failureOf(r) || (warnings.length ? `${warnings.length} compiler warning(s)` : null);
  console.log(`$ npm install --no-audit --no-fund  [${installFailure || 'ok'}, ${seconds(since)}]`);
  if (installFailure || verbose) process.stdout.write(installLog);
  if (installFailure) return `npm install: ${installFailure}`;
  return null;
}

function runIndex(dir) {
  const [cmd, args, shown] = runtime ? [runtime.bin, runtime.args('index.js'), `${runtime.name} index.js`]
    : [process.execPath, ['index.js'], 'node index.js'];
  for (let i = 1; i <= repeat; i++) {
    const since = Date.now();
    const r = run(cmd, args, dir, { ...process.env, NO_COLOR: '1' }, timeoutMs);
    const failure = failureOf(r);
    if (i === 1 || failure) {
      console.log(`$ ${shown}${repeat > 1 ? `  (run ${i} of ${repeat})` : ''}  [${failure || 'ok'}, ${seconds(since)}]`);
      process.stdout.write(r.stdout);
      process.stdout.write(r.stderr);
    }
    if (failure) return `${shown}, run ${i}: ${failure}`;
  }
  if (repeat > 1) console.log(`$ ${shown}  [ok: ${repeat} of ${repeat} runs passed]`);
  return null;
}

function main() {
  const names = listExamples();
  if (runtimeName) {
    runtime = ensureRuntime(runtimeName);
    if (runtime.error) {
      console.log(`examples: --runtime=${runtimeName}: ${runtime.error}`);
      process.exitCode = 1;
      return;
    }
    console.log(`running each example's index.js under ${runtime.label}`);
  }
  let base = null;
  let tarball = null;
  let env;
  if (packed) {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'napix-examples-'));
    env = buildEnv(path.join(base, '.node-gyp'));
    tarball = packNapix(base, env);
    console.log(`packed napix: ${tarball}`);
  } else {
    env = buildEnv(path.join(root, '.cache', 'node-gyp'));
  }

  const results = [];
  for (const name of names) {
    const dir = packed ? copyOut(name, base, tarball) : path.join(examplesDir, name);
    let failure;
    try {
      failure = runExample(name, dir, env);
    } catch (err) {
      failure = err.message;
    }
    results.push({ name, failure });
  }

  console.log(`\n=== examples${runtime ? ` under ${runtime.label}` : ''}${packed ? ' (copied out, napix from the packed tarball)' : ''}`);
  for (const { name, failure } of results) console.log(`  ${name}: ${failure ? `FAILED: ${failure}` : 'passed'}`);
  const failed = results.filter((r) => r.failure).length;
  console.log(`${results.length - failed} examples passed, ${failed} failed`);
  if (base) {
    if (flag('keep')) console.log(`kept ${base}`);
    else fs.rmSync(base, { recursive: true, force: true });
  }
  process.exitCode = failed ? 1 : 0;
}

main();
