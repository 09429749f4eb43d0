-- flowos-lsp as a custom server of nvim-lspconfig (Neovim 0.7-0.10; on 0.11 prefer
-- require('flowos').setup{}, which uses vim.lsp.config). Checked by tests/nvim.rs.
local lspconfig = require('lspconfig')
local configs = require('lspconfig.configs')

-- Ledgers are JSON lines (Neovim 0.7: put `vim.g.do_filetype_lua = 1` first in init.lua).
vim.filetype.add({ pattern = { ['.*%.ledger%.jsonl'] = 'json' } })

if not configs.flowos then
  configs.flowos = {
    default_config = {
      cmd = { 'flowos-lsp' },
      filetypes = { 'markdown', 'json' },
      root_dir = lspconfig.util.root_pattern('.work/tasks'),
      single_file_support = false,
      init_options = { flowos = { user = '@you' } },
      settings = { flowos = { user = '@you' } },
    },
    docs = { description = 'flowos-lsp: FlowOS task cards, ledgers and indexes' },
  }
end

lspconfig.flowos.setup {}
