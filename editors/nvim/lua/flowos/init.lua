-- flowos.nvim: the Neovim client of flowos-lsp (FlowOS task workspaces).
--
-- require('flowos').setup{ cmd = {'flowos-lsp'}, settings = {...}, user = '@you' }
--
-- Starts one flowos-lsp per workspace (the folder holding `.work/tasks`) for the markdown and
-- `*.ledger.jsonl` buffers inside the tasks tree, on every Neovim from 0.7 on:
--   0.11+     vim.lsp.config('flowos', ...) + vim.lsp.enable('flowos')
--   0.8-0.10  vim.lsp.start() from FileType/BufEnter autocmds
--   0.7       vim.lsp.start_client() + vim.lsp.buf_attach_client(), one client per root
-- and provides :FlowosTransition, :FlowosNewTask and :FlowosNow (defined in plugin/flowos.lua).

local M = {}

local TRANSITION_KIND = 'refactor.rewrite.flowos'
local COMMANDS = { 'flowos.transition', 'flowos.completeTransition', 'flowos.newTask' }

M.defaults = {
  -- The server command (a list: program and arguments).
  cmd = { 'flowos-lsp' },
  -- The `flowos` settings section: user, tasksRoot, rules, extraEvents. Sent as
  -- initializationOptions and answered to workspace/configuration.
  settings = {},
  -- Shorthand for settings.user: the `user` written in ledger lines ("@you").
  user = nil,
  -- Ask the server for transitions it cannot run now (greyed out with their reason). Neovim's
  -- own code-action menu lists them too (picking one does nothing); :FlowosTransition shows
  -- their reasons and offers only the runnable ones.
  disabled_actions = true,
  -- Called as on_attach(client, bufnr).
  on_attach = nil,
  -- Extra client capabilities, merged over Neovim's.
  capabilities = nil,
}

M.config = vim.deepcopy(M.defaults)
-- Client ids by workspace root, for Neovim 0.7 (0.8+ reuses clients itself).
local clients_by_root = {}

local function notify(message, level)
  vim.notify('flowos: ' .. message, level or vim.log.levels.INFO)
end

local function has(feature)
  return vim.fn.has(feature) == 1
end

-- client:request() is the spelling from 0.11 on; client.request() before.
local function request(client, method, params, handler, bufnr)
  if has('nvim-0.11') then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

local function get_clients()
  local get = vim.lsp.get_clients or vim.lsp.get_active_clients
  local found = {}
  for _, client in ipairs(get()) do
    if client.name == 'flowos' and not client:is_stopped() then
      table.insert(found, client)
    end
  end
  return found
end

--- The settings section as the user wrote it, with `user` folded in.
local function section()
  local settings = vim.deepcopy(M.config.settings or {})
  if settings.flowos ~= nil then
    settings = settings.flowos
  end
  if M.config.user then
    settings.user = M.config.user
  end
  if vim.tbl_isempty(settings) then
    return vim.empty_dict()
  end
  return settings
end

--- The tasks root's folder name relative to a workspace (settings.tasksRoot, else .work/tasks).
local function marker()
  local tasks_root = section().tasksRoot
  if type(tasks_root) == 'string' and tasks_root ~= '' then
    return (tasks_root:gsub('/+$', ''))
  end
  return '.work/tasks'
end

--- The workspace a file belongs to: the nearest folder above it holding `.work/tasks`.
---@param path string a file or folder path
---@return string|nil
function M.find_root(path)
  if not path or path == '' or path:match('^%a[%w+.-]*://') then
    return nil
  end
  local dir = vim.fn.fnamemodify(path, ':p')
  if vim.fn.isdirectory(dir) == 0 then
    dir = vim.fn.fnamemodify(dir, ':h')
  end
  dir = dir:gsub('/+$', '')
  local tasks = marker()
  while dir ~= '' do
    if vim.fn.isdirectory(dir .. '/' .. tasks) == 1 then
      return dir
    end
    local parent = vim.fn.fnamemodify(dir, ':h')
    if parent == dir then
      break
    end
    dir = parent
  end
  if vim.fn.isdirectory('/' .. tasks) == 1 then
    return '/'
  end
  return nil
