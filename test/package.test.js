'use strict';
// What a consumer's `npm install napix` gets: headers, index.js, napix.gyp, docs, licence — and
// nothing that builds or tests (`"gypfile": false`, no binding.gyp, test/, bench/, examples/).
const assert = require('node:assert/strict');
const path = require('node:path');
const os = require('node:os');
const { execFileSync, spawnSync } = require('node:child_process');
const { nodeGypScript, nodeGypArgs, localNodedir, toolNode } = require('../scripts/lib/node-gyp');
const addon = require('./addon');

const root = path.join(__dirname, '..');
const fs = require('node:fs');

// npm's CLI: the one running us, else the one beside this node, else the system's (a matrix run
// uses Node binaries that ship without npm; `npm pack` does not depend on the Node version).
// npm and node-gyp run on Node (toolNode) also when the specs run under Bun or Deno.
function npmCli() {
  const candidates = [
    process.env.npm_execpath,
    path.join(path.dirname(toolNode()), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
    '/usr/lib/node_modules/npm/bin/npm-cli.js',
    '/usr/local/lib/node_modules/npm/bin/npm-cli.js',
  ];
  return candidates.find((p) => p && p.endsWith('.js') && fs.existsSync(p));
}

describe(`package [${addon.variant}]`, function () {
  this.timeout(60000);
  let files;
  before(() => {
    const cli = npmCli();
    assert.ok(cli, 'npm-cli.js not found');
    // npm never loads the addon: under `test:sanitize` it runs without the preloaded sanitizer
    // runtimes, whose leak check at npm's process.exit() reports V8's own unfreed heap metadata.
    const env = { ...process.env, npm_config_loglevel: 'silent' };
    for (const k of ['LD_PRELOAD', 'ASAN_OPTIONS', 'LSAN_OPTIONS', 'UBSAN_OPTIONS']) delete env[k];
    const out = execFileSync(toolNode(), [cli, 'pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: root, encoding: 'utf8', env,
    });
    files = JSON.parse(out)[0].files.map((f) => f.path).sort();
  });

  it('ships only headers, index.js, napix.gyp, docs, licence, readme and package.json', () => {
    const allowed = /^(include\/napix\.h|bin\/napix-dts\.js|include\/napix\/(detail\/)?[a-z_]+\.h|index\.js|napix\.gyp|doc\/[A-Za-z_-]+\.md|LICENSE|README\.md|package\.json)$/;
    const unexpected = files.filter((f) => !allowed.test(f));
    assert.deepEqual(unexpected, []);
    for (const must of ['include/napix.h', 'include/napix/config.h', 'include/napix/error.h',
      'include/napix/convert.h', 'index.js', 'napix.gyp', 'LICENSE', 'README.md', 'package.json']) {
      assert.ok(files.includes(must), `${must} is missing from the package`);
    }
  });

  it('builds nothing on install and exports what consumers need', () => {
    const pkg = require('../package.json');
    assert.equal(pkg.gypfile, false);
    assert.ok(pkg.peerDependencies['node-addon-api']);
    const napix = require('..');
    assert.equal(napix.version, pkg.version);
    assert.equal(napix.include_dir, path.join(root, 'include'));
    assert.equal(napix.gyp, path.join(root, 'napix.gyp'));
    assert.equal(addon.napixVersion, pkg.version, 'NAPIX_VERSION_STRING matches package.json');
  });

  // npm link / pnpm: node_modules/napix is a symlink to a folder with no node-addon-api beside it.
  // napix.gyp must find the consumer's node-addon-api (it looked only beside napix before).
  // Once per run (one variant), and not under the sanitizers: node-gyp, make and the compiler
  // would run with the sanitizer runtime preloaded.
  const sanitized = /asan|ubsan/.test(process.env.LD_PRELOAD || '');

  // Runs `node-gyp <command>` in an addon at base/<appName> whose node_modules/napix is a symlink
  // to a copy of napix in a folder of its own, and hands the addon's folder to `check` before
  // everything is removed. `own`: the addon has node-addon-api; `beside`: napix's real folder has
  // one. `targets` maps each target name of the addon's binding.gyp to the napix target it uses.
  function inLinkedApp({ appName = 'app', own, beside, targets, command }, check) {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'napix-link-'));
    try {
      const naa = path.dirname(require.resolve('node-addon-api/package.json', { paths: [root] }));
      // Copies, not links: gyp writes a dependency's .mk files beside its real .gyp file.
      const copyNaa = (to) => fs.cpSync(naa, path.join(to, 'node_modules', 'node-addon-api'),
        { recursive: true, filter: (f) => !/(\.mk|\.Makefile|\.stamp)$/.test(f) });
      const real = path.join(base, 'napix-real');
      const app = path.join(base, appName);
      fs.mkdirSync(path.join(app, 'node_modules'), { recursive: true });
      for (const f of ['include', 'napix.gyp', 'index.js', 'package.json']) {
        fs.cpSync(path.join(root, f), path.join(real, f), { recursive: true });
      }
      if (own) copyNaa(app);
      if (beside) copyNaa(real);
      fs.symlinkSync(real, path.join(app, 'node_modules', 'napix'), 'dir');
      fs.writeFileSync(path.join(app, 'package.json'), '{"name":"app","version":"1.0.0"}\n');
      const gypTargets = Object.entries(targets).map(([name, dep]) =>
        `  { 'target_name': '${name}', 'sources': ['app.cc'], 'dependencies': ["<!(node -p \\"require('napix').gyp\\"):${dep}"] }`);
      fs.writeFileSync(path.join(app, 'binding.gyp'), `{ 'targets': [\n${gypTargets.join(',\n')} ] }\n`);
      fs.writeFileSync(path.join(app, 'app.cc'), `#include <napix.h>
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("answer", napix::to_js(env, 42));
  return exports;
}
NODE_API_MODULE(app, Init)
`);
      const nodedir = localNodedir();
      const r = spawnSync(toolNode(), [nodeGypScript(), command, ...nodeGypArgs()], {
        cwd: app, encoding: 'utf8', env: nodedir ? { ...process.env, npm_config_nodedir: nodedir } : process.env,
      });
      assert.equal(r.status, 0, `node-gyp ${command} failed:\n${r.stdout}\n${r.stderr}`);
      return check(app);
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  }

  (addon.variant === 'except' && !sanitized ? it : it.skip)('napix.gyp builds an addon whose napix is a symlink (npm link, pnpm)', function () {
    this.timeout(180000);
    inLinkedApp({ own: true, beside: false, targets: { app: 'napix_except' }, command: 'rebuild' }, (app) => {
      assert.equal(require(path.join(app, 'build', 'Release', 'app.node')).answer, 42);
    });
  });

  // `node-gyp configure` only (gyp runs napix.gyp's command expansions; nothing compiles). Returns
  // the generated .mk files of an `on` (napix_except) and an `off` (napix) target.
  function configureLinked({ appName, own, beside }) {
    return inLinkedApp({ appName, own, beside, targets: { on: 'napix_except', off: 'napix' }, command: 'configure' },
      (app) => ['on', 'off'].map((t) => fs.readFileSync(path.join(app, 'build', `${t}.target.mk`), 'utf8')));
  }

  (addon.variant === 'except' && !sanitized ? it : it.skip)('napix.gyp falls back to the node-addon-api beside napix when the addon has none', function () {
    this.timeout(60000);
    const [on, off] = configureLinked({ own: false, beside: true });
    assert.match(on, /napix-real\/node_modules\/node-addon-api\/node_addon_api_except\.stamp/);
    assert.match(off, /napix-real\/node_modules\/node-addon-api\/node_addon_api\.stamp/);
    // napix_except catches every C++ exception (the documented std::logic_error reaches JS).
    assert.match(on, /-DNODE_ADDON_API_CPP_EXCEPTIONS_ALL'/);
    assert.doesNotMatch(off, /CPP_EXCEPTIONS_ALL/);
  });

  // On Windows module_root_dir is full of backslashes; spliced into a JS string literal, `\u…` or
  // `\x…` (C:\Users\user\…) is a SyntaxError and the build fails. A POSIX folder name can hold one.
  (addon.variant === 'except' && !sanitized && process.platform !== 'win32' ? it : it.skip)('napix.gyp passes the addon\'s folder to node as data: a backslash in its path (as on Windows) works', function () {
    this.timeout(60000);
    const [on, off] = configureLinked({ appName: 'app\\user', own: true, beside: false });
    assert.match(on, /\$\(obj\)\.target\/node_modules\/node-addon-api\/node_addon_api_except\.stamp/);
    assert.match(off, /\$\(obj\)\.target\/node_modules\/node-addon-api\/node_addon_api\.stamp/);
  });
});

// scripts/lib/cmake.js: test.js and sanitize.js configure a CMake tree when it has no cache OR no
// build files; a tree whose first configure failed (Catch2 missing) has a cache and no Makefile,
// and "configure only without CMakeCache.txt" left it broken for every later run.
describe('scripts/lib/cmake: when a build tree needs configuring', function () {
  this.timeout(60000);
  const { needsConfigure } = require('../scripts/lib/cmake');
  let base;
  beforeEach(() => { base = fs.mkdtempSync(path.join(os.tmpdir(), 'napix-cmake-')); });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));
  const cache = (generator) => `# This is the CMakeCache file.\nCMAKE_GENERATOR:INTERNAL=${generator}\n`;

  it('configures without a cache, or with a cache but no build files for its generator', () => {
    assert.equal(needsConfigure(path.join(base, 'missing')), true);
    assert.equal(needsConfigure(base), true);
    fs.writeFileSync(path.join(base, 'CMakeCache.txt'), cache('Unix Makefiles'));
    assert.equal(needsConfigure(base), true, 'cache but no Makefile: the last configure failed');
    fs.writeFileSync(path.join(base, 'Makefile'), 'all:\n');
    assert.equal(needsConfigure(base), false);
    fs.writeFileSync(path.join(base, 'CMakeCache.txt'), cache('Ninja'));
    assert.equal(needsConfigure(base), true, 'Ninja reads build.ninja, not Makefile');
    fs.writeFileSync(path.join(base, 'build.ninja'), '');
    assert.equal(needsConfigure(base), false);
    fs.writeFileSync(path.join(base, 'CMakeCache.txt'), '# no generator recorded\n');
    assert.equal(needsConfigure(base), true);
  });

  // Not under the sanitizers: cmake would run with their runtime preloaded (see above).
  const sanitizedRun = /asan|ubsan/.test(process.env.LD_PRELOAD || '');
  const hasCmake = !sanitizedRun && spawnSync('cmake', ['--version']).status === 0;
  (hasCmake ? it : it.skip)('after a real configure that failed it says configure; after one that worked it does not', () => {
    const src = path.join(base, 'src');
    const bin = path.join(base, 'bin');
    fs.mkdirSync(src);
    const lists = (body) => fs.writeFileSync(path.join(src, 'CMakeLists.txt'),
      `cmake_minimum_required(VERSION 3.14)\nproject(p NONE)\n${body}\n`);
    lists('message(FATAL_ERROR "like a missing Catch2")');
    const failed = spawnSync('cmake', ['-S', src, '-B', bin], { encoding: 'utf8' });
    assert.notEqual(failed.status, 0);
    assert.ok(fs.existsSync(path.join(bin, 'CMakeCache.txt')), 'CMake keeps the cache of a failed configure');
    assert.equal(needsConfigure(bin), true);
    lists('');
    const ok = spawnSync('cmake', ['-S', src, '-B', bin], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(needsConfigure(bin), false);
  });
});
