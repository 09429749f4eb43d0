import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';

import {
  INSTALL_COMMAND,
  PathKind,
  Probe,
  SERVER_PATH_SETTING,
  searchCargoBin,
  expandSetting,
  launch,
  nodeProbe,
  resolveServer,
  searchPath,
} from '../src/server';

const posix = process.platform !== 'win32';
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'flowos-vscode-test-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** A file in a fresh folder below the scratch folder, with the given mode. */
function file(folder: string, name: string, mode: number): string {
  const dir = path.join(scratch, folder);
  fs.mkdirSync(dir, { recursive: true });
  const target = path.join(dir, name);
  fs.writeFileSync(target, '#!/bin/sh\nexit 0\n');
  fs.chmodSync(target, mode);
  return target;
}

/** A file system made of the listed files, for Windows paths on any host. */
function fakeProbe(files: Record<string, PathKind>): Probe {
  return { kind: (candidate: string) => files[candidate] ?? 'missing' };
}

describe('resolveServer on the real file system', { skip: !posix && 'POSIX permissions' }, () => {
  const onPath = file('path-a', 'flowos-lsp', 0o755);
  const configured = file('configured', 'my-flowos-lsp', 0o755);
  const env = { PATH: path.dirname(onPath), HOME: scratch };

  it('takes the setting over PATH', () => {
    const found = resolveServer({ setting: configured, env, platform: process.platform });
    assert.deepEqual(found, { ok: true, path: configured, source: 'setting' });
  });

  it('searches PATH when the setting is empty or blank', () => {
    for (const setting of [undefined, '', '   ']) {
      const found = resolveServer({ setting, env, platform: process.platform });
      assert.deepEqual(found, { ok: true, path: onPath, source: 'PATH' });
    }
  });

  it('skips PATH entries whose flowos-lsp is not executable or is a directory', () => {
    const plain = file('path-plain', 'flowos-lsp', 0o644);
    fs.mkdirSync(path.join(scratch, 'path-dir', 'flowos-lsp'), { recursive: true });
    const runnable = file('path-runnable', 'flowos-lsp', 0o755);
    const later = file('path-later', 'flowos-lsp', 0o755);
    const PATH = [
      path.dirname(plain),
      path.join(scratch, 'path-dir'),
      path.join(scratch, 'no-such-dir'),
      path.dirname(runnable),
      path.dirname(later),
    ].join(':');
    assert.equal(nodeProbe('linux').kind(plain), 'not-executable');
    assert.equal(searchPath('flowos-lsp', { PATH }, 'linux'), runnable);
    const found = resolveServer({ env: { PATH }, platform: 'linux' });
    assert.deepEqual(found, { ok: true, path: runnable, source: 'PATH' });
  });

  it('ignores relative and empty PATH entries', () => {
    const inCwd = file('relative', 'flowos-lsp', 0o755);
    const previous = process.cwd();
    process.chdir(path.dirname(inCwd));
    try {
      assert.equal(searchPath('flowos-lsp', { PATH: ':.:relative' }, 'linux'), undefined);
    } finally {
      process.chdir(previous);
    }
  });

  it('reports a missing server with the setting and the install instructions', () => {
    const found = resolveServer({ env: { PATH: path.join(scratch, 'empty') }, platform: 'linux' });
    assert.equal(found.ok, false);
    if (!found.ok) {
      assert.match(found.message, /flowos\.server\.path/);
      assert.ok(found.message.includes(SERVER_PATH_SETTING));
      assert.ok(found.message.includes(INSTALL_COMMAND), found.message);
      assert.ok(found.message.includes('cargo install --path .'), found.message);
      assert.ok(!found.message.includes('your-org'), found.message);
      assert.ok(found.message.includes('PATH'), found.message);
    }
  });

  it('finds the server in ~/.cargo/bin, or $CARGO_HOME/bin, when PATH lacks it', () => {
    const home = path.join(scratch, 'cargo-user');
    const installed = path.join(home, '.cargo', 'bin', 'flowos-lsp');
    fs.mkdirSync(path.dirname(installed), { recursive: true });
    fs.writeFileSync(installed, '#!/bin/sh\n', { mode: 0o755 });
    const empty = path.join(scratch, 'empty');
    assert.deepEqual(resolveServer({ env: { PATH: empty, HOME: home }, platform: 'linux' }), {
      ok: true,
      path: installed,
      source: 'cargo',
    });
    const elsewhere = path.join(scratch, 'cargo-home');
    assert.equal(searchCargoBin({ HOME: home, CARGO_HOME: elsewhere }, 'linux'), undefined);
    const found = resolveServer({ env: { PATH: path.dirname(onPath), HOME: home }, platform: 'linux' });
    assert.deepEqual(found, { ok: true, path: onPath, source: 'PATH' }, 'PATH comes first');
  });

  it('does not fall back to PATH when the setting names a missing file', () => {
    const found = resolveServer({ setting: path.join(scratch, 'gone', 'flowos-lsp'), env, platform: 'linux' });
    assert.equal(found.ok, false);
    if (!found.ok) {
      assert.ok(found.message.includes(SERVER_PATH_SETTING), found.message);
      assert.match(found.message, /does not exist/);
      assert.ok(found.message.includes(INSTALL_COMMAND), found.message);
    }
  });

  it('says why a configured file cannot run', () => {
    const plain = file('configured-plain', 'flowos-lsp', 0o644);
    const notRunnable = resolveServer({ setting: plain, env, platform: 'linux' });
    assert.ok(!notRunnable.ok && /not executable/.test(notRunnable.message));
    const folder = resolveServer({ setting: scratch, env, platform: 'linux' });
    assert.ok(!folder.ok && /is a directory/.test(folder.message));
  });

  it('expands ~ and ${workspaceFolder} and anchors relative settings at the first folder', () => {
    const inHome = file('home-bin', 'flowos-lsp', 0o755);
    const viaHome = resolveServer({ setting: '~/home-bin/flowos-lsp', env, platform: 'linux' });
    assert.deepEqual(viaHome, { ok: true, path: inHome, source: 'setting' });
    const folders = [scratch];
    const relative = resolveServer({ setting: 'home-bin/flowos-lsp', env, platform: 'linux', workspaceFolders: folders });
    assert.deepEqual(relative, { ok: true, path: inHome, source: 'setting' });
    const variable = resolveServer({
      setting: '${workspaceFolder}/home-bin/flowos-lsp',
      env,
      platform: 'linux',
      workspaceFolders: folders,
    });
    assert.deepEqual(variable, { ok: true, path: inHome, source: 'setting' });
  });
});