end

--- The workspace root of a buffer the server should see (a markdown file or a ledger inside
--- the tasks tree), else nil.
function M.buffer_root(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if vim.bo[bufnr].buftype ~= '' then
    return nil
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  local is_markdown = vim.bo[bufnr].filetype == 'markdown' or name:match('%.md$')
  if not (is_markdown or name:match('%.ledger%.jsonl$')) then
    return nil
  end
  local root = M.find_root(name)
  if not root then
    return nil
  end
  local tasks = (root == '/' and '' or root) .. '/' .. marker() .. '/'
  local full = vim.fn.fnamemodify(name, ':p')
  if full:sub(1, #tasks) ~= tasks then
    return nil
  end
  return root
end

local function capabilities()
  local caps = vim.lsp.protocol.make_client_capabilities()
  caps.textDocument = caps.textDocument or {}
  caps.textDocument.codeAction = caps.textDocument.codeAction or {}
  caps.textDocument.codeAction.disabledSupport = M.config.disabled_actions and true or false
  caps.workspace = caps.workspace or {}
  -- Every Neovim answers workspace/configuration from `settings`; 0.7 does not say so.
  caps.workspace.configuration = true
  if M.config.capabilities then
    caps = vim.tbl_deep_extend('force', caps, M.config.capabilities)
  end
  return caps
end

local function value(x)
  if x == vim.NIL then
    return nil
  end
  return x
end

-- What a flowos command answers: {ok, message, show}. On success, reload what changed on
-- disk, follow the moved card, and open what the server asked to show (Neovim 0.7 has no
-- window/showDocument). The answer is kept in M.last_result (for scripts and tests).
local function on_command_result(err, result, after)
  result = value(result) or {}
  local answer = {
    ok = err == nil and value(result.ok) ~= false,
    message = err and (err.message or vim.inspect(err)) or value(result.message),
    show = value(result.show),
  }
  if answer.ok then
    M.refresh(answer.show and vim.uri_to_fname(answer.show) or nil)
  elseif err or not answer.message then
    -- (A refusal with a reason came as window/showMessage already.)
    notify(answer.message or 'the server refused', vim.log.levels.ERROR)
  end
  M.last_result = answer
  if after then
    after(answer.ok, answer.message, answer.show)
  end
end

--- Runs a flowos command (`{command, arguments}`) on `client`; `after(ok, message, show)`.
function M.execute(client, command, bufnr, after)
  return request(client, 'workspace/executeCommand', {
    command = command.command,
    arguments = command.arguments,
  }, function(err, result)
    on_command_result(err, result, after)
  end, bufnr)
end

local function client_commands()
  local commands = {}
  for _, name in ipairs(COMMANDS) do
    -- Neovim's own code-action menu hands our commands here: run them and follow the result.
    commands[name] = function(command, ctx)
      local client = vim.lsp.get_client_by_id(ctx.client_id)
      if client then
        M.execute(client, command, ctx.bufnr)
      end
    end
  end
  return commands
end

local function on_attach(client, bufnr)
  -- The markdown ftplugin sets omnifunc to HTML completion; <C-x><C-o> should ask the server.
  vim.bo[bufnr].omnifunc = 'v:lua.vim.lsp.omnifunc'
  if M.config.on_attach then
    M.config.on_attach(client, bufnr)
  end
end

--- The client configuration for a workspace root (nil root: the 0.11 form, root per buffer).
function M.client_config(root)
  local settings = section()
  local config = {
    name = 'flowos',
    cmd = M.config.cmd,
    init_options = { flowos = settings },
    settings = { flowos = settings },
    capabilities = capabilities(),
    commands = client_commands(),
    handlers = {
      -- A rename is done on disk by the server (its edit is empty): follow the renamed card
      -- (Neovim 0.7 has no window/showDocument).
      ['textDocument/rename'] = function(err, result, ctx, config)
        vim.lsp.handlers['textDocument/rename'](err, result, ctx, config)
        if not err then
          M.refresh(nil)
        end
      end,
    },
    on_attach = on_attach,
  }
  if root then
    config.root_dir = root
    config.workspace_folders = { { uri = vim.uri_from_fname(root), name = root } }
  end
  return config
end

local function attached(bufnr)
  for _, client in ipairs(get_clients()) do
    if vim.lsp.buf_is_attached(bufnr, client.id) then
      return true
    end
  end
  return false
end

--- Attaches a buffer to its workspace's client, starting one if needed (0.7-0.10).
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if not vim.api.nvim_buf_is_valid(bufnr) or attached(bufnr) then
    return
  end
  local root = M.buffer_root(bufnr)
  if not root then
    return
  end
  if vim.lsp.start then
    vim.lsp.start(M.client_config(root), { bufnr = bufnr })
    return
  end
  local id = clients_by_root[root]
  local client = id and vim.lsp.get_client_by_id(id)
  if not client or client:is_stopped() then
    id = vim.lsp.start_client(M.client_config(root))
    clients_by_root[root] = id
  end
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
end

--- The flowos client serving `bufnr`, else the one for the current directory's workspace,
--- else any flowos client.
function M.client(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local clients = get_clients()
  for _, client in ipairs(clients) do
    if vim.lsp.buf_is_attached(bufnr, client.id) then
      return client
    end
  end
  local root = M.find_root(vim.fn.getcwd())
  for _, client in ipairs(clients) do
    if root and client.config.root_dir == root then
      return client
    end
  end
  return clients[1]
end

local function same_file(a, b)
  return vim.fn.fnamemodify(a, ':p') == vim.fn.fnamemodify(b, ':p')
end

local uv = vim.uv or vim.loop

local function exists(path)
  return uv.fs_stat(path) ~= nil
end

--- :edit in the current window (or `win`); a failure (e.g. E37, unsaved changes) is told.
local function edit(path, win)
  local ok, err = pcall(vim.api.nvim_win_call, win or 0, function()
    vim.cmd('edit ' .. vim.fn.fnameescape(path))
  end)
  if not ok then
    notify('could not open ' .. path .. ': ' .. tostring(err), vim.log.levels.WARN)
  end
  return ok
end

--- Where a file of a package renamed in place (`:h` TASK-0004-old gone) is now: the same
--- name in the one sibling folder of the same ID, or that folder's card for a card.
local function renamed_file(path)
  local folder = vim.fn.fnamemodify(path, ':h')
  local id = vim.fn.fnamemodify(folder, ':t'):match('^(TASK%-%u[%u%d]*%-%d+)%-')
    or vim.fn.fnamemodify(folder, ':t'):match('^(TASK%-%d+)%-')
  if not id then
    return nil
  end
  local siblings = vim.fn.glob(vim.fn.fnamemodify(folder, ':h') .. '/' .. id .. '-*', false, true)
  if #siblings ~= 1 then
    return nil
  end
  local same = siblings[1] .. '/' .. vim.fn.fnamemodify(path, ':t')
  if exists(same) then
    return same
  end
  if path:match('%.task%.md$') then
    return vim.fn.glob(siblings[1] .. '/*.task.md', false, true)[1]
  end
  return nil
end

--- After a transaction: buffers of the task's old folder follow it to the new one (the
--- card to `show`), buffers whose files changed are reloaded (:checktime), and `show` is
--- opened unless the server's window/showDocument already did.
function M.refresh(show)
  if show and not same_file(vim.api.nvim_buf_get_name(0), show) then
    edit(show)
  end
  local new_folder = show and vim.fn.fnamemodify(show, ':p:h')
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    local name = vim.api.nvim_buf_get_name(buf)
    if vim.api.nvim_buf_is_loaded(buf) and name ~= '' and vim.bo[buf].buftype == ''
        and not vim.bo[buf].modified and not exists(name)
        and not exists(vim.fn.fnamemodify(name, ':h')) and M.find_root(name) then
      -- Its folder is gone, so the task moved (a new file in an existing folder stays):
      -- show the same file name in the new folder instead, if there is one.
      local replacement = new_folder and (new_folder .. '/' .. vim.fn.fnamemodify(name, ':t'))
      if replacement and not exists(replacement) then
        replacement = nil
      end
      replacement = replacement or (not show and renamed_file(name)) or nil
      for _, win in ipairs(vim.api.nvim_list_wins()) do
        if vim.api.nvim_win_get_buf(win) == buf and replacement then
          edit(replacement, win)
        end
      end
      if vim.fn.bufwinid(buf) == -1 then
        pcall(vim.api.nvim_buf_delete, buf, {})
      end
    end
  end
  vim.cmd('silent! checktime')
end

--- :FlowosTransition — the stage transitions of the task at the cursor (card, ledger or
--- INDEX.md row): pick one, the server runs it on disk, the moved card opens.
function M.transition(opts)
  opts = opts or {}
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client or not vim.lsp.buf_is_attached(bufnr, client.id) then
    notify('this buffer is not a FlowOS task file', vim.log.levels.WARN)
    return
  end
  local position = vim.lsp.util.make_position_params(0, client.offset_encoding).position
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = position, ['end'] = position },
    context = { diagnostics = {}, only = { TRANSITION_KIND } },
  }
  request(client, 'textDocument/codeAction', params, function(err, actions)
    if err then
      notify(err.message or vim.inspect(err), vim.log.levels.ERROR)
      return
    end
    local runnable, unavailable = {}, {}
    for _, action in ipairs(actions or {}) do
      if action.disabled then
        table.insert(unavailable, action.title .. ': ' .. (action.disabled.reason or 'not possible now'))
      elseif action.command then
        table.insert(runnable, action)
      end
    end
    if #unavailable > 0 then
      notify('not available now:\n  ' .. table.concat(unavailable, '\n  '))
    end
    if #runnable == 0 then
      notify('no transition can run now', vim.log.levels.WARN)
      return
    end
    vim.ui.select(runnable, {
      prompt = 'FlowOS transition:',
      kind = 'flowos.transition',
      format_item = function(action)
        return action.title
      end,
    }, function(action)
      if action then
        local command = type(action.command) == 'table' and action.command or action
        M.execute(client, command, bufnr, opts.after)
      end
    end)
  end, bufnr)
