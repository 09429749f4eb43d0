#!/usr/bin/env bash
# Builds, tests and packages the VS Code extension from a clean install, then loads the
# packaged .vsix in node (scripts/smoke-vsix.js, needs unzip).
# Set FLOWOS_LSP_BIN to a built flowos-lsp (e.g. target/debug/flowos-lsp) to also run the
# checks against the real server; without it those are skipped.
set -euo pipefail
if [[ -n "${FLOWOS_LSP_BIN:-}" ]]; then
  # Absolute, since the steps below run in this folder.
  FLOWOS_LSP_BIN="$(cd "$(dirname "$FLOWOS_LSP_BIN")" && pwd)/$(basename "$FLOWOS_LSP_BIN")"
  export FLOWOS_LSP_BIN
fi
cd "$(dirname "${BASH_SOURCE[0]}")"
npm ci
npm run compile
npm test
npm run package
if command -v unzip >/dev/null 2>&1; then
  npm run smoke
else
  echo "ci.sh: unzip not found, skipped npm run smoke" >&2
fi
