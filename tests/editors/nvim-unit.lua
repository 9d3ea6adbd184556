-- Unit tests of the Neovim plugin's pure parts (vouch.position, the region
-- styles), run headless: nvim --headless -n -u NONE -i NONE -c "luafile nvim-unit.lua"
-- with VOUCH_E2E_PLUGIN pointing at editors/nvim.

vim.opt.runtimepath:prepend(assert(os.getenv("VOUCH_E2E_PLUGIN")))
local position = require("vouch.position")
local regions = require("vouch.regions")
local passed, failed = 0, 0

local function eq(name, got, want)
  if vim.deep_equal(got, want) then
    passed = passed + 1
  else
    failed = failed + 1
    io.stdout:write(string.format("FAIL %s\n  got:  %s\n  want: %s\n", name, vim.inspect(got), vim.inspect(want)))
  end
end

eq("completion at end of line", position.inserted({ "x = ", "y" }, { "x = compute(1)", "y" }),
  { srow = 0, scol = 4, erow = 0, ecol = 14, text = "compute(1)" })
eq("multi-line insertion", position.inserted({ "def f():", "    ", "" }, { "def f():", "    a = 1", "    return a", "" }),
  { srow = 1, scol = 4, erow = 2, ecol = 12, text = "a = 1\n    return a" })
eq("appended lines start at column 0", position.inserted({ "a", "" }, { "a", "", "b", "c" }),
  { srow = 2, scol = 0, erow = 4, ecol = 0, text = "b\nc\n" })
eq("a line inserted above a similar one starts at column 0", position.inserted({ "A", "B" }, { "A", "BX", "B" }),
  { srow = 1, scol = 0, erow = 2, ecol = 0, text = "BX\n" })
eq("a mid-line insertion does not slide", position.inserted({ "fo" }, { "foo" }),
  { srow = 0, scol = 2, erow = 0, ecol = 3, text = "o" })
eq("no change", position.inserted({ "same" }, { "same" }), nil)
-- "é" is 2 bytes and "è" shares its first byte: the start backs off to the character.
eq("utf-8 sequences are not split", position.inserted({ "x = 'é'" }, { "x = 'è'" }),
  { srow = 0, scol = 5, erow = 0, ecol = 7, text = "è" })
eq("end_of single line", { position.end_of(3, 4, "abc") }, { 3, 7 })
eq("end_of multi line", { position.end_of(3, 4, "abc\n  de") }, { 4, 4 })

-- Byte columns and UTF-16 columns on a scratch buffer.
local buf = vim.api.nvim_create_buf(false, true)
vim.api.nvim_buf_set_lines(buf, 0, -1, false, { "é😀b", "next" })
eq("to_lsp utf-16", position.to_lsp(buf, 0, 6, "utf-16"), { line = 0, character = 3 })
eq("to_lsp utf-8", position.to_lsp(buf, 0, 6, "utf-8"), { line = 0, character = 6 })
eq("to_byte utf-16", { position.to_byte(buf, { line = 0, character = 3 }, "utf-16") }, { 0, 6 })
eq("to_byte clamps the column", { position.to_byte(buf, { line = 1, character = 99 }, "utf-8") }, { 1, 4 })
eq("to_byte clamps the row", { position.to_byte(buf, { line = 9, character = 0 }, "utf-16") }, { 1, 4 })

local function r(state, origin)
  return { state = state, origin = origin, range = {} }
end
eq("styles", {
  regions.style(r("pending", "ai")),
  regions.style(r("requested", "ai")),
  regions.style(r("suspected", "unknown")),
  regions.style(r("approved", "human")) or "none",
  regions.style(r("pending", "unknown")) or "none",
}, { "pending", "requested", "suspected", "none", "none" })

-- Rendering: highlight over the range, one sign per touched line.
regions.define_highlights()
vim.api.nvim_buf_set_lines(buf, 0, -1, false, { "a", "bb", "ccc", "d" })
regions.render(buf, {
  { origin = "ai", state = "pending", range = { start = { line = 1, character = 0 }, ["end"] = { line = 3, character = 0 } } },
}, "utf-8")
local hl, sign_rows = 0, {}
for _, m in ipairs(vim.api.nvim_buf_get_extmarks(buf, regions.ns, 0, -1, { details = true })) do
  if m[4].hl_group == "VouchPending" then
    hl = hl + 1
  end
  if m[4].sign_text then
    table.insert(sign_rows, m[2])
  end
