-- vouch for vim.lsp.config (Neovim 0.11+) and nvim-lspconfig:
--
--   vim.lsp.enable("vouch")
--
-- attaches to every filetype in git repositories. Narrow it with
-- vim.lsp.config("vouch", { filetypes = { "rust", "python" } }). Pastes are
-- reported and the user commands exist only with require("vouch").setup().

local ok, vouch = pcall(require, "vouch")

---@type vim.lsp.Config
return {
  -- `vouch` on PATH, else the binary built in the plugin's repository.
  cmd = { (ok and vouch.find_binary()) or "vouch", "lsp" },
  root_dir = function(bufnr, on_dir)
    local root = vim.fs.root(bufnr, ".git")
    if root then
      on_dir(root)
    end
  end,
  handlers = ok and vouch.handlers() or nil,
  commands = ok and vouch.client_commands or nil,
  init_options = ok and { promptsForArguments = true, showsCommandResults = true } or nil,
  on_attach = ok and function(client)
    vouch.configure_diagnostics(client)
  end or nil,
}
