-- Conversions between buffer positions (0-based rows, byte columns, as the
-- extmark API uses) and LSP positions in the client's negotiated encoding,
-- and the diff that finds what an edit inserted. No state.

local M = {}

local function line_text(bufnr, row)
  return vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1]
end

--- An LSP position of `bufnr` as (row, byte column), clamped to the buffer.
---@param bufnr integer
---@param pos {line: integer, character: integer}
---@param encoding string "utf-8" | "utf-16" | "utf-32"
---@return integer row, integer col
function M.to_byte(bufnr, pos, encoding)
  local count = vim.api.nvim_buf_line_count(bufnr)
  local row = pos.line
  if row >= count then
    local last = count - 1
    return last, #(line_text(bufnr, last) or "")
  end
  local line = line_text(bufnr, row) or ""
  if encoding == "utf-8" then
    return row, math.min(pos.character, #line)
  end
  local ok, col = pcall(vim.str_byteindex, line, encoding, pos.character, false)
  return row, ok and math.min(col, #line) or #line
end

--- A (row, byte column) of `bufnr` as an LSP position in `encoding`.
---@return {line: integer, character: integer}
function M.to_lsp(bufnr, row, col, encoding)
  local line = line_text(bufnr, row) or ""
  col = math.min(col, #line)
  if encoding == "utf-8" then
    return { line = row, character = col }
  end
  local ok, index = pcall(vim.str_utfindex, line, encoding, col, false)
  return { line = row, character = ok and index or col }
end

--- An LSP range from 0-based (row, byte col) pairs, end exclusive.
function M.range_to_lsp(bufnr, srow, scol, erow, ecol, encoding)
  return { start = M.to_lsp(bufnr, srow, scol, encoding), ["end"] = M.to_lsp(bufnr, erow, ecol, encoding) }
end

--- Where `text` ends when inserted at (row, col): (row, byte col).
function M.end_of(row, col, text)
  local lines = vim.split(text, "\n", { plain = true })
  if #lines == 1 then
    return row, col + #text
  end
  return row + #lines - 1, #lines[#lines]
end

--- The (row, byte col) of a byte offset into `text`.
local function offset_to_pos(text, offset)
  local row, line_start = 0, 1
  local i = 1
  while true do
    local nl = text:find("\n", i, true)
    if not nl or nl > offset then
      break
    end
    row = row + 1
    line_start = nl + 1
    i = nl + 1
  end
  return row, offset - line_start + 1
end

--- The smallest single replacement that turns `before` into `after` (lists
--- of lines, each ending in a newline as in the file): the inserted text's
--- start and end as (row, byte col), end exclusive, and the text. Nil when
--- nothing changed. UTF-8 sequences are never split, and a pure insertion
--- that can start at a line start does (appended lines are "def f():\n..."
--- from column 0, not "\ndef f():..." from the end of the line before).
---@param before string[]
---@param after string[]
---@return {srow: integer, scol: integer, erow: integer, ecol: integer, text: string}|nil
function M.inserted(before, after)
  local a, b = table.concat(before, "\n") .. "\n", table.concat(after, "\n") .. "\n"
  if a == b then
    return nil
  end
  local limit = math.min(#a, #b)
  local prefix = 0
  while prefix < limit and a:byte(prefix + 1) == b:byte(prefix + 1) do
    prefix = prefix + 1
  end
  -- Back off to the start of a UTF-8 sequence (continuation bytes are 10xxxxxx).
  while prefix > 0 and prefix < #b and bit.band(b:byte(prefix + 1), 0xC0) == 0x80 do
    prefix = prefix - 1
  end
  local suffix = 0
  local suffix_limit = limit - prefix
  while suffix < suffix_limit and a:byte(#a - suffix) == b:byte(#b - suffix) do
    suffix = suffix + 1
  end
  while suffix > 0 and bit.band(b:byte(#b - suffix + 1), 0xC0) == 0x80 do
    suffix = suffix - 1
  end
  local start, stop = prefix, #b - suffix -- b:sub(start + 1, stop) is new
  if #a - suffix == prefix then
    -- A pure insertion can slide left while the byte before it equals its
    -- last byte; do so if that reaches a line start.
    local s, e = start, stop
    while s > 0 and b:byte(s) ~= 10 and b:byte(s) == b:byte(e) do
      s, e = s - 1, e - 1
    end
    if s == 0 or b:byte(s) == 10 then
      start, stop = s, e
    end
  end
  local srow, scol = offset_to_pos(b, start)
  local erow, ecol = offset_to_pos(b, stop)
  return { srow = srow, scol = scol, erow = erow, ecol = ecol, text = b:sub(start + 1, stop) }
end

return M
