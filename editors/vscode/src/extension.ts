// VS Code client for flowos-lsp. The logic that needs no editor lives in server.ts (finding
// the executable), settings.ts (settings, selector, watch globs), commands.ts and board.ts.

import { execFile } from 'node:child_process';

import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  ResponseError,
  RevealOutputChannelOn,
  ServerOptions,
} from 'vscode-languageclient/node';

import {
  BOARD_VIEW_TYPE,
  REFRESH_DELAY_MS,
  SHOW_BOARD_COMMAND,
  boardArgs,
  debounce,
  makeNonce,
  readBoardMessage,
  webviewHtml,
} from './board';
import { NEW_TASK_COMMAND, newTaskArgument, readCommandOutcome, validateTaskName } from './commands';
import { INSTALL_DOC, SERVER_PATH_SETTING, launch, resolveServer } from './server';
import {
  SECTION,
  clientWatchGlobs,
  configurationSection,
  documentSelector,
  initializationOptions,
  readSettings,
} from './settings';

const CLIENT_ID = 'flowos'; // also the prefix of `flowos.trace.server`, read by the client
const CLIENT_NAME = 'FlowOS';

let output: vscode.OutputChannel;
/** Where the packaged README (the install instructions) is. */
let extensionUri: vscode.Uri;
let client: LanguageClient | undefined;
/** Disposed with the client: the file watchers it was given. */
let clientResources: vscode.Disposable[] = [];
/** Why the server is not running, when it is not. */
let notRunning: string | undefined;
/** Starts and stops run one after the other. */
let queue: Promise<void> = Promise.resolve();

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  extensionUri = context.extensionUri;
  output = vscode.window.createOutputChannel(CLIENT_NAME);
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand('flowos.restartServer', () => restart()),
    vscode.commands.registerCommand('flowos.showOutput', () => output.show(true)),
    vscode.commands.registerCommand('flowos.newTaskPrompt', () => newTaskPrompt()),
    vscode.commands.registerCommand(SHOW_BOARD_COMMAND, () => showBoard()),
    vscode.workspace.onDidChangeConfiguration((event) => configurationChanged(event)),
    vscode.workspace.onDidChangeWorkspaceFolders(() => {
      // The server follows folder changes itself; a configured tasks root is anchored
      // below each folder in the selector, so that needs a new client.
      if (readSettings(flowosConfiguration()).settings.tasksRoot) {
        void restart();
      }
    }),
  );
  await restart();
}

export function deactivate(): Thenable<void> | undefined {
  return stop();
}

function flowosConfiguration(scope?: vscode.Uri): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION, scope);
}

function fileFolders(): string[] {
  return (vscode.workspace.workspaceFolders ?? [])
    .filter((folder) => folder.uri.scheme === 'file')
    .map((folder) => folder.uri.fsPath);
}

function log(line: string): void {
  output.appendLine(`[${new Date().toISOString()}] ${line}`);
}

function restart(): Promise<void> {
  queue = queue
    .then(() => stop())
    .then(() => start())
    .catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      notRunning = `The FlowOS server failed to start: ${message}`;
      log(notRunning);
      void vscode.window.showErrorMessage(notRunning, 'Show Output').then((choice) => {
        if (choice) {
          output.show(true);
        }
      });
    });
  return queue;
}

async function stop(): Promise<void> {
  const stopping = client;
  client = undefined;
  for (const resource of clientResources) {
    resource.dispose();
  }
  clientResources = [];
  if (stopping) {
    try {
      await stopping.stop(2000);
    } catch (error) {
      log(`stopping the server: ${String(error)}`);
    }
  }
}

