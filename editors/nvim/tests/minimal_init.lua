-- Minimal init for flowos.nvim: the end-to-end test (tests/nvim.rs) starts Neovim with it, and
-- it is a quick way to try the plugin without touching your own config:
--   nvim -u editors/nvim/tests/minimal_init.lua path/to/project/.work/tasks/INDEX.md
-- FLOWOS_LSP_BIN names the server binary (the test passes the one cargo built).

local this_file = debug.getinfo(1, 'S').source:sub(2)
vim.opt.runtimepath:prepend(vim.fn.fnamemodify(this_file, ':p:h:h'))
vim.opt.swapfile = false

local flowos_lsp = os.getenv('FLOWOS_LSP_BIN') or 'flowos-lsp'

-- setup: the snippet of editors/nvim/README.md, with the command taken from FLOWOS_LSP_BIN.
require('flowos').setup {
  cmd = { flowos_lsp },
  user = '@you', -- written as `user` in the ledger lines of transitions
  settings = {
    rules = { ['slo-exceeded'] = 'off' },
    extraEvents = { 'design_review' },
  },
}
-- end setup
