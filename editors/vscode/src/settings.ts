// The `flowos.*` settings as the server reads them (src/lsp/config.rs), the document selector
// and the file-watch globs they imply. No `vscode` import: unit-tested in plain node.

export const SECTION = 'flowos';

export const LEVELS = ['error', 'warning', 'info', 'hint', 'off'] as const;
export type Level = (typeof LEVELS)[number];

/** The keys the server understands under the `flowos` section. */
export interface ServerSettings {
  user?: string;
  tasksRoot?: string;
  rules: Record<string, Level>;
  extraEvents: string[];
}

/** Reads one key of the `flowos` section (`vscode.WorkspaceConfiguration` fits). */
export interface SettingsSource {
  get(key: string): unknown;
}

export interface ReadSettings {
  settings: ServerSettings;
  /** Values that were ignored, for the output channel. */
  problems: string[];
}

function nonEmptyString(value: unknown): string | undefined {
  if (typeof value !== 'string') {
    return undefined;
  }
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/**
 * The settings to send: empty strings are left out (the server's defaults apply), rule levels
 * outside error|warning|info|hint|off and non-string events are dropped and reported.
 * Rule names are passed through as written; the server reports names it does not know.
 */
export function readSettings(source: SettingsSource): ReadSettings {
  const problems: string[] = [];
  const settings: ServerSettings = { rules: {}, extraEvents: [] };

  const user = nonEmptyString(source.get('user'));
  if (user !== undefined) {
    settings.user = user;
  }
  const tasksRoot = nonEmptyString(source.get('tasksRoot'));
  if (tasksRoot !== undefined) {
    settings.tasksRoot = tasksRoot;
  }

  const rules = source.get('rules');
  if (rules !== undefined && rules !== null) {
    if (typeof rules !== 'object' || Array.isArray(rules)) {
      problems.push('flowos.rules must be an object of rule names to error|warning|info|hint|off');
    } else {
      for (const [name, level] of Object.entries(rules as Record<string, unknown>)) {
        const normalized = typeof level === 'string' ? level.trim().toLowerCase() : level;
        if (typeof normalized === 'string' && (LEVELS as readonly string[]).includes(normalized)) {
          settings.rules[name] = normalized as Level;
        } else {
          problems.push(
            `flowos.rules.${name}: ${JSON.stringify(level)} is not one of ${LEVELS.join(', ')}; ignored`,
          );
        }
      }
    }
  }

  const events = source.get('extraEvents');
  if (events !== undefined && events !== null) {
    if (!Array.isArray(events)) {
      problems.push('flowos.extraEvents must be an array of event names');
    } else {
      for (const event of events) {
        const name = nonEmptyString(event);
        if (name === undefined) {
          problems.push(`flowos.extraEvents: ${JSON.stringify(event)} is not an event name; ignored`);
        } else if (!settings.extraEvents.includes(name)) {
          settings.extraEvents.push(name);
        }
      }
    }
  }
  return { settings, problems };
}

/** `initializationOptions`: the nested shape `{"flowos": {...}}` the server accepts. */
export function initializationOptions(settings: ServerSettings): { flowos: ServerSettings } {
  return { flowos: settings };
}

/**
 * The answer to one `workspace/configuration` item for section `flowos`: the section's own
 * object, which the server reads as is.
 */
export function configurationSection(settings: ServerSettings): ServerSettings {
  return settings;
}

/** The default tasks root below each workspace folder. */
export const DEFAULT_TASKS_ROOT = '.work/tasks';

/** Escapes the characters a glob gives meaning to, so a folder name is matched literally. */
function globLiteral(text: string): string {
  return text.replace(/[\\*?[\]{}!]/g, (c) => `[${c}]`);
}

/**
 * The tasks-root globs, relative to nothing (`**`-prefixed) for the default root, anchored
 * below each workspace folder for a configured one.
 */
export function tasksRootGlobs(tasksRoot: string | undefined, workspaceFolders: readonly string[]): string[] {
  const globs = [`**/${DEFAULT_TASKS_ROOT}`];
  const root = tasksRoot?.trim().replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
  if (!root || root === DEFAULT_TASKS_ROOT) {
    return globs;
  }
  const isAbsolute = root.startsWith('/') || /^[A-Za-z]:\//.test(root);
  if (isAbsolute) {
    globs.push(globLiteral(root));
  } else {
    for (const folder of workspaceFolders) {
      const base = folder.replace(/\\/g, '/').replace(/\/+$/, '');
      globs.push(`${globLiteral(base)}/${globLiteral(root)}`);
    }
  }
  return globs;
}

export interface DocumentFilter {
  scheme: string;
  pattern: string;
}

/**
 * The documents the server handles: task cards, context/learning files and INDEX.md (every
 * markdown file below a tasks root) and the ledgers.
 */
export function documentSelector(tasksRoot: string | undefined, workspaceFolders: readonly string[]): DocumentFilter[] {
  return tasksRootGlobs(tasksRoot, workspaceFolders).flatMap((root) => [
    { scheme: 'file', pattern: `${root}/**/*.md` },
    { scheme: 'file', pattern: `${root}/**/*.ledger.jsonl` },
  ]);
}

/**
 * Globs the client watches itself. The server registers `**\/.work/tasks/**` with
 * `client/registerCapability` on its own (src/lsp/server.rs), so a client watcher for the
 * default root would only report every change twice; a configured root is not covered by
 * that registration and is watched here.
 */
export function clientWatchGlobs(tasksRoot: string | undefined, workspaceFolders: readonly string[]): string[] {
  return tasksRootGlobs(tasksRoot, workspaceFolders)
    .slice(1)
    .map((root) => `${root}/**`);
}
