-- Driven by nvim-e2e.sh in headless Neovim: the vouch plugin against a real
-- server, in a temporary git repository holding app.py.
--   1. an AI insertion reported through require("vouch").track_ai gives an
--      unreviewed-ai diagnostic and "pending" extmarks (highlight and signs);
--   2. the "request sign-off" code action, taken through vim.lsp.buf.code_action
--      with the rationale typed into vim.ui.input, turns the diagnostic into
--      signoff-requested and the extmarks into "requested";
--   3. :VouchPending fills the quickfix list;
--   4. a large paste is reported (vouch/humanPaste) and not suspected;
--   5. :VouchProvenance and :checkhealth vouch work;
--   6. vouch's signs sit below another server's error sign on the same line,
--      and its diagnostics say why at the end of the line (virtual text);
--   7. the request's notification says it stays local until a sync, and
--      :VouchSync pushes the records to the remote;
--   8. a new server with only other.py open lists app.py's requested unit:
--      the queue is the repository's, not the open files'.
--   9. (issue 13, finding 5) an agent rewrites other.py on disk and marks
--      its function AI; the buffer reloads (:checktime, as autoread does)
--      and is saved; `vouch blame` still says AI. (Neovim reloads with
--      didClose and didOpen; VS Code and Helix send a didChange, which
--      tests/lsp_reload.rs and the VS Code e2e cover.)
-- Every wait is bounded. Ends with :qall! on success, :cquit on failure.

local repo = assert(os.getenv("VOUCH_E2E_REPO"))
local plugin = assert(os.getenv("VOUCH_E2E_PLUGIN"))
local bin = assert(os.getenv("VOUCH_BIN"))
local logfile = io.open(os.getenv("VOUCH_E2E_LOG") or "/dev/null", "w")
local passed, failed = 0, 0

local function say(msg)
  io.stdout:write("[nvim-e2e] " .. msg .. "\n")
  if logfile then
    logfile:write(msg .. "\n")
    logfile:flush()
  end
end

local function check(name, ok, detail)
  if ok then
    passed = passed + 1
    say("ok   " .. name)
  else
    failed = failed + 1
    say("FAIL " .. name .. (detail and (": " .. detail) or ""))
  end
  return ok
end

local function finish()
  -- Stop the server and wait for it to exit: it writes the journal as it
  -- shuts down, and the repository is removed once Neovim has quit.
  for _, client in ipairs(vim.lsp.get_clients()) do
    client:stop()
  end
  local stopped = vim.wait(10000, function()
    return #vim.lsp.get_clients() == 0
  end, 50)
  check("the server stopped when asked", stopped)
  say(string.format("nvim-e2e: %d passed, %d failed", passed, failed))
  io.stdout:write(string.format("%d passed, %d failed\n", passed, failed))
  if logfile then
    logfile:close()
  end
  vim.cmd(failed == 0 and "qall!" or "cquit 1")
end

