// The server's `flowos.newTask` command as the extension calls it: the argument it takes and
// the answer it gives (src/lsp/commands.rs, src/lsp/server.rs). No `vscode` import.

export const NEW_TASK_COMMAND = 'flowos.newTask';

export interface NewTaskArgument {
  name: string;
  namespace?: string;
  root?: string;
}

export function newTaskArgument(name: string, options: { namespace?: string; root?: string } = {}): NewTaskArgument {
  const argument: NewTaskArgument = { name: name.trim() };
  const namespace = options.namespace?.trim();
  if (namespace) {
    argument.namespace = namespace;
  }
  if (options.root) {
    argument.root = options.root;
  }
  return argument;
}

/** Why a name cannot be used, for `showInputBox`'s `validateInput`; undefined when it can. */
export function validateTaskName(name: string): string | undefined {
  return name.trim() === '' ? 'A task needs a name.' : undefined;
}

export interface CommandOutcome {
  ok: boolean;
  message?: string;
  /** The URI of the file the server opened (the new card). */
  show?: string;
  /**
   * Whether the server has already shown `message` to the user: it sends every outcome's
   * message as window/showMessage before answering (src/lsp/server.rs, execute_command).
   */
  shownByServer: boolean;
}

/** The server's `{ok, message, show}` answer; anything else counts as a failure. */
export function readCommandOutcome(value: unknown): CommandOutcome {
  if (typeof value !== 'object' || value === null || typeof (value as { ok?: unknown }).ok !== 'boolean') {
    return { ok: false, message: `unexpected answer from the server: ${JSON.stringify(value)}`, shownByServer: false };
  }
  const { ok, message, show } = value as { ok: boolean; message?: unknown; show?: unknown };
  const outcome: CommandOutcome = { ok, shownByServer: false };
  if (typeof message === 'string' && message !== '') {
    outcome.message = message;
    outcome.shownByServer = true;
  }
  if (typeof show === 'string') {
    outcome.show = show;
  }
  return outcome;
}
