// Finding the flowos-lsp executable: the `flowos.server.path` setting, else `flowos-lsp` on
// PATH (honouring PATHEXT on Windows and the execute bit elsewhere), else in Cargo's bin
// folder (where `cargo install` puts it, often missing from the PATH of an editor started
// from a desktop launcher), else an error that says how to install it. No `vscode` import: unit-tested in plain node.

import * as fs from 'node:fs';
import * as path from 'node:path';

export const SERVER_NAME = 'flowos-lsp';
export const SERVER_PATH_SETTING = 'flowos.server.path';
/** flowos-lsp has no public repository yet (Cargo.toml names none): the install steps are in
 * this extension's README, shipped in the .vsix. */
export const INSTALL_DOC = 'README.md';
export const INSTALL_COMMAND = 'cargo install --path .';

/** What a path names, as far as starting it is concerned. */
export type PathKind = 'executable' | 'not-executable' | 'directory' | 'missing';

export interface Probe {
  kind(file: string): PathKind;
}

/** The real file system: a regular file, and on POSIX one this process may execute. */
export function nodeProbe(platform: NodeJS.Platform = process.platform): Probe {
  return {
    kind(file: string): PathKind {
      let stat: fs.Stats;
      try {
        stat = fs.statSync(file);
      } catch {
        return 'missing';
      }
      if (stat.isDirectory()) {
        return 'directory';
      }
      if (!stat.isFile()) {
        return 'not-executable';
      }
      if (platform === 'win32') {
        return 'executable';
      }
      try {
        fs.accessSync(file, fs.constants.X_OK);
        return 'executable';
      } catch {
        return 'not-executable';
      }
    },
  };
}

export interface ResolveInput {
  /** The `flowos.server.path` setting, possibly empty. */
  setting?: string;
  /** The environment (PATH/Path, PATHEXT, HOME). */
  env: Record<string, string | undefined>;
  platform: NodeJS.Platform;
  /** Workspace folder paths: a relative setting is taken from the first. */
  workspaceFolders?: readonly string[];
  probe?: Probe;
}

export type Resolution =
  | { ok: true; path: string; source: 'setting' | 'PATH' | 'cargo' }
  | { ok: false; message: string };

function pathApi(platform: NodeJS.Platform): path.PlatformPath {
  return platform === 'win32' ? path.win32 : path.posix;
}

/** A variable of `env`, by its name case-insensitively on Windows (`Path`, `PATHEXT`). */
export function envValue(env: Record<string, string | undefined>, name: string, platform: NodeJS.Platform): string | undefined {
  if (platform !== 'win32') {
    return env[name];
  }
  const key = Object.keys(env).find((candidate) => candidate.toUpperCase() === name.toUpperCase());
  return key === undefined ? undefined : env[key];
}

/** Executable extensions on Windows, from PATHEXT, lower-cased. */
export function pathExtensions(env: Record<string, string | undefined>, platform: NodeJS.Platform): string[] {
  if (platform !== 'win32') {
    return [''];
  }
  const pathext = envValue(env, 'PATHEXT', platform) || '.COM;.EXE;.BAT;.CMD';
  return pathext
    .split(';')
    .map((ext) => ext.trim().toLowerCase())
    .filter((ext) => ext.startsWith('.'));
}

/**
 * The candidate files for `file` on this platform: itself on POSIX; on Windows itself when it
 * already ends in a PATHEXT extension, else itself with each extension appended.
 */
function candidates(file: string, extensions: string[], platform: NodeJS.Platform): string[] {
  if (platform !== 'win32') {
    return [file];
  }
  const lower = file.toLowerCase();
  if (extensions.some((ext) => lower.endsWith(ext))) {
    return [file];
  }
  return extensions.map((ext) => file + ext);
}

/** `flowos-lsp` (with a PATHEXT extension on Windows) in the first PATH entry that has it. */
export function searchPath(
  name: string,
  env: Record<string, string | undefined>,
  platform: NodeJS.Platform,
  probe: Probe = nodeProbe(platform),
): string | undefined {
  const api = pathApi(platform);
  const delimiter = platform === 'win32' ? ';' : ':';
  const extensions = pathExtensions(env, platform);
  const entries = (envValue(env, 'PATH', platform) ?? '').split(delimiter);
  for (let entry of entries) {
    // Windows allows quoted entries; an empty POSIX entry means the current directory,
    // which is not searched here (the current directory of an editor is not meaningful).
    entry = entry.trim().replace(/^"(.*)"$/, '$1');
    if (entry === '' || !api.isAbsolute(entry)) {
      continue;
    }
    for (const file of candidates(api.join(entry, name), extensions, platform)) {
      if (probe.kind(file) === 'executable') {
        return file;
      }
    }
  }
  return undefined;
}