local ok, err = xpcall(function()
  vim.opt.runtimepath:prepend(plugin)
  vim.cmd("filetype on")
  vim.lsp.log.set_level("debug")

  -- Notifications the plugin sends, seen through LspNotify.
  local sent = {}
  vim.api.nvim_create_autocmd("LspNotify", {
    callback = function(ev)
      table.insert(sent, ev.data.method)
    end,
  })

  -- What the plugin tells the user.
  local notes = {}
  local notify = vim.notify
  vim.notify = function(msg, level, opts)
    table.insert(notes, msg)
    return notify(msg, level, opts)
  end

  local vouch = require("vouch")
  check("setup", vouch.setup({ cmd = { bin, "lsp" } }) == true)

  vim.cmd("edit " .. vim.fn.fnameescape(repo .. "/app.py"))
  local buf = vim.api.nvim_get_current_buf()
  local attached = vim.wait(15000, function()
    local c = vouch.client(buf)
    return c ~= nil and c.initialized == true
  end, 50)
  if not check("the server attached to app.py", attached) then
    return
  end
  local client = vouch.client(buf)
  say("position encoding: " .. client.offset_encoding)
  check("utf-8 was negotiated", client.offset_encoding == "utf-8", client.offset_encoding)

  local function codes()
    local out = {}
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      if d.source == "vouch" then
        table.insert(out, tostring(d.code))
      end
    end
    table.sort(out)
    return out
  end
  local function has_code(code)
    return vim.tbl_contains(codes(), code)
  end
  local function marks(hl)
    local n, signs = 0, 0
    for _, m in ipairs(vim.api.nvim_buf_get_extmarks(buf, require("vouch.regions").ns, 0, -1, { details = true })) do
      if m[4].hl_group == hl then
        n = n + 1
      end
      if m[4].sign_hl_group == hl .. "Sign" then
        signs = signs + 1
      end
    end
    return n, signs
  end

  -- 1. An AI plugin inserts a function at the end; track_ai reports it.
  vim.api.nvim_win_set_cursor(0, { 4, 0 })
  vouch.track_ai(buf, function()
    vim.api.nvim_buf_set_lines(buf, 4, 4, false, { "def add(a, b):", "    return a + b" })
  end, { tool = "nvim-e2e", model = "test-model", kind = "completion" })
  check("vouch/aiEdit was sent", vim.wait(3000, function()
    return vim.tbl_contains(sent, "vouch/aiEdit")
  end, 20))
  check("unreviewed-ai diagnostic", vim.wait(10000, function()
    return has_code("unreviewed-ai")
  end, 50), vim.inspect(codes()))
  local hl, signs = marks("VouchPending")
  vim.wait(3000, function()
    hl, signs = marks("VouchPending")
    return hl > 0 and signs >= 2
  end, 50)
  check("pending highlight extmark and signs on both AI lines", hl > 0 and signs >= 2,
    string.format("%d highlights, %d signs", hl, signs))

  -- 6. Another server's error on an AI line keeps its sign visible; vouch's
  -- own diagnostics have no sign but say why in virtual text.
  local other = vim.api.nvim_create_namespace("other-server")
  vim.diagnostic.set(other, buf, { { lnum = 4, col = 0, severity = vim.diagnostic.severity.ERROR, message = "E: broken", source = "other" } })
  local top
  for _, m in ipairs(vim.api.nvim_buf_get_extmarks(buf, -1, { 4, 0 }, { 4, -1 }, { details = true, type = "sign" })) do
    if m[4].sign_text and (top == nil or (m[4].priority or 0) > (top.priority or 0)) then
      top = m[4]
    end
  end
  check("another server's error sign outranks vouch's on the same line",
    top ~= nil and top.sign_hl_group == "DiagnosticSignError", vim.inspect(top))
  vim.diagnostic.reset(other, buf)
  local ns = vim.lsp.diagnostic.get_namespace(client.id, false)
  local dconf = vim.diagnostic.config(nil, ns) or {}
  check("vouch's diagnostics: virtual text on, their own signs off", dconf.virtual_text and dconf.signs == false,
    vim.inspect(dconf))
  local vt = 0
  for _, m in ipairs(vim.api.nvim_buf_get_extmarks(buf, -1, 0, -1, { details = true })) do
    if m[4].virt_text then
      vt = vt + 1
    end
  end
  check("the AI unit's reason shows as virtual text", vt >= 1, tostring(vt))

  -- 2. Request sign-off through the code action, as a person would.
  local prompted
  vim.ui.input = function(opts, on_confirm)
    prompted = opts.prompt
    on_confirm("adds two numbers for the demo")
  end
  vim.api.nvim_win_set_cursor(0, { 6, 6 })
  local actions
  local result = vim.lsp.buf_request_sync(buf, "textDocument/codeAction", {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = { start = { line = 5, character = 6 }, ["end"] = { line = 5, character = 6 } },
    context = { diagnostics = {} },
  }, 5000)
  actions = {}
  for _, r in pairs(result or {}) do
    for _, a in ipairs(r.result or {}) do
      table.insert(actions, a.title)
    end
  end
  say("code actions: " .. vim.inspect(actions))
  check("a request sign-off code action is offered", vim.iter(actions):any(function(t)
    return t:lower():find("request") ~= nil
  end), vim.inspect(actions))
  vim.lsp.buf.code_action({
    apply = true,
    filter = function(action)
      local c = action.command
      local name = type(c) == "table" and c.command or action.command
      return name == "vouch.requestSignoff"
    end,
  })
  check("signoff-requested replaces unreviewed-ai", vim.wait(10000, function()
    return has_code("signoff-requested") and not has_code("unreviewed-ai")
  end, 50), vim.inspect(codes()))
  check("the rationale was asked for", prompted ~= nil, tostring(prompted))
  vim.wait(3000, function()
    return (marks("VouchRequested")) > 0
  end, 50)
  local rhl, rsigns = marks("VouchRequested")
  local phl = marks("VouchPending")
  check("requested extmarks replace pending ones", rhl > 0 and rsigns >= 2 and phl == 0,
    string.format("requested %d/%d, pending %d", rhl, rsigns, phl))

  check("the request's message says it stays local until a sync", vim.wait(3000, function()
    return vim.iter(notes):any(function(n)
      return n:find("stays in this clone until you sync", 1, true) ~= nil
    end)
  end, 50), vim.inspect(notes))

  -- 7. :VouchSync pushes the records to the remote.
  local synced
  vouch.sync(buf, function(ok_sync, lines)
    synced = { ok = ok_sync, lines = lines }
  end)
  vim.wait(30000, function()
    return synced ~= nil
  end, 100)
  local remote_refs = vim.fn.system({ "git", "--git-dir", os.getenv("VOUCH_E2E_REMOTE"), "for-each-ref", "--format=%(refname)" })
  check(":VouchSync pushed the request to the remote", synced and synced.ok and remote_refs:find("vouch") ~= nil,
    vim.inspect(synced) .. " remote refs: " .. remote_refs)

  -- 3. The queue.
  local counted
  vim.api.nvim_create_autocmd("User", {
    pattern = "VouchPending",
    once = true,
    callback = function(ev)
      counted = ev.data.count
    end,
  })
  vim.cmd("VouchPending")
  vim.wait(5000, function()
    return counted ~= nil
  end, 50)
  local qf = vim.fn.getqflist()
  check(":VouchPending lists the unit", #qf >= 1 and qf[1].text:find("requested") ~= nil,
    vim.inspect(vim.tbl_map(function(i)
      return i.text
    end, qf)))
  vim.cmd("cclose")

  -- 4. A large paste is human: reported, and never suspected. First on an
  -- empty line (row 3).
  local function suspected_count()
    return select(2, marks("VouchSuspected"))
  end
  vim.api.nvim_win_set_cursor(0, { 3, 0 })
  vim.paste({
    "def pasted_helper(values):",
    "    total = 0",
    "    for value in values:",
    "        total += value * 2",
    "    return total",
    "",
  }, -1)
  check("vouch/humanPaste was sent", vim.wait(3000, function()
    return vim.tbl_contains(sent, "vouch/humanPaste")
  end, 20))
  vim.wait(1500, function()
    return false
  end, 100)
  check("the paste is not suspected", not has_code("suspected-ai") and suspected_count() == 0, vim.inspect(codes()))

  -- Then in the middle of a line: Neovim's didChange replaces the rest of
  -- the line and sends it back after the pasted text; the server drops what
  -- a change removes and inserts again unchanged, so nothing is suspected.
  vim.api.nvim_win_set_cursor(0, { 2, 0 })
  vim.paste({ "", "def second_helper(values):", "    return [v + 1 for v in values]", "" }, -1)
  vim.wait(1500, function()
    return false
  end, 100)
  say("mid-line paste: " .. vim.inspect(codes()))
  check("a mid-line paste is not suspected", not has_code("suspected-ai"), vim.inspect(codes()))

  -- 5. Provenance and health.
  vim.api.nvim_win_set_cursor(0, { vim.api.nvim_buf_line_count(buf), 6 })
  local provenance
  vouch.run(vouch.COMMAND.provenance, {
    uri = vim.uri_from_bufnr(buf),
    position = { line = vim.api.nvim_buf_line_count(buf) - 1, character = 6 },
  }, buf, function(r)
    provenance = r
  end)
  vim.wait(5000, function()
    return provenance ~= nil
  end, 50)
  check("showProvenance returns markdown", type(provenance) == "string" and #provenance > 0
    or (type(provenance) == "table"), vim.inspect(provenance))
  vim.cmd("checkhealth vouch")
  local health = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
  check(":checkhealth vouch reports the server", health:find("server binary") ~= nil and health:find("ERROR") == nil,
    health)

  -- 8. The queue is the repository's: a new server that has only other.py
  -- open (app.py is not open in it) lists app.py's requested unit.
  vim.cmd("silent! only")
  vim.api.nvim_set_current_buf(buf)
  vim.cmd("write")
  client:stop()
  vim.wait(10000, function()
    return #vim.lsp.get_clients({ name = "vouch" }) == 0
  end, 50)
  vim.fn.writefile({ "x = 1" }, repo .. "/other.py")
  vim.cmd("edit " .. vim.fn.fnameescape(repo .. "/other.py"))
  local other_buf = vim.api.nvim_get_current_buf()
  vim.wait(10000, function()
    local c = vouch.client(other_buf)
    return c ~= nil and c.initialized == true
  end, 50)
  local fresh = vouch.client(other_buf)
  check("a new server serves other.py alone", fresh ~= nil and fresh.id ~= client.id
    and vim.tbl_count(fresh.attached_buffers) == 1, fresh and vim.inspect(fresh.attached_buffers) or "none")
  local listed
  vim.api.nvim_create_autocmd("User", {
    pattern = "VouchPending",
    once = true,
    callback = function(ev)
      listed = ev.data.count
    end,
  })
  vouch.pending(false)
  vim.wait(15000, function()
    return listed ~= nil
  end, 50)
  local items = vim.fn.getqflist()
  local app = vim.iter(items):find(function(i)
    return vim.api.nvim_buf_get_name(i.bufnr):match("app%.py$") and i.text:find("requested") ~= nil
  end)
  check(":VouchPending lists app.py's requested unit while the server has only other.py open", app ~= nil and app.lnum >= 1,
    vim.inspect(vim.tbl_map(function(i)
      return { vim.api.nvim_buf_get_name(i.bufnr), i.lnum, i.text }
    end, items)))

  -- 9. An agent edits the open file on disk and records the edit; the
  -- buffer reloads; the server's snapshot must not make it human.
  local sent_before = #sent
  vim.fn.writefile({ "x = 1", "", "def agent_written(v):", "    return v * 3" }, repo .. "/other.py")
  local mark = vim.system({ bin, "mark", "--ai", "--tool", "claude-code", "other.py:3-4" }, { cwd = repo }):wait()
  check("the agent's mark", mark.code == 0, mark.stderr)
  -- The server reads others' records twice a second: let it see this one
  -- while the buffer still holds the old text.
  vim.wait(1500, function()
    return false
  end, 100)
  vim.cmd("checktime")
  check("the buffer reloaded the agent's edit", vim.wait(5000, function()
    return #vim.api.nvim_buf_get_lines(other_buf, 0, -1, false) == 4
  end, 50), vim.inspect(vim.api.nvim_buf_get_lines(other_buf, 0, -1, false)))
  say("sent on reload: " .. vim.inspect(vim.list_slice(sent, sent_before + 1)))
  check("the reloaded function shows as AI awaiting sign-off", vim.wait(10000, function()
    return vim.iter(vim.diagnostic.get(other_buf)):any(function(d)
      return d.source == "vouch" and tostring(d.code) == "unreviewed-ai"
    end)
  end, 50), vim.inspect(vim.diagnostic.get(other_buf)))
  vim.api.nvim_set_current_buf(other_buf)
  vim.cmd("write")
  fresh:stop()
  vim.wait(10000, function()
    return #vim.lsp.get_clients({ name = "vouch" }) == 0
  end, 50)
  local blame = vim.system({ bin, "blame", "other.py", "--format", "json" }, { cwd = repo }):wait()
  local ai = {}
  for _, l in ipairs((blame.code == 0 and vim.json.decode(blame.stdout) or { lines = {} }).lines) do
    if l.origin == "ai" then
      table.insert(ai, l.line)
    end
  end
  check("after the reload and the save, vouch blame still says the agent's lines are AI",
    vim.deep_equal(ai, { 3, 4 }), vim.inspect(ai) .. " " .. (blame.stderr or ""))
end, debug.traceback)

if not ok then
  check("no Lua error", false, err)
end
finish()
