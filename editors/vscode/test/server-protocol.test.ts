// Against the real server (set FLOWOS_LSP_BIN): the initializationOptions and the
// workspace/configuration answer built by settings.ts are read as intended, and the server
// starts with the arguments launch() gives it.
import { strict as assert } from 'node:assert';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';

import {
  ConfigurationRequest,
  InitializeRequest,
  InitializedNotification,
  ExitNotification,
  PublishDiagnosticsNotification,
  PublishDiagnosticsParams,
  RegistrationRequest,
  ShutdownRequest,
  WorkDoneProgressCreateRequest,
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  ProtocolConnection,
} from 'vscode-languageserver-protocol/node';

import { launch } from '../src/server';
import { configurationSection, initializationOptions, readSettings } from '../src/settings';

const binary = process.env.FLOWOS_LSP_BIN;
const demo = path.resolve(__dirname, '..', '..', '..', '..', '..', 'examples', 'demo');
const skip = !binary ? 'set FLOWOS_LSP_BIN to a flowos-lsp binary to run' : !fs.existsSync(demo) && `no ${demo}`;

interface Session {
  connection: ProtocolConnection;
  process: ChildProcess;
  /** Latest diagnostics per file URI. */
  diagnostics: Map<string, PublishDiagnosticsParams['diagnostics']>;
}

const sessions: Session[] = [];
after(async () => {
  for (const session of sessions) {
    try {
      await session.connection.sendRequest(ShutdownRequest.type);
      await session.connection.sendNotification(ExitNotification.type);
    } catch {
      // already gone
    }
    session.connection.dispose();
    session.process.kill();
  }
});

async function startServer(initOptions: unknown, configuration?: () => unknown): Promise<Session> {
  const command = launch(binary as string, process.platform);
  const child = spawn(command.command, command.args, {
    shell: command.shell,
    env: { ...process.env, FLOWOS_NOW: '2026-11-20T12:00:00Z' },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const session: Session = { connection, process: child, diagnostics: new Map() };
  sessions.push(session);
  connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
    session.diagnostics.set(params.uri, params.diagnostics);
  });
  connection.onRequest(ConfigurationRequest.type, (params) =>
    params.items.map((item) => (item.section === 'flowos' && configuration ? configuration() : null)),
  );
  connection.onRequest(RegistrationRequest.type, () => null);
  connection.onRequest(WorkDoneProgressCreateRequest.type, () => null);
  connection.listen();
  const uri = pathToFileURL(demo).toString();
  await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: uri,
    workspaceFolders: [{ uri, name: 'demo' }],
    capabilities: { workspace: { configuration: configuration !== undefined, workspaceFolders: true } },
    initializationOptions: initOptions,
  });
  await connection.sendNotification(InitializedNotification.type, {});
  return session;
}

/** Rule codes of every published diagnostic, with their LSP severities. */
function codes(session: Session): Map<string, Set<number | undefined>> {
  const result = new Map<string, Set<number | undefined>>();
  for (const diagnostics of session.diagnostics.values()) {
    for (const diagnostic of diagnostics) {
      const code = String(diagnostic.code);
      result.set(code, (result.get(code) ?? new Set()).add(diagnostic.severity));
    }
  }
  return result;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the server reads the settings the extension sends', { skip }, () => {
  it('applies initializationOptions: rules off, a level changed, extra events', async () => {
    const { settings } = readSettings({
      get: (key: string) =>
        ({
          rules: { 'wip-limit': 'off', 'ledger-order': 'hint' },
          extraEvents: ['design_review'],
        })[key],
    });
    const session = await startServer(initializationOptions(settings));
    // The demo's dependency cycle is reported whatever the settings say.
    await until(() => codes(session).has('dependency-cycle'), 'the first diagnostics');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const seen = codes(session);
    assert.ok(!seen.has('wip-limit'), 'wip-limit is off');
    assert.ok(!seen.has('unknown-event'), 'design_review is an accepted event');
    assert.deepEqual([...(seen.get('ledger-order') ?? [])], [4], 'ledger-order is a hint');
  });

  it('applies the workspace/configuration answer', async () => {
    const { settings } = readSettings({ get: (key: string) => ({ rules: { 'stage-mismatch': 'off', 'wip-limit': 'off' } })[key] });
    const session = await startServer(initializationOptions({ rules: {}, extraEvents: [] }), () =>
      configurationSection(settings),
    );
    await until(() => codes(session).has('dependency-cycle'), 'the first diagnostics');
    await until(() => !codes(session).has('stage-mismatch') && !codes(session).has('wip-limit'), 'the pulled settings to apply');
    assert.ok(codes(session).has('unknown-event'), 'other rules keep their defaults');
  });
});
