-- End-to-end script of tests/nvim.rs: drives a headless Neovim (0.7+) with flowos.nvim and the
-- real flowos-lsp over the fixture workspace the test wrote, and records what the editor saw
-- as JSON in $FLOWOS_E2E_OUT; the Rust test makes the assertions. Run as
--   FLOWOS_LSP_BIN=... FLOWOS_E2E_WORKSPACE=... FLOWOS_E2E_OUT=... \
--   nvim --headless -n -i NONE -u editors/nvim/tests/minimal_init.lua -c 'luafile editors/nvim/tests/e2e.lua'
-- Every step waits with vim.wait (at most FLOWOS_E2E_TIMEOUT_MS each) and Neovim always quits.

local workspace = assert(os.getenv('FLOWOS_E2E_WORKSPACE'), 'FLOWOS_E2E_WORKSPACE is not set')
local out = assert(os.getenv('FLOWOS_E2E_OUT'), 'FLOWOS_E2E_OUT is not set')
local timeout = tonumber(os.getenv('FLOWOS_E2E_TIMEOUT_MS') or '') or 20000
local this_dir = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h')
local tasks = workspace .. '/.work/tasks'
local flowos = require('flowos')

local results = { nvim = tostring(vim.version().major) .. '.' .. tostring(vim.version().minor) .. '.'
  .. tostring(vim.version().patch), steps = {}, notifications = {} }

-- A headless Neovim must never wait for a person: pickers and prompts cancel unless a step
-- answers them itself.
vim.ui.select = function(_, _, on_choice)
  on_choice(nil)
end
vim.ui.input = function(_, on_confirm)
  on_confirm(nil)
end

-- Messages the plugin (and the server, through window/showMessage) tell the user.
vim.notify = function(message, level)
  table.insert(results.notifications, { message = tostring(message), level = level or 0 })
end

local function card(stage, number)
  return string.format('%s/%s/TASK-%04d-job/%04d-job.task.md', tasks, stage, number, number)
end

local function current_name()
  return vim.fn.fnamemodify(vim.api.nvim_buf_get_name(0), ':p')
end

local function wait(what, condition)
  if not vim.wait(timeout, condition, 20) then
    error('timed out after ' .. timeout .. ' ms waiting for ' .. what, 0)
  end
end

local function step(name, body)
  local started = vim.loop.hrtime()
  local ok, err = pcall(body)
  results.steps[name] = {
    ok = ok,
    error = (not ok) and tostring(err) or nil,
    ms = math.floor((vim.loop.hrtime() - started) / 1e6),
  }
end

--- Opens a file and waits until the flowos client serves it (initialized).
local function open(path)
  vim.cmd('edit ' .. vim.fn.fnameescape(path))
  local bufnr = vim.api.nvim_get_current_buf()
  wait('flowos-lsp to attach to ' .. path, function()
    local client = flowos.client(bufnr)
    return client ~= nil and client.initialized and vim.lsp.buf_is_attached(bufnr, client.id)
  end)
  return bufnr
end

--- 1-based line and byte column of the first `needle` on a line containing `key`.
local function find(bufnr, key, needle)
  for lnum, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    if line:find(key, 1, true) then
      local col = line:find(needle, 1, true)
      if col then
        return lnum, col
      end
    end
  end
  error('no `' .. needle .. '` on a `' .. key .. '` line', 0)
end

local function diagnostic_code(d)
  return d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
end

-- a. A broken dependency is reported in the card.
step('diagnostics', function()
  local bufnr = open(card('backlog', 4))
  wait('the missing-dependency diagnostic', function()
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      if diagnostic_code(d) == 'missing-dependency' then
        return true
      end
    end
    return false
  end)
  results.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(results.diagnostics, {
      code = diagnostic_code(d),
      message = d.message,
      source = d.source,
      severity = d.severity,
      lnum = d.lnum,
      col = d.col,
    })
  end
  results.diagnostics_filetype = vim.bo[bufnr].filetype
end)

-- Ledgers are JSON buffers the server serves too.
step('ledger', function()
  local bufnr = open(string.format('%s/backlog/TASK-0004-job/0004.ledger.jsonl', tasks))
  results.ledger_filetype = vim.bo[bufnr].filetype
end)