end
eq("render: one highlight", hl, 1)
eq("render: signs on rows 1 and 2, not on row 3", sign_rows, { 1, 2 })

-- The binary: cmd from setup, PATH, or one built in the plugin's repository.
local vouch = require("vouch")
local fake_repo = vim.fn.tempname()
vim.fn.mkdir(fake_repo .. "/target/release", "p")
local built = fake_repo .. "/target/release/vouch"
vim.fn.writefile({ "#!/bin/sh" }, built)
vim.fn.setfperm(built, "rwxr-xr-x")
local saved_path = vim.env.PATH
vim.env.PATH = "/nonexistent"
eq("a binary built in the plugin's repository is found", { vouch.find_binary(nil, fake_repo) }, { built })
local none, why = vouch.find_binary(nil, fake_repo .. "/elsewhere")
eq("no binary: nil", none, nil)
eq("no binary: says the lazy.nvim build step", why:find('build = "cargo build --release --locked"', 1, true) ~= nil, true)
eq("setup's cmd wins", { vouch.find_binary({ built, "lsp" }, "/nowhere") }, { built })
eq("a missing setup cmd is an error, not a fallback", (vouch.find_binary({ "/no/such/vouch", "lsp" }, fake_repo)), nil)
vim.env.PATH = saved_path

-- Messages: each prefix once; decisions remind that they stay local until sync.
eq("reason strips prefixes", vouch.reason({ message = "vouch.approve: no AI-written unit there" }, "vouch.approve"),
  "no AI-written unit there")
eq("reason strips repeated vouch:", vouch.reason("vouch: vouch: cannot read the policy"), "cannot read the policy")
eq("approve says sync", vouch.success_text("vouch.approve", "approved 1 unit(s) as a@example.com"),
  "approved 1 unit(s) as a@example.com. It stays in this clone until you sync (:VouchSync, or vouch sync).")
eq("provenance has no message", vouch.success_text("vouch.showProvenance", "# x"), nil)

-- The queue's lines say what an AI did to each unit.
local function queued(extra)
  return vim.tbl_extend("force", { kind = "function_item", name = "f", state = "pending", risk = {}, aiLines = 3 }, extra)
end
eq("queue: AI lines", vouch.queue_text(queued({})), "[pending] function item f: no extra risk; 3 AI lines")
eq("queue: one AI line", vouch.queue_text(queued({ aiLines = 1, tool = "copilot" })),
  "[pending] function item f: no extra risk; 1 AI line from copilot")
eq("queue: only removed", vouch.queue_text(queued({ aiLines = 0, aiDeletedLines = 2 })),
  "[pending] function item f: no extra risk; 2 AI-deleted lines")
eq("queue: both", vouch.queue_text(queued({ aiDeletedLines = 1, mayApprove = true, reviewers = { "carol" } })),
  "[pending, for you] function item f: no extra risk; 3 AI lines, 1 AI-deleted line; reviewers: carol")
eq("queue: a deleted file says how to sign it off",
  vouch.queue_text({ kind = "deleted-file", path = "tests/a.rs", state = "requested", risk = {}, aiLines = 0 }),
  "[requested] deleted-file: no extra risk; 0 AI lines; sign off with: vouch approve --file tests/a.rs")
eq("queue: a file whose mode an AI changed says how to sign it off",
  vouch.queue_text({ kind = "file-mode", path = "scripts/run.sh", state = "pending", risk = {}, aiLines = 0 }),
  "[pending] file-mode: no extra risk; 0 AI lines; sign off with: vouch approve --file scripts/run.sh")

-- Signs sit below the diagnostics' priority (10).
eq("sign priority below diagnostics", regions.sign_priority < 10, true)

io.stdout:write(string.format("nvim-unit: %d passed, %d failed\n", passed, failed))
vim.cmd(failed == 0 and "qall!" or "cquit 1")
