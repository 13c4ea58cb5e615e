'use strict';
// `npm run test:valgrind`: valgrind memcheck over short teardown scenarios (the normal test addon,
// built by scripts/build.js):
//   - a Worker running producers is terminated, for each form (closure, typed, channel) and queue
//     bound (test/fixtures/valgrind_teardown.js);
//   - the main thread exits naturally while producers run (the same fixture, `main` mode);
//   - a Worker with 200 queued tasks on the libuv pool is terminated (test/fixtures/task_terminate.js).
// A scenario fails when memcheck reports any error (--error-exitcode=1; nothing is suppressed:
// test/sanitize/valgrind.supp is empty by design, see there) or the scenario's own check fails.
// Errors with a frame in napix or the test addon are listed first. Leaks are LeakSanitizer's job
// (npm run test:sanitize) and are not checked here. Ends with `N passed, M failed`.
//   --variant=except|noexcept   (default: both)
//   --forms=closure,typed,channel
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { build, addonPath } = require('./build');
const { option, Summary } = require('./lib/summary');

const root = path.resolve(__dirname, '..');
const variants = option('variant') ? [option('variant')] : ['except', 'noexcept'];
const forms = (option('forms') || 'closure,typed,channel').split(',');
const outDir = path.join(root, '.cache', 'valgrind');
const valgrind = process.env.VALGRIND || 'valgrind';

const summary = new Summary();
// One scenario is one check: 1 passed or 1 failed.
function record(name, ok, note) {
  summary.record(name, ok ? 1 : 0, ok ? 0 : 1, 0, note);
}

// Memcheck's XML: one {kind, what, frames[{obj, fn, file, line}]} per error.
function parseErrors(xml) {
  const tag = (s, t) => { const m = new RegExp(`<${t}>([\\s\\S]*?)</${t}>`).exec(s); return m ? m[1] : ''; };
  const errors = [];
  for (const m of xml.matchAll(/<error>([\s\S]*?)<\/error>/g)) {
    const e = m[1];
    const stack = tag(e, 'stack');
    const frames = [...stack.matchAll(/<frame>([\s\S]*?)<\/frame>/g)].map((f) => ({
      obj: tag(f[1], 'obj'), fn: tag(f[1], 'fn'), dir: tag(f[1], 'dir'), file: tag(f[1], 'file'), line: tag(f[1], 'line'),
    }));
    const kind = tag(e, 'kind');
    // In XML mode memcheck lists leak records even with --leak-check=no; they are not errors here
    // (--errors-for-leak-kinds=none keeps them out of the exit code too).
    if (kind.startsWith('Leak_')) continue;
    errors.push({ kind, what: tag(e, 'what') || tag(tag(e, 'xwhat'), 'text'), frames });
  }
  return errors;
}

const ours = (f) => /napix_test_\w+\.node$/.test(f.obj) || /include\/napix/.test(`${f.dir}/${f.file}`) || /napix::/.test(f.fn);

function scenario(name, variant, script, args, check) {
  const xml = path.join(outDir, `${name.replace(/\W+/g, '_')}.%p.xml`);
  for (const f of fs.readdirSync(outDir)) if (f.startsWith(name.replace(/\W+/g, '_'))) fs.rmSync(path.join(outDir, f));
  const vgArgs = [
    '--tool=memcheck', '--error-exitcode=1', '--leak-check=no', '--errors-for-leak-kinds=none',
    '--smc-check=all-non-file', // V8 generates code
    '--num-callers=40', '--fair-sched=yes', '--trace-children=no',
    `--suppressions=${path.join(root, 'test', 'sanitize', 'valgrind.supp')}`,
    '--xml=yes', `--xml-file=${xml}`,
    process.execPath, path.join(root, 'test', 'fixtures', script), ...args,
  ];
  console.log(`\n=== ${name}\n$ valgrind ... node test/fixtures/${script} ${args.join(' ')}`);
  const started = Date.now();
  const r = spawnSync(valgrind, vgArgs, {
    cwd: root, encoding: 'utf8', timeout: 600000,
    env: { ...process.env, NAPIX_TEST_VARIANT: variant },
  });
  const secs = `${((Date.now() - started) / 1000).toFixed(0)} s`;
  process.stdout.write(r.stdout || '');
  process.stderr.write(r.stderr || '');
  const errors = [];
  for (const f of fs.readdirSync(outDir)) {
    if (f.startsWith(name.replace(/\W+/g, '_')) && f.endsWith('.xml')) errors.push(...parseErrors(fs.readFileSync(path.join(outDir, f), 'utf8')));
  }
  errors.sort((a, b) => Number(b.frames.some(ours)) - Number(a.frames.some(ours)));
  for (const e of errors) {
    console.log(`\n--- memcheck ${e.kind}${e.frames.some(ours) ? ' [napix/test addon frame]' : ''}: ${e.what}`);
    for (const f of e.frames) console.log(`    ${f.fn || '???'} (${f.file ? `${f.file}:${f.line}` : f.obj})`);
  }
  const checkError = r.error ? String(r.error) : check(r);
  const inOurs = errors.filter((e) => e.frames.some(ours)).length;
  const notes = [secs];
  if (errors.length) notes.push(`${errors.length} memcheck error(s), ${inOurs} in napix/test-addon frames`);
  if (r.status !== 0) notes.push(`exit ${r.signal || r.status}`);
  if (checkError) notes.push(checkError);
  record(name, !errors.length && r.status === 0 && !checkError, notes.join('; '));
}

function main() {
  fs.mkdirSync(outDir, { recursive: true });
  console.log('=== building the test addon (node-gyp)');
  if (!build()) {
    record('build', false, 'node-gyp build failed');
  } else {
    for (const v of variants) {
      if (!fs.existsSync(addonPath(v))) { record(`[${v}] addon`, false, 'missing'); continue; }
      scenario(`[${v}] Worker terminate() with producers (${forms.join(', ')}; queue 0 and 2)`, v,
        'valgrind_teardown.js', ['worker', forms.join(','), '0,2'], (r) => {
          const ok = (r.stdout.match(/^ok /gm) || []).length;
          return ok === forms.length * 2 ? null : `${ok} of ${forms.length * 2} cycles accounted for`;
        });
      scenario(`[${v}] tasks: Worker terminate() with 200 queued 5 ms tasks`, v,
        'task_terminate.js', ['200', '5'], (r) => {
          if (/worker error/.test(r.stdout)) return 'the Worker failed';
          const m = /^(\{.*\})$/m.exec(r.stdout);
          if (!m) return 'no result printed';
          const { executed } = JSON.parse(m[1]);
          return executed < 200 ? null : 'every queued task ran: terminate waited for the queue';
        });
      for (const form of forms) {
        scenario(`[${v}] ${form}: main-thread natural exit with producers (queue 2)`, v,
          'valgrind_teardown.js', ['main', form, '2'], (r) => {
            const m = /counters: (\{.*\})/.exec(r.stdout);
            if (!m) return 'no counters printed';
            const c = JSON.parse(m[1]);
            const ok = c.producersDone === 4 && c.attempted === c.accepted + c.refused && c.attempted === c.ran + c.dropped;
            return ok ? null : `calls not accounted for: ${m[1]}`;
          });
      }
    }
  }
  summary.finish(`valgrind summary (${os.cpus().length} cpus)`);
}

main();
