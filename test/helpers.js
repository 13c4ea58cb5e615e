'use strict';
// Small helpers shared by the specs: waiting for exact counts and running child processes.
const { spawn, spawnSync } = require('node:child_process');
const path = require('node:path');
const addon = require('./addon');

// Resolves once `predicate()` is true, checking on every turn of the event loop; rejects after
// `ms` (a hard limit that turns a hang into a failure, never a pass).
function until(predicate, ms = 10000, what = 'condition') {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (predicate()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      setImmediate(check);
    };
    check();
  });
}

// Every thread's stack of a (hung) process, by gdb, for a failure message; a note when gdb is
// missing or cannot attach. Blocks while gdb runs.
function backtrace(pid) {
  const r = spawnSync('gdb', ['-p', String(pid), '-batch', '-ex', 'thread apply all bt 25'], {
    encoding: 'utf8', timeout: 120000, maxBuffer: 64 << 20,
  });
  if (r.error) return `(no backtrace: ${r.error.message})`;
  const threads = (r.stdout || '').split('\n').filter((l) => /^Thread |^#\d/.test(l)).join('\n');
  return threads || `(no backtrace: gdb exit ${r.status}: ${(r.stderr || '').trim().slice(0, 500)})`;
}

// Runs `node [flags] fixtures/<script> [args]` with the addon variant under test; resolves with
// {code, signal, stdout, stderr}; after `timeout` ms takes its backtrace, kills it and rejects.
function runFixture(script, args = [], { flags = [], timeout = 20000, env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...flags, path.join(__dirname, 'fixtures', script), ...args], {
      env: { ...process.env, NAPIX_TEST_VARIANT: addon.variant, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      const stacks = backtrace(child.pid);
      child.kill('SIGKILL');
      reject(new Error(`${script} ${args.join(' ')} did not finish in ${timeout} ms (hang)\nstdout: ${stdout}\nstderr: ${stderr}\nthreads:\n${stacks}`));
    }, timeout);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

module.exports = { until, runFixture, backtrace };