end

--- :FlowosNewTask [name] — WF1: reserve the next ID, create the package in inbox, open it.
function M.new_task(name, opts)
  opts = opts or {}
  local function run(task_name)
    if not task_name or vim.trim(task_name) == '' then
      return
    end
    local client = M.client(0)
    if not client then
      local root = M.find_root(vim.api.nvim_buf_get_name(0)) or M.find_root(vim.fn.getcwd())
      if not root then
        notify('no .work/tasks above this file or the current directory', vim.log.levels.WARN)
        return
      end
      local id
      if has('nvim-0.11') then
        id = vim.lsp.start(M.client_config(root), { attach = false })
      else
        id = vim.lsp.start_client(M.client_config(root))
      end
      client = id and vim.lsp.get_client_by_id(id)
      if not client or not vim.wait(10000, function()
        return client.initialized or client:is_stopped()
      end, 20) or client:is_stopped() then
        notify('flowos-lsp did not start', vim.log.levels.ERROR)
        return
      end
      clients_by_root[root] = id
    end
    local argument = { name = vim.trim(task_name) }
    if client.config.root_dir then
      argument.root = client.config.root_dir
    end
    M.execute(client, { command = 'flowos.newTask', arguments = { argument } }, nil, opts.after)
  end
  if name and vim.trim(name) ~= '' then
    run(name)
  else
    vim.ui.input({ prompt = 'New task name: ' }, run)
  end
