'use strict';
// What a consumer's `npm install napix` gets: headers, index.js, napix.gyp, docs, licence — and
// nothing that builds or tests (`"gypfile": false`, no binding.gyp, test/, bench/, examples/).
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const addon = require('./addon');

const root = path.join(__dirname, '..');
const fs = require('node:fs');

// npm's CLI: the one running us, else the one beside this node, else the system's (a matrix run
// uses Node binaries that ship without npm; `npm pack` does not depend on the Node version).
function npmCli() {
  const candidates = [
    process.env.npm_execpath,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
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
    const out = execFileSync(process.execPath, [cli, 'pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: root, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'silent' },
    });
    files = JSON.parse(out)[0].files.map((f) => f.path).sort();
  });

  it('ships only headers, index.js, napix.gyp, docs, licence, readme and package.json', () => {
    const allowed = /^(include\/napix\.h|include\/napix\/(detail\/)?[a-z_]+\.h|index\.js|napix\.gyp|doc\/[A-Za-z_-]+\.md|LICENSE|README\.md|package\.json)$/;
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
});
