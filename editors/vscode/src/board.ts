// FlowOS: Show Board. The webview shows the page `flowos-lsp board` writes (the same HTML as
// in a browser) under a content security policy; this file holds the logic that needs no
// editor: the command line, the policy and nonces, and the reading of the page's messages.
// extension.ts opens the panel, runs the binary and refreshes it.

import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SHOW_BOARD_COMMAND = 'flowos.showBoard';
export const BOARD_VIEW_TYPE = 'flowos.board';
/** Changes closer together than this make one refresh. */
export const REFRESH_DELAY_MS = 400;

/** The arguments that print the board of `folder` on standard output. */
export function boardArgs(folder: string, tasksRoot?: string): string[] {
  const args = ['board', folder];
  if (tasksRoot && tasksRoot.trim() !== '') {
    args.push('--tasks-root', path.resolve(folder, tasksRoot.trim()));
  }
  return args;
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

/** The policy: nothing from anywhere, but the page's own style and script (by nonce). */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

/**
 * The board page made fit for a webview: the policy as the head's first element, the nonce
 * on its style and script elements. The page fetches nothing and sets styles through the
 * CSSOM only (inline style attributes would be refused), so nothing else needs allowing.
 */
export function webviewHtml(boardHtml: string, cspSource: string, nonce: string): string {
  const meta = `<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(cspSource, nonce)}">`;
  if (!/<head>/i.test(boardHtml)) {
    throw new Error('the board page has no <head>');
  }
  return boardHtml
    .replace(/<head>/i, `<head>\n${meta}`)
    .replace(/<style>/gi, `<style nonce="${nonce}">`)
    .replace(/<script(?=[\s>])/gi, `<script nonce="${nonce}"`);
}

/** What the page asks for: a card clicked, to open its task file. */
export type BoardRequest = { open: string } | { ignored: string };

/**
 * Reads a message from the webview. Only `{type: "open", href: "file://…"}` naming a file
 * inside one of `roots` (the workspace folders) is honoured: the page is ours, but its data
 * comes from the workspace, so a link elsewhere is refused rather than opened.
 */
export function readBoardMessage(message: unknown, roots: readonly string[]): BoardRequest {
  if (typeof message !== 'object' || message === null) {
    return { ignored: 'not an object' };
  }
  const { type, href } = message as { type?: unknown; href?: unknown };
  if (type !== 'open') {
    return { ignored: `unknown message type ${JSON.stringify(type)}` };
  }
  if (typeof href !== 'string' || !href.startsWith('file://')) {
    return { ignored: 'not a file link' };
  }
  let file: string;
  try {
    file = path.resolve(fileURLToPath(href));
  } catch {
    return { ignored: 'not a file link' };
  }
  const inside = roots.some((root) => {
    const relative = path.relative(path.resolve(root), file);
    return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
  });
  if (!inside) {
    return { ignored: `${file} is outside the workspace` };
  }
  return { open: file };
}

/** Calls `run` once `delayMs` after the last of a burst of `schedule()` calls. */
export function debounce(run: () => void, delayMs: number): { schedule(): void; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  return {
    schedule() {
      if (timer) {
        clearTimeout(timer);
      }
      timer = setTimeout(() => {
        timer = undefined;
        run();
      }, delayMs);
    },
    cancel() {
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
      }
    },
  };
}