async function start(): Promise<void> {
  const configuration = flowosConfiguration();
  const folders = fileFolders();
  const resolution = findServer(configuration, folders);
  if (!resolution.ok) {
    notRunning = resolution.message;
    log(resolution.message);
    void showMissingServer(resolution.message);
    return;
  }
  notRunning = undefined;
  const through = { setting: SERVER_PATH_SETTING, PATH: 'PATH', cargo: "Cargo's bin folder" }[resolution.source];
  log(`starting ${resolution.path} (found through ${through})`);

  const { settings, problems } = readSettings(configuration);
  problems.forEach((problem) => log(`settings: ${problem}`));

  const command = launch(resolution.path, process.platform);
  const serverOptions: ServerOptions = {
    command: command.command,
    args: command.args,
    options: { shell: command.shell, cwd: folders[0] },
  };

  const watchers = clientWatchGlobs(settings.tasksRoot, folders).map((glob) =>
    vscode.workspace.createFileSystemWatcher(glob),
  );
  clientResources.push(...watchers);

  const clientOptions: LanguageClientOptions = {
    documentSelector: documentSelector(settings.tasksRoot, folders),
    initializationOptions: initializationOptions(settings),
    outputChannel: output,
    traceOutputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    // The server registers a watcher for `**/.work/tasks/**` itself; these cover a
    // configured `flowos.tasksRoot` (see clientWatchGlobs).
    synchronize: { fileEvents: watchers },
    middleware: {
      workspace: {
        // The server asks for section `flowos`: answer with the shape it reads, from the
        // same mapping as initializationOptions; other sections go the default way.
        configuration: async (params, token, next) => {
          const needsDefault = params.items.some((item) => item.section !== SECTION);
          const defaults = needsDefault ? await next(params, token) : [];
          if (defaults instanceof ResponseError) {
            return defaults;
          }
          return params.items.map((item, index) => {
            if (item.section !== SECTION) {
              return defaults[index];
            }
            const scope = item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined;
            return configurationSection(readSettings(flowosConfiguration(scope)).settings);
          });
        },
      },
    },
  };

  const started = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
  client = started;
  await started.start();
}

/** The flowos-lsp executable: the setting, else PATH, else Cargo's bin folder. */
function findServer(configuration: vscode.WorkspaceConfiguration, folders: string[]): ReturnType<typeof resolveServer> {
  return resolveServer({
    setting: configuration.get<string>('server.path'),
    env: process.env,
    platform: process.platform,
    workspaceFolders: folders,
  });
}

async function showMissingServer(message: string): Promise<void> {
  const install = 'Install Instructions';
  const settings = 'Open Settings';
  const choice = await vscode.window.showErrorMessage(message, install, settings);
  if (choice === install) {
    await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.joinPath(extensionUri, INSTALL_DOC));
  } else if (choice === settings) {
    await vscode.commands.executeCommand('workbench.action.openSettings', SERVER_PATH_SETTING);
  }
}

function configurationChanged(event: vscode.ConfigurationChangeEvent): void {
  if (!event.affectsConfiguration(SECTION)) {
    return;
  }
  if (event.affectsConfiguration(SERVER_PATH_SETTING) || event.affectsConfiguration('flowos.tasksRoot')) {
    log('flowos.server.path or flowos.tasksRoot changed: restarting the server');
    void restart();
    return;
  }
  const running = client;
  if (
    running?.isRunning() &&
    (event.affectsConfiguration('flowos.user') ||
      event.affectsConfiguration('flowos.rules') ||
      event.affectsConfiguration('flowos.extraEvents'))
  ) {
    const { settings, problems } = readSettings(flowosConfiguration());
    problems.forEach((problem) => log(`settings: ${problem}`));
    // The server applies these and then pulls `workspace/configuration` again.
    void running.sendNotification(DidChangeConfigurationNotification.type, {
      settings: initializationOptions(settings),
    });
  }
  // `flowos.trace.server` is followed by the language client itself.
}

/** Where the new task goes: the active task file's root, the only folder, or a folder pick. */
async function newTaskRoot(): Promise<string | undefined | null> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  const active = vscode.window.activeTextEditor?.document;
  if (active && active.uri.scheme === 'file' && client) {
    const selector = client.clientOptions.documentSelector;
    if (selector && vscode.languages.match(selector as vscode.DocumentSelector, active) > 0) {
      return active.uri.fsPath;
    }
  }
  if (folders.length <= 1) {
    return undefined; // the server takes its first tasks root
  }
  const folder = await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Workspace folder for the new task' });
  return folder ? folder.uri.fsPath : null;
}

