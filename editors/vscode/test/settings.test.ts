import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

// minimatch comes with vscode-languageclient; it stands in for VS Code's glob matcher here.
import { minimatch } from 'minimatch';

import {
  clientWatchGlobs,
  configurationSection,
  documentSelector,
  initializationOptions,
  readSettings,
} from '../src/settings';

const extensionDir = path.resolve(__dirname, '..', '..', '..');

/** A `flowos` section as VS Code's WorkspaceConfiguration would give it. */
function source(values: Record<string, unknown>) {
  return { get: (key: string) => values[key] };
}

describe('settings mapping', () => {
  it('nests every setting under `flowos`, with the keys src/lsp/config.rs reads', () => {
    const { settings, problems } = readSettings(
      source({
        user: ' @ana ',
        tasksRoot: 'planning/tasks',
        rules: { 'wip-limit': 'warning', 'slo-exceeded': 'off', 'unknown-field': 'Hint' },
        extraEvents: ['design_review', 'deployed', 'design_review'],
        // Settings of the extension itself are not sent.
        server: { path: '/opt/flowos-lsp' },
        trace: { server: 'verbose' },
      }),
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(initializationOptions(settings), {
      flowos: {
        user: '@ana',
        tasksRoot: 'planning/tasks',
        rules: { 'wip-limit': 'warning', 'slo-exceeded': 'off', 'unknown-field': 'hint' },
        extraEvents: ['design_review', 'deployed'],
      },
    });
    // workspace/configuration for section `flowos` answers the section's own object.
    assert.deepEqual(configurationSection(settings), initializationOptions(settings).flowos);
  });

  it('leaves empty values out so the server keeps its defaults', () => {
    const { settings, problems } = readSettings(source({ user: '', tasksRoot: '  ', rules: {}, extraEvents: [] }));
    assert.deepEqual(problems, []);
    assert.deepEqual(initializationOptions(settings), { flowos: { rules: {}, extraEvents: [] } });
    assert.deepEqual(readSettings(source({})).settings, { rules: {}, extraEvents: [] });
    const serialized = JSON.stringify(initializationOptions(settings));
    assert.ok(!serialized.includes('user') && !serialized.includes('tasksRoot'), serialized);
  });

  it('drops and reports values the server would refuse', () => {
    const { settings, problems } = readSettings(
      source({ rules: { 'wip-limit': 'loud', 'ledger-order': 3, 'stage-mismatch': 'error' }, extraEvents: ['ok', 7, ''] }),
    );
    assert.deepEqual(settings.rules, { 'stage-mismatch': 'error' });
    assert.deepEqual(settings.extraEvents, ['ok']);
    assert.equal(problems.length, 4, problems.join('\n'));
    assert.match(problems[0], /flowos\.rules\.wip-limit: "loud" is not one of error, warning, info, hint, off/);
    const wrongShapes = readSettings(source({ rules: ['wip-limit'], extraEvents: 'deployed' }));
    assert.deepEqual(wrongShapes.settings, { rules: {}, extraEvents: [] });
    assert.equal(wrongShapes.problems.length, 2);
  });
});

describe('document selector and watchers', () => {
  const folder = '/home/ana/project';
  const matches = (patterns: string[], file: string) => patterns.some((pattern) => minimatch(file, pattern, { dot: true }));

  it('covers cards, context and learning files, ledgers and INDEX.md below .work/tasks', () => {
    const selector = documentSelector(undefined, [folder]);
    assert.ok(selector.every((filter) => filter.scheme === 'file'));
    const patterns = selector.map((filter) => filter.pattern);
    assert.deepEqual(patterns, ['**/.work/tasks/**/*.md', '**/.work/tasks/**/*.ledger.jsonl']);
    const task = `${folder}/.work/tasks/current/TASK-0042-payment-retries`;
    for (const file of [
      `${task}/0042-payment-retries.task.md`,
      `${task}/0042-payment-retries.context.md`,
      `${task}/0042-payment-retries.learning.md`,
      `${task}/0042-payment-retries.ledger.jsonl`,
      `${folder}/.work/tasks/current/INDEX.md`,
      `${folder}/.work/tasks/INDEX.md`,
    ]) {
      assert.ok(matches(patterns, file), file);
    }
    for (const file of [`${folder}/README.md`, `${folder}/.work/tasks/ID_COUNTER.txt`, `${folder}/notes/x.ledger.jsonl`]) {
      assert.ok(!matches(patterns, file), file);
    }
  });

  it('adds a configured tasks root below each folder, and watches only that one itself', () => {
    const folders = [folder, '/srv/other'];
    const patterns = documentSelector('./planning/tasks/', folders).map((filter) => filter.pattern);
    assert.ok(matches(patterns, `${folder}/planning/tasks/next/TASK-0001-a/0001-a.task.md`));
    assert.ok(matches(patterns, '/srv/other/planning/tasks/next/TASK-0001-a/0001-a.ledger.jsonl'));
    assert.ok(!matches(patterns, `${folder}/planning/README.md`));
    assert.deepEqual(clientWatchGlobs(undefined, folders), []);
    assert.deepEqual(clientWatchGlobs('.work/tasks', folders), []);
    assert.deepEqual(clientWatchGlobs('planning/tasks', folders), [
      `${folder}/planning/tasks/**`,
      '/srv/other/planning/tasks/**',
    ]);
  });
});

describe('package.json', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(extensionDir, 'package.json'), 'utf8'));

  it('declares every setting the mapping reads', () => {
    const properties = manifest.contributes.configuration.properties;
    for (const key of ['user', 'tasksRoot', 'rules', 'extraEvents', 'trace.server', 'server.path']) {
      assert.ok(properties[`flowos.${key}`], `flowos.${key}`);
      const setting = properties[`flowos.${key}`];
      assert.ok(setting.description || setting.markdownDescription, `flowos.${key} has a description`);
    }
    assert.deepEqual(properties['flowos.trace.server'].enum, ['off', 'messages', 'verbose']);
    assert.equal(properties['flowos.extraEvents'].type, 'array');
  });

  it('keeps the logic modules free of the vscode API', () => {
    for (const module of ['server.ts', 'settings.ts', 'commands.ts']) {
      const text = fs.readFileSync(path.join(extensionDir, 'src', module), 'utf8');
      assert.ok(!/from ['"]vscode['"]|require\(['"]vscode['"]\)/.test(text), module);
    }
  });
});
