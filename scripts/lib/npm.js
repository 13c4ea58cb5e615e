'use strict';
// npm itself, and binaries that come from the npm registry (Node for test:matrix, Bun and Deno for
// test:runtimes), installed once into .cache/<name>/ and reused.
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..', '..');

// The npm that sits beside the running Node (<prefix>/lib/node_modules/npm).
const systemNpmDir = path.resolve(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');

// npm's CLI: the one running this script (npm run sets npm_execpath), else the running Node's,
// else `npm` on PATH. Returns [command, leading args].
function npmCommand() {
  const cli = [process.env.npm_execpath, path.join(systemNpmDir, 'bin', 'npm-cli.js')]
    .find((p) => p && /npm-cli\.js$/.test(p) && fs.existsSync(p));
  return cli ? [process.execPath, [cli]] : [process.platform === 'win32' ? 'npm.cmd' : 'npm', []];
}

function npm(args, opts = {}) {
  const [cmd, pre] = npmCommand();
  return spawnSync(cmd, [...pre, ...args], { cwd: root, encoding: 'utf8', ...opts });
}

// Installs `spec` (`name@range`) into .cache/<dir>/ unless `bin` (relative to the installed package)
// is already there. Returns { bin, pkgDir } or { skip: reason } (nothing on the registry matches)
// or { error: reason }. `label` names it in the progress line.
function ensureFromNpm(spec, dir, binRel, label = spec) {
  const name = spec.slice(0, spec.lastIndexOf('@') > 0 ? spec.lastIndexOf('@') : spec.length);
  const prefix = path.join(root, '.cache', dir);
  const pkgDir = path.join(prefix, 'node_modules', name);
  const bin = path.join(pkgDir, binRel);
  if (!fs.existsSync(bin)) {
    console.log(`\n=== installing ${label} (npm: ${spec}) into ${path.relative(root, prefix)}`);
    const r = npm(['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', spec],
      { stdio: 'inherit' });
    if (r.status !== 0 || !fs.existsSync(bin)) {
      fs.rmSync(prefix, { recursive: true, force: true });
      const v = npm(['view', spec, 'version', '--json']);
      if (v.status === 0 && !v.stdout.trim()) return { skip: `${spec} is not on the npm registry` };
      if (v.status !== 0 && /E404|ETARGET|No match/i.test(`${v.stdout}${v.stderr}`)) {
        return { skip: `${spec} is not on the npm registry` };
      }
      return { error: `npm install ${spec} failed (exit ${r.status})` };
    }
  }
  return { bin, pkgDir };
}

module.exports = { root, systemNpmDir, npmCommand, npm, ensureFromNpm };
