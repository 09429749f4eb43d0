// FlowOS: Show Board without VS Code: the command line, the page made fit for a webview (its
// content security policy and nonces) and the reading of the messages the page sends. With
// FLOWOS_LSP_BIN set, the page is the real one the binary writes for the demo.

import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

import {
  SHOW_BOARD_COMMAND,
  boardArgs,
  contentSecurityPolicy,
  debounce,
  makeNonce,
  readBoardMessage,
  webviewHtml,
} from '../src/board';

const repository = path.resolve(__dirname, '..', '..', '..', '..', '..');
const demo = path.join(repository, 'examples', 'demo');
const binary = process.env.FLOWOS_LSP_BIN;
const CSP_SOURCE = 'https://webview.example';

/** The demo's board from the binary, else the repository's template (placeholders and all). */
function boardPage(): string {
  if (binary && fs.existsSync(demo)) {
    return execFileSync(binary, ['board', demo, '--now', '2026-11-20T12:00:00Z'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  }
  return fs.readFileSync(path.join(repository, 'assets', 'board', 'board.html'), 'utf8');
}

describe('FlowOS: Show Board', () => {
  it('is contributed under the command the extension registers', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(repository, 'editors', 'vscode', 'package.json'), 'utf8'));
    const command = manifest.contributes.commands.find((c: { command: string }) => c.command === SHOW_BOARD_COMMAND);
    assert.deepEqual(command, { command: 'flowos.showBoard', title: 'Show Board', category: 'FlowOS' });
    assert.ok(manifest.activationEvents.includes('onCommand:flowos.showBoard'));
  });

  it('runs `board` on the folder, with a configured tasks root made absolute', () => {
    assert.deepEqual(boardArgs('/ws'), ['board', '/ws']);
    assert.deepEqual(boardArgs('/ws', ' '), ['board', '/ws']);
    assert.deepEqual(boardArgs('/ws', 'work/tasks'), ['board', '/ws', '--tasks-root', path.resolve('/ws', 'work/tasks')]);
  });

  it('puts the policy first in the head and a nonce on every style and script', () => {
    const nonce = makeNonce();
    assert.match(nonce, /^[A-Za-z0-9]{16,}$/);
    assert.notEqual(nonce, makeNonce());
    const page = boardPage();
    const html = webviewHtml(page, CSP_SOURCE, nonce);
    const head = html.slice(html.indexOf('<head>'), html.indexOf('</head>'));
    assert.ok(
      head.startsWith(`<head>\n<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(CSP_SOURCE, nonce)}">`),
      head.slice(0, 300),
    );
    const policy = contentSecurityPolicy(CSP_SOURCE, nonce);
    assert.match(policy, /^default-src 'none'; /);
    assert.ok(policy.includes(`script-src 'nonce-${nonce}'`) && policy.includes(`style-src 'nonce-${nonce}'`));
    assert.ok(!policy.includes('unsafe'), policy);
    const scripts = html.match(/<script[\s>][^>]*>?/g) ?? [];
    assert.equal(scripts.length, 2, 'the data and the script');
    for (const tag of [...scripts, ...(html.match(/<style[\s>]/g) ?? [])]) {
      assert.ok(html.includes(tag.startsWith('<style') ? `<style nonce="${nonce}">` : `<script nonce="${nonce}"`), tag);
    }
    assert.equal((html.match(/<script nonce=/g) ?? []).length, 2);
    // The page fetches nothing: no external script, style sheet, font or image.
    for (const fetch of ['<script src', '<link', '@import', 'url(http', 'src="http']) {
      assert.ok(!html.includes(fetch), fetch);
    }
    assert.throws(() => webviewHtml('<html><body></body></html>', CSP_SOURCE, nonce), /no <head>/);
  });

  it('sets no inline style attribute, which the policy would refuse', () => {
    const script = fs.readFileSync(path.join(repository, 'assets', 'board', 'board.js'), 'utf8');
    assert.ok(!/setAttribute\(\s*["']style["']/.test(script));
    assert.ok(!/svg\("[a-z]+",\s*\{[^}]*\bstyle:/.test(script), 'an SVG element given a style attribute');
    assert.ok(!/style=\\?"/.test(script), 'markup with a style attribute');
    // el() routes `style` to the CSSOM.
    assert.match(script, /if \(key === "style"\) node\.style\.cssText = value;/);
  });

  it('opens a clicked card inside the workspace and nothing else', () => {
    const root = path.resolve('/ws');
    const card = path.join(root, '.work', 'tasks', 'current', 'TASK-0001-x', '0001-x.task.md');
    const href = pathToFileURL(card).href;
    assert.deepEqual(readBoardMessage({ type: 'open', id: 'TASK-0001', href }, [root]), { open: card });
    // A space in the path, percent-encoded by the page.
    const spaced = path.join(root, '.work', 'tasks', 'next', 'TASK-0002-a b', '0002.task.md');
    assert.deepEqual(readBoardMessage({ type: 'open', href: pathToFileURL(spaced).href }, [root]), { open: spaced });
    const refused = [
      { type: 'open', href: pathToFileURL(path.resolve('/etc/passwd')).href },
      { type: 'open', href: 'file:///ws/../etc/passwd' },
      { type: 'open', href: pathToFileURL(root).href },
      { type: 'open', href: 'https://example.com/x.task.md' },
      { type: 'open', href: 42 },
      { type: 'run', href },
      null,
      'open',
    ];
    for (const message of refused) {
      const request = readBoardMessage(message, [root]);
      assert.ok('ignored' in request, JSON.stringify(message));
    }
    assert.deepEqual(readBoardMessage({ type: 'open', href }, [path.resolve('/elsewhere'), root]), { open: card });
  });

  it('refreshes once for a burst of changes', async () => {
    let runs = 0;
    const refresh = debounce(() => runs++, 20);
    refresh.schedule();
    refresh.schedule();
    refresh.schedule();
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(runs, 1);
    refresh.schedule();
    refresh.cancel();
    await new Promise((resolve) => setTimeout(resolve, 40));
    assert.equal(runs, 1, 'a cancelled refresh does not run');
  });
});