end

--- :FlowosNow — the Now view (`flowos-lsp now`) of the workspace of the current buffer (else
--- of the current directory) in a scratch buffer: `r` draws it again, `q` closes it. Running
--- it again refreshes the same buffer.
function M.now()
  local root = M.find_root(vim.api.nvim_buf_get_name(0)) or M.find_root(vim.fn.getcwd())
  if not root then
    notify('no .work/tasks above this file or the current directory', vim.log.levels.WARN)
    return
  end
  local command = { M.config.cmd[1], 'now', root, '--color', 'never' }
  if marker() ~= '.work/tasks' then
    vim.list_extend(command, { '--tasks-root', root .. '/' .. marker() })
  end
  local lines = vim.fn.systemlist(command)
  if vim.v.shell_error ~= 0 then
    notify('flowos-lsp now failed: ' .. table.concat(lines, ' '), vim.log.levels.ERROR)
    return
  end
  local name = 'flowos://now/' .. root
  local bufnr = vim.fn.bufnr('^' .. vim.fn.escape(name, '\\/.*$^~[]') .. '$')
  if bufnr == -1 then
    bufnr = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(bufnr, name)
    vim.bo[bufnr].bufhidden = 'hide'
    vim.bo[bufnr].filetype = 'flowosnow'
    local map = function(key, action)
      vim.api.nvim_buf_set_keymap(bufnr, 'n', key, action, { noremap = true, silent = true, nowait = true })
    end
    map('r', '<cmd>FlowosNow<CR>')
    map('q', '<cmd>close<CR>')
  end
  vim.bo[bufnr].modifiable = true
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, lines)
  vim.bo[bufnr].modifiable = false
  vim.bo[bufnr].modified = false
  local win = vim.fn.bufwinid(bufnr)
  if win == -1 then
    vim.cmd('botright split')
    vim.api.nvim_win_set_buf(0, bufnr)
  else
    vim.api.nvim_set_current_win(win)
  end
  return bufnr
