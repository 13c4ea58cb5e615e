'use strict';
// Runs npm's own node-gyp against the running Node's headers when they sit beside it
// (<prefix>/include/node), so a build never downloads headers and never uses $HOME.
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..', '..');

// The Node that runs the build tools (node-gyp, npm) and whose headers they use: the running one,
// or — under Bun or Deno (scripts/runtimes.js), which load addons but ship neither node-gyp nor
// Node's headers — NAPIX_NODE, else the first `node` on PATH.
function toolNode() {
  if (!process.versions.bun && !process.versions.deno) return process.execPath;
  if (process.env.NAPIX_NODE) return process.env.NAPIX_NODE;
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const p = path.join(dir, 'node');
    try { fs.accessSync(p, fs.constants.X_OK); return fs.realpathSync(p); } catch { /* next */ }
  }
  throw new Error('napix: under Bun or Deno the build tools need Node: set NAPIX_NODE or put node on PATH');
}

function nodeGypScript() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  const prefix = path.resolve(path.dirname(toolNode()), '..');
  candidates.push(path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] }));
  } catch { /* not installed locally: fine */ }
  const found = candidates.find((p) => p && fs.existsSync(p));
  if (!found) {
    throw new Error(`napix: cannot find node-gyp (looked in: ${candidates.join(', ')}); install npm or node-gyp`);
  }
  return found;
}

// node-gyp's --nodedir wants the prefix whose include/node holds node_api.h and common.gypi.
function localNodedir() {
  const prefix = path.resolve(path.dirname(toolNode()), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'common.gypi')) ? prefix : null;
}

function nodeGypArgs() {
  const args = ['--devdir', path.join(root, '.cache', 'node-gyp')];
  const nodedir = localNodedir();
  if (nodedir) args.push('--nodedir', nodedir);
  return args;
}

function runNodeGyp(command, extra = [], { cwd = root, env = process.env } = {}) {
  const args = [nodeGypScript(), ...command, ...nodeGypArgs(), ...extra];
  // node-gyp lets npm_config_nodedir from the environment beat --nodedir: set both the same.
  const nodedir = localNodedir();
  const childEnv = nodedir ? { ...env, npm_config_nodedir: nodedir } : env;
  const r = spawnSync(toolNode(), args, { cwd, stdio: 'inherit', env: childEnv });
  if (r.error) throw r.error;
  return r.status === 0;
}

// A file's mtime in ms, 0 when it does not exist.
function mtime(p) {
  try { return fs.statSync(p).mtimeMs; } catch { return 0; }
}

// Whether the node-gyp tree in `dir` must be (re)configured: never configured, or one of its
// `gypFiles` changed since (make then rebuilds what changed on its own).
function needsConfigure(dir, gypFiles) {
  const stamp = mtime(path.join(dir, 'build', 'config.gypi'));
  if (!stamp || !fs.existsSync(path.join(dir, 'build', 'Makefile'))) return true;
  return gypFiles.some((f) => mtime(path.join(dir, f)) > stamp);
}

module.exports = { root, toolNode, nodeGypScript, localNodedir, nodeGypArgs, runNodeGyp, needsConfigure, mtime };
