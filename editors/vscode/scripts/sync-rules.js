#!/usr/bin/env node
// @ts-check
// Keeps the `flowos.rules` settings schema in package.json in step with the server's rule
// catalogue. `rules.txt` is a checked-in copy of `flowos-lsp rules` (name, default severity,
// description per line); package.json's `flowos.rules.properties` is generated from it.
//
//   node scripts/sync-rules.js --update [--server PATH]   refresh rules.txt from the server
//        (PATH, else $FLOWOS_LSP_BIN, else `cargo run -- rules` in the repository), then
//        regenerate package.json
//   node scripts/sync-rules.js --update --from-file       regenerate package.json from rules.txt
//   node scripts/sync-rules.js --check [--server PATH]    fail when package.json differs from
//        rules.txt, or (with a server) when rules.txt differs from the server's catalogue
//
// `npm test` runs the same checks (test/rules.test.ts); the Rust suite checks rules.txt
// against the binary (tests/vscode_rules.rs).
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

/** The levels a rule can be set to, in the order the settings UI offers them. */
const LEVELS = ['error', 'warning', 'info', 'hint', 'off'];

/**
 * @typedef {{ name: string, severity: string, description: string }} RuleEntry
 */

/**
 * Parses the catalogue `flowos-lsp rules` prints: `name  severity  description` per line.
 * @param {string} text
 * @returns {RuleEntry[]}
 */
function parseRules(text) {
  /** @type {RuleEntry[]} */
  const rules = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      continue;
    }
    const match = /^([a-z0-9-]+)\s+(error|warning|info|hint)\s+(\S.*)$/.exec(line.trim());
    if (!match) {
      throw new Error(`unreadable rule catalogue line: ${JSON.stringify(line)}`);
    }
    rules.push({ name: match[1], severity: match[2], description: match[3].trim() });
  }
  const seen = new Set();
  for (const rule of rules) {
    if (seen.has(rule.name)) {
      throw new Error(`rule ${rule.name} is listed twice`);
    }
    seen.add(rule.name);
  }
  return rules;
}

/**
 * The JSON-schema `properties` of the `flowos.rules` setting, one per rule, in catalogue order.
 * @param {RuleEntry[]} rules
 * @returns {Record<string, { type: string, enum: string[], description: string }>}
 */
function rulesProperties(rules) {
  /** @type {Record<string, { type: string, enum: string[], description: string }>} */
  const properties = {};
  for (const rule of rules) {
    properties[rule.name] = {
      type: 'string',
      enum: [...LEVELS],
      description: `${rule.description} (default: ${rule.severity})`,
    };
  }
  return properties;
}

/**
 * The `flowos.rules` setting inside a parsed package.json.
 * @param {any} manifest
 */
function rulesSetting(manifest) {
  const setting = manifest?.contributes?.configuration?.properties?.['flowos.rules'];
  if (!setting || typeof setting !== 'object') {
    throw new Error('package.json has no contributes.configuration.properties["flowos.rules"]');
  }
  return setting;
}

/**
 * How package.json's `flowos.rules` schema differs from the catalogue; empty when in step.
 * @param {any} manifest
 * @param {RuleEntry[]} rules
 * @returns {string[]}
 */
function checkManifest(manifest, rules) {
  const setting = rulesSetting(manifest);
  /** @type {string[]} */
  const problems = [];
  const expected = rulesProperties(rules);
  const actual = setting.properties ?? {};
  const expectedNames = Object.keys(expected);
  const actualNames = Object.keys(actual);
  for (const name of expectedNames) {
    if (!(name in actual)) {
      problems.push(`rule ${name} is missing from flowos.rules.properties`);
    } else if (JSON.stringify(actual[name]) !== JSON.stringify(expected[name])) {
      problems.push(`rule ${name} differs: ${JSON.stringify(actual[name])}`);
    }
  }
  for (const name of actualNames) {
    if (!(name in expected)) {
      problems.push(`flowos.rules.properties lists ${name}, which is not a rule`);
    }
  }
  if (problems.length === 0 && expectedNames.join() !== actualNames.join()) {
    problems.push('flowos.rules.properties is not in catalogue order');
  }
  if (JSON.stringify(setting.additionalProperties?.enum) !== JSON.stringify(LEVELS)) {
    problems.push(`flowos.rules.additionalProperties.enum should be ${JSON.stringify(LEVELS)}`);
  }
  return problems;
}

/**
 * package.json text with `flowos.rules.properties` regenerated.
 * @param {string} manifestText
 * @param {RuleEntry[]} rules
 */
function updatedManifest(manifestText, rules) {
  const manifest = JSON.parse(manifestText);
  const setting = rulesSetting(manifest);
  setting.additionalProperties = { type: 'string', enum: [...LEVELS] };
  setting.properties = rulesProperties(rules);
  return JSON.stringify(manifest, null, 2) + '\n';
}

/**
 * The catalogue as the server prints it.
 * @param {string} binary
 */
function serverCatalogue(binary) {
  return execFileSync(binary, ['rules'], { encoding: 'utf8' });
}

/** @param {string} dir the extension folder */
function cargoCatalogue(dir) {
  const manifest = path.resolve(dir, '..', '..', 'Cargo.toml');
  return execFileSync('cargo', ['run', '-q', '--manifest-path', manifest, '--', 'rules'], {
    encoding: 'utf8',
  });
}

/** @param {string[]} argv */
function main(argv) {
  const dir = path.resolve(__dirname, '..');
  const rulesPath = path.join(dir, 'rules.txt');
  const manifestPath = path.join(dir, 'package.json');
  const serverIndex = argv.indexOf('--server');
  const server = serverIndex >= 0 ? argv[serverIndex + 1] : process.env.FLOWOS_LSP_BIN || undefined;

  if (argv.includes('--update')) {
    if (!argv.includes('--from-file')) {
      const catalogue = server ? serverCatalogue(server) : cargoCatalogue(dir);
      parseRules(catalogue); // refuse to write something unreadable
      fs.writeFileSync(rulesPath, catalogue);
    }
    const rules = parseRules(fs.readFileSync(rulesPath, 'utf8'));
    fs.writeFileSync(manifestPath, updatedManifest(fs.readFileSync(manifestPath, 'utf8'), rules));
    console.log(`package.json: flowos.rules lists ${rules.length} rules`);
    return 0;
  }
  if (argv.includes('--check')) {
    const text = fs.readFileSync(rulesPath, 'utf8');
    const rules = parseRules(text);
    const problems = checkManifest(JSON.parse(fs.readFileSync(manifestPath, 'utf8')), rules);
    if (server && serverCatalogue(server) !== text) {
      problems.push(`rules.txt differs from \`${server} rules\``);
    }
    for (const problem of problems) {
      console.error(problem);
    }
    if (problems.length > 0) {
      console.error('run `npm run rules:update` in editors/vscode');
      return 1;
    }
    console.log(`flowos.rules is in step with rules.txt (${rules.length} rules)`);
    return 0;
  }
  console.error('usage: sync-rules.js --update [--server PATH | --from-file] | --check [--server PATH]');
  return 2;
}

module.exports = { LEVELS, parseRules, rulesProperties, checkManifest, updatedManifest, serverCatalogue };

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
