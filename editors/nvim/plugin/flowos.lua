-- flowos.nvim: commands and ledger filetype detection, available before setup() runs.
-- The language client itself starts from require('flowos').setup{...}.

if vim.g.loaded_flowos then
  return
end
vim.g.loaded_flowos = true

require('flowos').filetypes()

vim.api.nvim_create_user_command('FlowosNewTask', function(args)
  require('flowos').new_task(args.args)
end, {
  nargs = '?',
  desc = 'FlowOS: create a task in inbox (WF1) and open its card',
})

vim.api.nvim_create_user_command('FlowosTransition', function()
  require('flowos').transition()
end, {
  nargs = 0,
  desc = 'FlowOS: move the task at the cursor to another stage',
})

vim.api.nvim_create_user_command('FlowosNow', function()
  require('flowos').now()
end, {
  nargs = 0,
  desc = 'FlowOS: the Now view (alerts, WIP, sign-offs, displaced tasks, blockers) in a scratch buffer',
})
