-- :checkhealth vouch

local M = {}

function M.check()
  local health = vim.health
  health.start("vouch")

  local v = vim.version()
  if vim.fn.has("nvim-0.11") == 1 then
    health.ok(string.format("Neovim %d.%d.%d", v.major, v.minor, v.patch))
  else
    health.error(string.format("Neovim %d.%d.%d is too old", v.major, v.minor, v.patch), "vouch.nvim needs Neovim 0.11 or newer")
    return
  end

  local vouch = require("vouch")
  local bin, why = vouch.find_binary(vouch.config.cmd)
  if bin then
    local out = vim.fn.system({ bin, "--version" })
    health.ok(string.format("server binary: %s (%s)", vim.fn.exepath(bin) ~= "" and vim.fn.exepath(bin) or bin, vim.trim(out)))
  else
    health.error("server binary not found", { why })
  end

  if vim.fn.executable("git") == 1 then
    health.ok("git found")
  else
    health.warn("git not found on PATH", "vouch works in git repositories")
  end

  if vouch.is_setup() then
    health.ok("require('vouch').setup() was called")
    if vouch.config.paste then
      health.ok("pastes are reported as human text (vim.paste is wrapped)")
    else
      health.info("pastes are not reported (paste = false)")
    end
  else
    health.info("require('vouch').setup() was not called: no user commands, no paste reports (vim.lsp.enable('vouch') still attaches the server)")
  end

  local clients = vim.lsp.get_clients({ name = "vouch" })
  if #clients == 0 then
    health.info("no vouch server is running (open a file in a git repository)")
  end
  for _, client in ipairs(clients) do
    local bufs = vim.tbl_keys(client.attached_buffers or {})
    health.ok(string.format("server %d: root %s, position encoding %s, %d buffer(s)", client.id,
      client.root_dir or "?", client.offset_encoding, #bufs))
  end
  local buf = vim.api.nvim_get_current_buf()
  if vim.bo[buf].buftype == "" and vim.api.nvim_buf_get_name(buf) ~= "" then
    if vouch.client(buf) then
      health.ok("the current buffer is attached")
    elseif vim.fs.root(buf, ".git") == nil then
      health.info("the current buffer is not in a git repository")
    else
      health.warn("the current buffer is in a git repository but not attached")
    end
  end
end

return M