async function newTaskPrompt(): Promise<void> {
  await queue;
  const running = client;
  if (!running || !running.isRunning()) {
    const reason = notRunning ?? 'The FlowOS server is not running.';
    const choice = await vscode.window.showErrorMessage(reason, 'Restart Server', 'Show Output');
    if (choice === 'Restart Server') {
      await restart();
    } else if (choice === 'Show Output') {
      output.show(true);
    }
    return;
  }
  const name = await vscode.window.showInputBox({
    title: 'FlowOS: New Task',
    prompt: 'Name of the new task (it is created in the first stage, with its card, context and ledger)',
    placeHolder: 'e.g. Payment retries',
    ignoreFocusOut: true,
    validateInput: validateTaskName,
  });
  if (name === undefined) {
    return; // cancelled
  }
  const root = await newTaskRoot();
  if (root === null) {
    return; // folder pick cancelled
  }
  const argument = newTaskArgument(name, { root });
  try {
    const answer = await running.sendRequest(ExecuteCommandRequest.type, {
      command: NEW_TASK_COMMAND,
      arguments: [argument],
    });
    const outcome = readCommandOutcome(answer);
    log(`${NEW_TASK_COMMAND} ${JSON.stringify(argument)}: ${JSON.stringify(outcome)}`);
    if (!outcome.ok) {
      // The server shows its message (window/showMessage) before it answers; showing it
      // again would only duplicate the notification. An answer without one is shown here.
      if (!outcome.shownByServer) {
        void vscode.window.showErrorMessage(`FlowOS: no task was created: ${outcome.message ?? 'no reason given'}`);
      }
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`${NEW_TASK_COMMAND} failed: ${message}`);
    void vscode.window.showErrorMessage(`FlowOS: no task was created: ${message}`);
  }
}

/** The board's panel while it is open, and what keeps it fresh. */
let board: { panel: vscode.WebviewPanel; refresh: () => void } | undefined;

/**
 * FlowOS: Show Board. Runs `flowos-lsp board` on the first workspace folder and shows its page
 * beside the editor; the page is drawn again when a task file changes on disk or is saved (the
 * command reads the files, so unsaved edits show once saved). A click on a card opens the task.
 */
async function showBoard(): Promise<void> {
  if (board) {
    board.panel.reveal(vscode.ViewColumn.Beside);
    board.refresh();
    return;
  }
  const folders = fileFolders();
  if (folders.length === 0) {
    void vscode.window.showErrorMessage('FlowOS: the board needs a folder open.');
    return;
  }
  const panel = vscode.window.createWebviewPanel(
    BOARD_VIEW_TYPE,
    'FlowOS Board',
    { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
    { enableScripts: true, localResourceRoots: [], retainContextWhenHidden: true },
  );
  const draw = async (): Promise<void> => {
    const configuration = flowosConfiguration();
    const resolution = findServer(configuration, folders);
    if (!resolution.ok) {
      void showMissingServer(resolution.message);
      return;
    }
    const { settings } = readSettings(configuration);
    try {
      const html = await runBoard(resolution.path, boardArgs(folders[0], settings.tasksRoot), folders[0]);
      panel.webview.html = webviewHtml(html, panel.webview.cspSource, makeNonce());
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log(`board: ${message}`);
      void vscode.window.showErrorMessage(`FlowOS: the board could not be drawn: ${message}`);
    }
  };
  const refresh = debounce(() => void draw(), REFRESH_DELAY_MS);
  const watchers = [...clientWatchGlobs(readSettings(flowosConfiguration()).settings.tasksRoot, folders), '**/.work/tasks/**']
    .map((glob) => vscode.workspace.createFileSystemWatcher(glob));
  const resources: vscode.Disposable[] = [...watchers];
  for (const watcher of watchers) {
    resources.push(
      watcher.onDidChange(() => refresh.schedule()),
      watcher.onDidCreate(() => refresh.schedule()),
      watcher.onDidDelete(() => refresh.schedule()),
    );
  }
  resources.push(
    vscode.workspace.onDidSaveTextDocument(() => refresh.schedule()),
    panel.webview.onDidReceiveMessage((message: unknown) => {
      const request = readBoardMessage(message, folders);
      if ('open' in request) {
        void vscode.window.showTextDocument(vscode.Uri.file(request.open), { viewColumn: vscode.ViewColumn.One });
      } else {
        log(`board: ignored a message from the page: ${request.ignored}`);
      }
    }),
  );
  panel.onDidDispose(() => {
    refresh.cancel();
    resources.forEach((resource) => resource.dispose());
    board = undefined;
  });
  board = { panel, refresh: () => refresh.schedule() };
  await draw();
}

/** The page `flowos-lsp board` prints (a 10,000-task board is a few megabytes). */
function runBoard(file: string, args: string[], cwd: string): Promise<string> {
  const command = launch(file, process.platform);
  return new Promise((resolve, reject) => {
    execFile(
      command.command,
      args,
      { cwd, shell: command.shell, maxBuffer: 256 * 1024 * 1024, timeout: 120_000 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(stderr.trim() || error.message));
        } else {
          resolve(stdout);
        }
      },
    );
  });
}