/** Expands `~`, `${workspaceFolder}` and `${env:NAME}`, and anchors a relative path. */
export function expandSetting(
  setting: string,
  env: Record<string, string | undefined>,
  platform: NodeJS.Platform,
  workspaceFolders: readonly string[] = [],
): string {
  const api = pathApi(platform);
  const home = envValue(env, platform === 'win32' ? 'USERPROFILE' : 'HOME', platform) ?? '';
  let expanded = setting.trim();
  expanded = expanded.replace(/\$\{workspaceFolder\}/g, workspaceFolders[0] ?? '');
  expanded = expanded.replace(/\$\{env:([^}]+)\}/g, (_, name: string) => envValue(env, name, platform) ?? '');
  if (home && (expanded === '~' || expanded.startsWith('~/') || (platform === 'win32' && expanded.startsWith('~\\')))) {
    expanded = api.join(home, expanded.slice(1));
  }
  if (!api.isAbsolute(expanded) && workspaceFolders.length > 0) {
    expanded = api.join(workspaceFolders[0], expanded);
  }
  return expanded;
}

export function notFoundMessage(): string {
  return (
    `The FlowOS language server (${SERVER_NAME}) was not found: \`${SERVER_PATH_SETTING}\` is not set ` +
    `and no \`${SERVER_NAME}\` is on PATH or in Cargo's bin folder. Install it with ` +
    `\`${INSTALL_COMMAND}\` in a checkout of flowos-lsp (it lands in ~/.cargo/bin), or set ` +
    `\`${SERVER_PATH_SETTING}\` to the executable.`
  );
}

/** `flowos-lsp` in Cargo's bin folder: `$CARGO_HOME/bin`, else `~/.cargo/bin`. */
export function searchCargoBin(
  env: Record<string, string | undefined>,
  platform: NodeJS.Platform,
  probe: Probe = nodeProbe(platform),
): string | undefined {
  const api = pathApi(platform);
  const cargoHome =
    envValue(env, 'CARGO_HOME', platform) ||
    (() => {
      const home = envValue(env, platform === 'win32' ? 'USERPROFILE' : 'HOME', platform);
      return home ? api.join(home, '.cargo') : undefined;
    })();
  if (!cargoHome || !api.isAbsolute(cargoHome)) {
    return undefined;
  }
  const file = api.join(cargoHome, 'bin', platform === 'win32' ? `${SERVER_NAME}.exe` : SERVER_NAME);
  return probe.kind(file) === 'executable' ? file : undefined;
}

/** Where the server is: the setting wins, then PATH, then Cargo's bin folder; otherwise why it could not be found. */
export function resolveServer(input: ResolveInput): Resolution {
  const { env, platform } = input;
  const probe = input.probe ?? nodeProbe(platform);
  const setting = input.setting?.trim();
  if (setting) {
    const file = expandSetting(setting, env, platform, input.workspaceFolders);
    const extensions = pathExtensions(env, platform);
    const tried = platform === 'win32' ? [file, ...candidates(file, extensions, platform)] : [file];
    for (const candidate of tried) {
      if (probe.kind(candidate) === 'executable') {
        return { ok: true, path: candidate, source: 'setting' };
      }
    }
    const why: Record<PathKind, string> = {
      missing: 'does not exist',
      directory: 'is a directory',
      'not-executable': 'is not executable (chmod +x it)',
      executable: 'is not usable',
    };
    return {
      ok: false,
      message:
        `\`${SERVER_PATH_SETTING}\` is set to ${JSON.stringify(setting)}, but ${file} ${why[probe.kind(file)]}. ` +
        `Fix the setting, or clear it to use \`${SERVER_NAME}\` from PATH (install it with ` +
        `\`${INSTALL_COMMAND}\` in a checkout of flowos-lsp).`,
    };
  }
  const found = searchPath(SERVER_NAME, env, platform, probe);
  if (found !== undefined) {
    return { ok: true, path: found, source: 'PATH' };
  }
  const installed = searchCargoBin(env, platform, probe);
  if (installed !== undefined) {
    return { ok: true, path: installed, source: 'cargo' };
  }
  return { ok: false, message: notFoundMessage() };
}

export interface Launch {
  command: string;
  args: string[];
  /** `.cmd`/`.bat` shims need a shell on Windows (Node refuses to spawn them directly). */
  shell: boolean;
}

/** How to start the server found at `file`: LSP over stdio. */
export function launch(file: string, platform: NodeJS.Platform): Launch {
  const shell = platform === 'win32' && /\.(cmd|bat)$/i.test(file);
  return { command: shell ? `"${file}"` : file, args: ['--stdio'], shell };
}