-- b. Go to definition on a dependency: the request, then the jump.
step('definition', function()
  local bufnr = open(card('next', 1))
  local lnum, col = find(bufnr, 'depends_on', 'TASK-0002')
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = { line = lnum - 1, character = col - 1 + 2 },
  }
  local uris = {}
  local responses = vim.lsp.buf_request_sync(bufnr, 'textDocument/definition', params, timeout)
  for _, response in pairs(responses or {}) do
    local result = response.result
    if result and (result.uri or result.targetUri) then
      result = { result }
    end
    for _, location in ipairs(result or {}) do
      table.insert(uris, location.targetUri or location.uri)
    end
  end
  results.definition = { uris = uris }
  vim.api.nvim_win_set_cursor(0, { lnum, col - 1 + 2 })
  vim.lsp.buf.definition()
  wait('the jump to the dependency', function()
    return current_name() ~= vim.fn.fnamemodify(card('next', 1), ':p')
  end)
  results.definition.jumped_to = current_name()
end)

-- c. Completion right after `depends_on: [`.
step('completion', function()
  local bufnr = open(card('inbox', 5))
  local lnum, col = find(bufnr, 'depends_on', '[')
  vim.api.nvim_win_set_cursor(0, { lnum, col })
  local client = flowos.client(bufnr)
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  params.context = { triggerKind = 1 }
  local labels = {}
  local responses = vim.lsp.buf_request_sync(bufnr, 'textDocument/completion', params, timeout)
  for _, response in pairs(responses or {}) do
    local result = response.result or {}
    for _, item in ipairs(result.items or result) do
      table.insert(labels, item.label)
    end
  end
  results.completion = {
    labels = labels,
    line = lnum - 1,
    character = params.position.character,
    omnifunc = vim.bo[bufnr].omnifunc,
  }
end)

-- d. :FlowosTransition with vim.ui.select answering "Complete TASK-0003".
step('transition', function()
  local bufnr = open(card('current', 3))
  local old_card = vim.fn.fnamemodify(card('current', 3), ':p')
  local moved_card = vim.fn.fnamemodify(card('integration', 3), ':p')
  results.transition = { offered = {} }
  local ui_select = vim.ui.select
  vim.ui.select = function(items, opts, on_choice)
    local chosen
    for _, item in ipairs(items) do
      local title = opts.format_item and opts.format_item(item) or tostring(item)
      table.insert(results.transition.offered, title)
      if not chosen and title:match('^Complete TASK%-0003') then
        chosen = item
      end
    end
    results.transition.prompt = opts.prompt
    on_choice(chosen)
  end
  local before = flowos.last_result
  local ok, err = pcall(function()
    vim.cmd('FlowosTransition')
    -- The picker opens when the code actions arrive.
    wait('the transition to finish', function()
      return flowos.last_result ~= before
    end)
  end)
  vim.ui.select = ui_select
  assert(ok, err)
  results.transition.result = flowos.last_result
  results.transition.buffer = current_name()
  results.transition.buffers = {}
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) then
      table.insert(results.transition.buffers, vim.fn.fnamemodify(vim.api.nvim_buf_get_name(buf), ':p'))
    end
  end
  results.transition.old_buffer_gone = vim.fn.bufexists(old_card) == 0
  results.transition.new_buffer = bufnr ~= vim.api.nvim_get_current_buf()
  wait('the moved card to attach', function()
    local client = flowos.client(0)
    return client ~= nil and vim.lsp.buf_is_attached(0, client.id) and current_name() == moved_card
  end)
  results.transition.moved_card_attached = true
end)

-- A card with unsaved changes: the server refuses and nothing moves.
step('refusal', function()
  local bufnr = open(card('integration', 2))
  vim.api.nvim_buf_set_lines(bufnr, -1, -1, false, { 'Unsaved note.' })
  local ui_select = vim.ui.select
  vim.ui.select = function(items, opts, on_choice)
    for _, item in ipairs(items) do
      if opts.format_item(item):match('^Integrate TASK%-0002') then
        return on_choice(item)
      end
    end
    on_choice(nil)
  end
  local before = flowos.last_result
  local ok, err = pcall(function()
    vim.cmd('FlowosTransition')
    wait('the refusal', function()
      return flowos.last_result ~= before
    end)
  end)
  vim.ui.select = ui_select
  assert(ok, err)
  results.refusal = { result = flowos.last_result, buffer = current_name() }
  vim.cmd('edit!')
end)

-- :FlowosNewTask creates the package in inbox and opens its card.
step('new_task', function()
  open(card('next', 1))
  vim.cmd('FlowosNewTask Write the docs')
  wait('the new card to open', function()
    return current_name():match('/inbox/TASK%-0006%-[^/]*/[^/]*%.task%.md$') ~= nil
  end)
  results.new_task = { buffer = current_name() }
end)

