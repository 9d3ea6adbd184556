-- Draws `vouch/regions`: a background highlight over AI text and a sign on
-- each of its lines, one style per state (pending, suspected, requested,
-- approved, rejected). Human and unattested text is left plain.

local position = require("vouch.position")

local M = {}

M.ns = vim.api.nvim_create_namespace("vouch.regions")

M.STATES = { "pending", "suspected", "requested", "approved", "rejected" }

--- Sign text per state; `setup({ signs = { pending = "A" } })` overrides.
M.signs = {
  pending = "▌",
  suspected = "┆",
  requested = "◆",
  approved = "✓",
  rejected = "✗",
}

local function cap(s)
  return s:sub(1, 1):upper() .. s:sub(2)
end

--- Below vim.diagnostic's signs (10): another server's error sign on the
--- same line stays visible. `setup({ sign_priority = n })` changes it.
M.sign_priority = 6

--- The highlight group of a state's background (`VouchPending`, ...) and sign (`VouchPendingSign`).
function M.hl(state)
  return "Vouch" .. cap(state)
end

local BACKGROUNDS = {
  dark = {
    pending = "#3a3214",
    suspected = "#33233a",
    requested = "#1c2b3f",
    approved = "#1b3326",
    rejected = "#3f1c1e",
  },
  light = {
    pending = "#fbf0cf",
    suspected = "#f5e3f7",
    requested = "#dfeafb",
    approved = "#e3f5ea",
    rejected = "#fbe0e1",
  },
}
local SIGN_LINKS = {
  pending = "DiagnosticWarn",
  suspected = "DiagnosticHint",
  requested = "DiagnosticInfo",
  approved = "DiagnosticOk",
  rejected = "DiagnosticError",
}

--- Defines the highlight groups unless the colorscheme or user already did.
function M.define_highlights()
  local palette = BACKGROUNDS[vim.o.background] or BACKGROUNDS.dark
  for _, state in ipairs(M.STATES) do
    vim.api.nvim_set_hl(0, M.hl(state), { bg = palette[state], default = true })
    vim.api.nvim_set_hl(0, M.hl(state) .. "Sign", { link = SIGN_LINKS[state], default = true })
  end
end

--- The style a region is drawn in, or nil: AI text by its state, and text
--- suspected of being AI whatever origin the server gave it.
function M.style(region)
  if region.state == "suspected" then
    return "suspected"
  end
  if region.origin ~= "ai" then
    return nil
  end
  if vim.tbl_contains(M.STATES, region.state) then
    return region.state
  end
  return "pending"
end

--- The last regions received, by buffer (for tests and `:VouchProvenance`).
M.by_buf = {}

--- Redraws `bufnr` from a list of regions (LSP ranges in `encoding`).
function M.render(bufnr, regions, encoding)
  if not vim.api.nvim_buf_is_loaded(bufnr) then
    return
  end
  M.by_buf[bufnr] = regions
  vim.api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
  for _, region in ipairs(regions) do
    local style = M.style(region)
    if style then
      local srow, scol = position.to_byte(bufnr, region.range.start, encoding)
      local erow, ecol = position.to_byte(bufnr, region.range["end"], encoding)
      if erow > srow or ecol > scol then
        vim.api.nvim_buf_set_extmark(bufnr, M.ns, srow, scol, {
          end_row = erow,
          end_col = ecol,
          hl_group = M.hl(style),
          priority = 90,
          strict = false,
        })
        -- A region that ends at column 0 does not touch its last line.
        local last = (ecol == 0 and erow > srow) and erow - 1 or erow
        for row = srow, last do
          vim.api.nvim_buf_set_extmark(bufnr, M.ns, row, 0, {
            sign_text = M.signs[style],
            sign_hl_group = M.hl(style) .. "Sign",
            priority = M.sign_priority,
            strict = false,
          })
        end
      end
    end
  end
end

--- The `vouch/regions` notification handler.
function M.handler(_, params, ctx)
  if type(params) ~= "table" or type(params.uri) ~= "string" then
    return
  end
  local bufnr = vim.uri_to_bufnr(params.uri)
  if not vim.api.nvim_buf_is_loaded(bufnr) then
    return
  end
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  local encoding = client and client.offset_encoding or "utf-16"
  M.render(bufnr, params.regions or {}, encoding)
  vim.api.nvim_exec_autocmds("User", { pattern = "VouchRegions", modeline = false, data = { bufnr = bufnr } })
end

return M
