import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { LEVELS, checkManifest, parseRules, serverCatalogue, updatedManifest } from '../scripts/sync-rules';

const extensionDir = path.resolve(__dirname, '..', '..', '..');
const catalogueText = fs.readFileSync(path.join(extensionDir, 'rules.txt'), 'utf8');
const manifestText = fs.readFileSync(path.join(extensionDir, 'package.json'), 'utf8');

describe('flowos.rules schema', () => {
  const rules = parseRules(catalogueText);

  it('reads the checked-in catalogue', () => {
    assert.ok(rules.length > 10, `${rules.length} rules`);
    const wip = rules.find((rule) => rule.name === 'wip-limit');
    assert.equal(wip?.severity, 'error');
    assert.throws(() => parseRules('not a rule line'), /unreadable/);
  });

  it('lists every rule of rules.txt in package.json, in order, with the five levels', () => {
    const manifest = JSON.parse(manifestText);
    assert.deepEqual(checkManifest(manifest, rules), []);
    const setting = manifest.contributes.configuration.properties['flowos.rules'];
    assert.deepEqual(Object.keys(setting.properties), rules.map((rule) => rule.name));
    for (const rule of rules) {
      assert.deepEqual(setting.properties[rule.name].enum, LEVELS);
      assert.ok(setting.properties[rule.name].description.includes(rule.description));
    }
    assert.deepEqual(setting.additionalProperties.enum, ['error', 'warning', 'info', 'hint', 'off']);
  });

  it('is exactly what `npm run rules:update` generates', () => {
    assert.equal(updatedManifest(manifestText, rules), manifestText);
  });

  it('notices a rule the catalogue gained or lost', () => {
    const manifest = JSON.parse(manifestText);
    const extra = [...rules, { name: 'new-rule', severity: 'warning', description: 'New.' }];
    assert.deepEqual(checkManifest(manifest, extra), ['rule new-rule is missing from flowos.rules.properties']);
    assert.deepEqual(checkManifest(manifest, rules.slice(1)), [
      `flowos.rules.properties lists ${rules[0].name}, which is not a rule`,
    ]);
  });

  const binary = process.env.FLOWOS_LSP_BIN;
  it('matches the catalogue of the server binary', { skip: !binary && 'set FLOWOS_LSP_BIN to a flowos-lsp binary to compare' }, () => {
    assert.equal(serverCatalogue(binary as string), catalogueText, 'run `npm run rules:update`');
  });
});
