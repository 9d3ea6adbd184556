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
  cmd = { "vouch", "lsp" },
  root_dir = function(bufnr, on_dir)
    local root = vim.fs.root(bufnr, ".git")
    if root then
      on_dir(root)
    end
  end,
  handlers = ok and { ["vouch/regions"] = require("vouch.regions").handler } or nil,
  commands = ok and vouch.client_commands or nil,
}