describe('resolveServer on Windows', () => {
  it('honours PATHEXT and the case-insensitive Path variable', () => {
    const probe = fakeProbe({
      'C:\\tools\\flowos-lsp': 'executable', // no extension: Windows cannot start it
      'C:\\tools\\flowos-lsp.txt': 'executable',
      'C:\\cargo\\bin\\flowos-lsp.exe': 'executable',
    });
    const env = { Path: 'C:\\tools;"C:\\cargo\\bin"', PATHEXT: '.COM;.EXE;.BAT;.CMD' };
    assert.equal(searchPath('flowos-lsp', env, 'win32', probe), 'C:\\cargo\\bin\\flowos-lsp.exe');
    const found = resolveServer({ env, platform: 'win32', probe });
    assert.deepEqual(found, { ok: true, path: 'C:\\cargo\\bin\\flowos-lsp.exe', source: 'PATH' });
  });

  it('uses the default PATHEXT when it is unset and finds .cmd shims', () => {
    const probe = fakeProbe({ 'D:\\npm\\flowos-lsp.cmd': 'executable' });
    assert.equal(searchPath('flowos-lsp', { PATH: 'D:\\npm' }, 'win32', probe), 'D:\\npm\\flowos-lsp.cmd');
    assert.equal(searchPath('flowos-lsp', { PATH: 'D:\\npm', PATHEXT: '.EXE' }, 'win32', probe), undefined);
  });

  it('completes a configured path without its extension', () => {
    const probe = fakeProbe({ 'C:\\bin\\flowos-lsp.exe': 'executable' });
    const found = resolveServer({ setting: 'C:\\bin\\flowos-lsp', env: {}, platform: 'win32', probe });
    assert.deepEqual(found, { ok: true, path: 'C:\\bin\\flowos-lsp.exe', source: 'setting' });
  });

  it('expands ~ from USERPROFILE', () => {
    assert.equal(
      expandSetting('~\\.cargo\\bin\\flowos-lsp.exe', { USERPROFILE: 'C:\\Users\\ana' }, 'win32'),
      'C:\\Users\\ana\\.cargo\\bin\\flowos-lsp.exe',
    );
  });
});

describe('launch', () => {
  it('speaks LSP over stdio', () => {
    assert.deepEqual(launch('/usr/bin/flowos-lsp', 'linux'), {
      command: '/usr/bin/flowos-lsp',
      args: ['--stdio'],
      shell: false,
    });
  });

  it('starts .cmd shims through the shell on Windows', () => {
    const started = launch('C:\\Program Files\\npm\\flowos-lsp.cmd', 'win32');
    assert.equal(started.shell, true);
    assert.equal(started.command, '"C:\\Program Files\\npm\\flowos-lsp.cmd"');
    assert.equal(launch('C:\\bin\\flowos-lsp.exe', 'win32').shell, false);
  });
});