-- Neovim's own code-action menu runs our commands through the client's `commands` table:
-- "Start TASK-0001" moves the card and the editor follows it.
step('code_action_menu', function()
  open(card('next', 1))
  local moved_card = vim.fn.fnamemodify(card('current', 1), ':p')
  local offered = {}
  local ui_select = vim.ui.select
  vim.ui.select = function(items, opts, on_choice)
    local chosen
    for _, item in ipairs(items) do
      local title = opts.format_item(item)
      table.insert(offered, title)
      if not chosen and title:match('^Start TASK%-0001') then
        chosen = item
      end
    end
    on_choice(chosen)
  end
  local before = flowos.last_result
  local ok, err = pcall(function()
    vim.lsp.buf.code_action({ only = { 'refactor.rewrite.flowos' } })
    wait('the transition to finish', function()
      return flowos.last_result ~= before
    end)
  end)
  vim.ui.select = ui_select
  assert(ok, err)
  results.code_action_menu = { offered = offered, result = flowos.last_result, buffer = current_name() }
  assert(current_name() == moved_card, 'the moved card is open')
end)

-- vim.lsp.buf.rename on the card's task_name: the server renames the task on disk and the
-- editor follows to the renamed card; prepareRename on the task's ID refuses with the reason.
step('rename', function()
  local bufnr = open(card('backlog', 4))
  local id_line, id_col = find(bufnr, 'task_id:', '0004')
  local responses = vim.lsp.buf_request_sync(bufnr, 'textDocument/prepareRename', {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = { line = id_line - 1, character = id_col },
  }, timeout)
  local id_error
  for _, response in pairs(responses or {}) do
    -- (`error` in Neovim 0.7, `err` later.)
    local err = response.err or response.error
    id_error = err and err.message or id_error
  end
  local name_line, name_col = find(bufnr, 'task_name:', 'Job')
  vim.api.nvim_win_set_cursor(0, { name_line, name_col })
  local renamed = vim.fn.fnamemodify(tasks .. '/backlog/TASK-0004-renamed-job/0004-renamed-job.task.md', ':p')
  vim.lsp.buf.rename('Renamed job')
  wait('the renamed card to open', function()
    return current_name() == renamed
  end)
  results.rename = { id_error = id_error, buffer = current_name() }
end)

-- :FlowosNow shows `flowos-lsp now` in a scratch buffer; a second run refreshes that buffer.
step('now', function()
  vim.cmd('edit ' .. vim.fn.fnameescape(tasks .. '/INDEX.md'))
  vim.cmd('FlowosNow')
  local bufnr = vim.api.nvim_get_current_buf()
  vim.cmd('wincmd p')
  vim.cmd('FlowosNow')
  results.now = {
    lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false),
    same_buffer = vim.api.nvim_get_current_buf() == bufnr,
    buftype = vim.bo[bufnr].buftype,
    modifiable = vim.bo[bufnr].modifiable,
    windows = #vim.fn.win_findbuf(bufnr),
    name = vim.api.nvim_buf_get_name(bufnr),
  }
end)

-- The nvim-lspconfig snippet of the README, against a stand-in lspconfig.
step('lspconfig_snippet', function()
  local registered, setup_called = {}, nil
  package.loaded['lspconfig.configs'] = registered
  package.loaded['lspconfig'] = setmetatable({
    util = {
      root_pattern = function(...)
        local markers = { ... }
        return function(path)
          return markers[1] == '.work/tasks' and flowos.find_root(path) or nil
        end
      end,
    },
  }, {
    __index = function(_, name)
      return {
        setup = function(opts)
          setup_called = { name = name, opts = opts }
        end,
      }
    end,
  })
  dofile(this_dir .. '/../examples/lspconfig.lua')
  local default = registered.flowos and registered.flowos.default_config
  assert(default, 'the snippet registers configs.flowos')
  results.lspconfig = {
    cmd = default.cmd,
    filetypes = default.filetypes,
    init_options = default.init_options,
    root = default.root_dir(card('next', 1)),
    setup = setup_called and setup_called.name,
  }
end)

local encoded, json = pcall(vim.fn.json_encode, results)
local file = io.open(out, 'w')
if file then
  file:write(encoded and json or vim.fn.json_encode({ fatal = tostring(json) }))
  file:close()
end
vim.cmd('qa!')