end

--- Filetype of ledgers: `*.ledger.jsonl` is JSON lines.
function M.filetypes()
  if has('nvim-0.8') and vim.filetype and vim.filetype.add then
    vim.filetype.add({ pattern = { ['.*%.ledger%.jsonl'] = 'json' } })
  else
    local group = vim.api.nvim_create_augroup('flowos_filetype', { clear = true })
    vim.api.nvim_create_autocmd({ 'BufRead', 'BufNewFile' }, {
      group = group,
      pattern = '*.ledger.jsonl',
      callback = function(args)
        vim.bo[args.buf].filetype = 'json'
      end,
    })
  end
end

function M.setup(opts)
  M.config = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts or {})
  M.filetypes()
  if vim.lsp.config and vim.lsp.enable then
    local config = M.client_config(nil)
    config.filetypes = { 'markdown', 'json' }
    config.root_dir = function(bufnr, on_dir)
      local root = M.buffer_root(bufnr)
      if root then
        on_dir(root)
      end
    end
    vim.lsp.config('flowos', config)
    vim.lsp.enable('flowos')
    return
  end
  local group = vim.api.nvim_create_augroup('flowos_lsp', { clear = true })
  local function attach(args)
    M.attach(args.buf)
  end
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = { 'markdown', 'json' },
    callback = attach,
  })
  vim.api.nvim_create_autocmd('BufEnter', {
    group = group,
    pattern = { '*.md', '*.ledger.jsonl' },
    callback = attach,
  })
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) then
      M.attach(buf)
    end
  end
end

return M
