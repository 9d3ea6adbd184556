-- vouch for Neovim: runs `vouch lsp` for files in git repositories, draws
-- the AI regions it reports, reaches its commands, and tells it where text
-- came from (pastes are human; `ai_inserted`/`track_ai` for AI plugins).
--
--   require("vouch").setup({ ... })   -- see :help vouch

local position = require("vouch.position")
local regions = require("vouch.regions")

local M = {}

local COMMAND = {
  request = "vouch.requestSignoff",
  approve = "vouch.approve",
  reject = "vouch.reject",
  mark_ai = "vouch.markAi",
  mark_human = "vouch.markHuman",
  provenance = "vouch.showProvenance",
}
M.COMMAND = COMMAND

local defaults = {
  -- The server command. nil: `vouch` on PATH, else the binary built in
  -- the plugin's own repository (lazy.nvim's `build`, see :help vouch-install).
  cmd = nil,
  -- Filetypes to attach to; nil means every file in a git repository.
  filetypes = nil,
  -- Report pastes (vim.paste) as human text.
  paste = true,
  -- Sign text per state, merged over the defaults (see :help vouch-signs).
  signs = {},
  -- Priority of vouch's signs: below the diagnostics' (10), so another
  -- server's error sign on the same line wins the sign column.
  sign_priority = 6,
  -- Say why a line is marked at the end of the unit's first line
  -- (virtual text of vouch's own diagnostics; other servers' are left as
  -- they are). false: only on hover and in the diagnostic float.
  virtual_text = true,
  -- Passed on to vim.lsp.start.
  on_attach = nil,
  capabilities = nil,
}

M.config = vim.deepcopy(defaults)
local did_setup = false

local function notify(msg, level)
  vim.notify("vouch: " .. msg, level or vim.log.levels.INFO)
end

--- The reason of an error, without the prefixes the server and the client
--- put on it ("vouch: ", "vouch.approve: ").
function M.reason(err, command)
  local text = type(err) == "table" and (err.message or vim.inspect(err)) or tostring(err)
  while true do
    local before = text
    text = text:gsub("^vouch:%s*", "")
    if command and text:sub(1, #command + 2) == command .. ": " then
      text = text:sub(#command + 3)
    end
    text = vim.trim(text)
    if text == before then
      return text
    end
  end
end

local VERB = {
  [COMMAND.request] = "request sign-off",
  [COMMAND.approve] = "approve",
  [COMMAND.reject] = "reject",
  [COMMAND.mark_ai] = "mark the text as AI-written",
  [COMMAND.mark_human] = "mark the text as human-written",
  [COMMAND.provenance] = "show provenance",
}

--- The root of the repository this plugin came from (editors/nvim/lua/vouch/init.lua).
local function plugin_repo()
  local source = debug.getinfo(1, "S").source:gsub("^@", "")
  return vim.fs.normalize(vim.fs.dirname(source) .. "/../../../..")
end

--- The vouch binary: `cmd[1]` when setup() was given a cmd, else `vouch`
--- on PATH, else one built in the plugin's repository (lazy.nvim's build
--- step). Returns the path, or nil and what to do about it.
function M.find_binary(cmd, repo)
  if type(cmd) == "table" and cmd[1] then
    if vim.fn.executable(cmd[1]) == 1 then
      return cmd[1]
    end
    return nil, string.format("cannot run %q (from setup({ cmd = ... }))", cmd[1])
  end
  if vim.fn.executable("vouch") == 1 then
    return vim.fn.exepath("vouch")
  end
  repo = repo or plugin_repo()
  for _, built in ipairs({ repo .. "/target/release/vouch", repo .. "/target/debug/vouch" }) do
    if vim.fn.executable(built) == 1 then
      return built
    end
  end
  return nil,
    "cannot find the vouch binary: with lazy.nvim add build = \"cargo build --release --locked\" to the plugin's spec "
      .. "(then :Lazy build vouch), or run cargo install --locked --path . in "
      .. repo
      .. ", or set cmd in require('vouch').setup({ cmd = { '/path/to/vouch', 'lsp' } })"
end

--- The server command after setup().
local function server_cmd()
  local bin, why = M.find_binary(M.config.cmd)
  if not bin then
    return nil, why
  end
  if type(M.config.cmd) == "table" then
    local cmd = vim.deepcopy(M.config.cmd)
    cmd[1] = bin
    return cmd
  end
  return { bin, "lsp" }
end

--- Whether this Neovim is new enough (0.11: vim.lsp.config, Client methods).
function M.supported()
  return vim.fn.has("nvim-0.11") == 1
end

local function version_message()
  local v = vim.version()
  return string.format("vouch.nvim needs Neovim 0.11 or newer; this is %d.%d.%d", v.major, v.minor, v.patch)
end

--- The vouch client attached to `bufnr`, if any.
function M.client(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  return vim.lsp.get_clients({ bufnr = bufnr, name = "vouch" })[1]
end

local function buf_version(bufnr)
  local ok, v = pcall(function()
    return vim.lsp.util.buf_versions[bufnr]
  end)
  return (ok and v) or vim.api.nvim_buf_get_changedtick(bufnr)
end

-- Executing server commands ---------------------------------------------------

local function show_markdown(text)
  local lines = vim.split(text, "\n", { plain = true })
  vim.lsp.util.open_floating_preview(lines, "markdown", { border = "rounded", focus_id = "vouch.provenance" })
end

local function markdown_of(result)
  if type(result) == "string" then
    return result
  end
  if type(result) == "table" then
    local value = result.value or result.contents or result.markdown
    if type(value) == "string" then
      return value
    end
  end
  return "No provenance is recorded here."
end

--- What to say after a command succeeded. Requests and decisions are
--- records in this clone until `vouch sync` pushes them: said each time.
function M.success_text(name, result)
  local said = type(result) == "string" and vim.trim(result) ~= "" and M.reason(result, name) or nil
  if name == COMMAND.approve or name == COMMAND.reject or name == COMMAND.request then
    return (said or (VERB[name] .. ": done")) .. ". It stays in this clone until you sync (:VouchSync, or vouch sync)."
  elseif name == COMMAND.mark_ai or name == COMMAND.mark_human then
    return said
  end
  return nil
end

--- Sends `workspace/executeCommand` and says what happened. `on_error`
--- gets the reason when it failed (for prompts that ask again).
local function execute(client, name, args, bufnr, on_done, on_error)
  client:request("workspace/executeCommand", { command = name, arguments = { args } }, function(err, result)
    if err then
      local why = M.reason(err, name)
      if on_error then
        on_error(why)
      else
        notify(string.format("could not %s: %s", VERB[name] or name, why), vim.log.levels.ERROR)
      end
      return
    end
    if name == COMMAND.provenance then
      show_markdown(markdown_of(result))
    else
      local text = M.success_text(name, result)
      if text then
        notify(text)
      end
    end
    if on_done then
      on_done(result)
    end
  end, bufnr)
end

--- Runs a server command after asking the person for what it needs: a
--- rationale for a sign-off request (optional, asked when missing) and a
--- comment for a rejection (required).
---@param name string a vouch command (vouch.requestSignoff, ...)
---@param args table its argument object
---@param bufnr integer
---@param on_done? fun(result: any)
function M.run(name, args, bufnr, on_done)
  local client = M.client(bufnr)
  if not client then
    notify("no vouch language server is attached to this buffer", vim.log.levels.WARN)
    return
  end
  args = vim.deepcopy(args)
  -- A request or a rejection that fails asks again, with the text typed
  -- kept and the reason shown.
  local function ask(key, prompt, required, previous, unknown)
    -- `unknown`: whether the policy requires it is not known here (the
    -- server's code actions say; a user command does not).
    local need = required and "(required)" or (unknown and "(optional unless the policy asks for one)" or "(optional)")
    local opts = {
      prompt = previous and string.format("%s (%s) %s: ", prompt, previous.why, need)
        or string.format("%s %s: ", prompt, need),
      default = previous and previous.text or nil,
    }
    vim.ui.input(opts, function(input)
      if input == nil then
        return
      end
      input = vim.trim(input)
      if input == "" and required then
        notify(string.format("%s needs a %s; nothing was sent", VERB[name], key), vim.log.levels.WARN)
        return
      end
      args[key] = input ~= "" and input or nil
      execute(client, name, args, bufnr, on_done, function(why)
        notify(string.format("could not %s: %s", VERB[name], why), vim.log.levels.ERROR)
        ask(key, prompt, required, { text = input, why = why }, unknown)
      end)
    end)
  end
  if name == COMMAND.request and args.rationale == nil then
    ask("rationale", "Rationale for the sign-off request", args.rationaleRequired == true, nil,
      args.rationaleRequired == nil)
  elseif name == COMMAND.reject and (type(args.comment) ~= "string" or args.comment == "") then
    ask("comment", "Why reject? What must change?", true)
  else
    execute(client, name, args, bufnr, on_done)
  end
end

--- Runs `vouch sync` in the repository of `bufnr` (or the working
--- directory's), so that requests and approvals reach the remote.
function M.sync(bufnr, on_done)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local root = vim.fs.root(bufnr, ".git") or vim.fs.root(vim.fn.getcwd(), ".git")
  if not root then
    notify("could not sync: not in a git repository", vim.log.levels.ERROR)
    return
  end
  local cmd, why = server_cmd()
  if not cmd then
    notify("could not sync: " .. why, vim.log.levels.ERROR)
    return
  end
  notify("syncing " .. root .. " ...")
  vim.system({ cmd[1], "sync" }, { cwd = root, text = true, env = { GIT_TERMINAL_PROMPT = "0" } }, function(out)
    vim.schedule(function()
      local lines = vim.split(vim.trim((out.stdout or "") .. "\n" .. (out.stderr or "")), "\n", { trimempty = true })
      local last = lines[#lines] or ""
      if out.code == 0 then
        notify("synced" .. (last ~= "" and (": " .. last) or ""))
      else
        notify("could not sync: " .. (last ~= "" and last or "vouch sync failed") .. " (:messages for more)", vim.log.levels.ERROR)
        for _, l in ipairs(lines) do
          vim.api.nvim_echo({ { l } }, true, {})
        end
      end
      if on_done then
        on_done(out.code == 0, lines)
      end
    end)
  end)
end

--- Client-side handlers for the server's commands, so that code actions and
--- code lenses (vim.lsp.buf.code_action) prompt like the user commands do.
M.client_commands = {}
for _, name in pairs(COMMAND) do
  M.client_commands[name] = function(command, ctx)
    local args = (command.arguments or {})[1] or {}
    M.run(command.command, args, ctx.bufnr)
  end
end

-- Reporting where text came from ---------------------------------------------

--- Reports that the text now in `range` of `bufnr` was written by an AI tool.
--- `range` is { start_row, start_col, end_row, end_col }: 0-based rows, byte
--- columns, end exclusive (the extmark convention).
---@param bufnr integer
---@param range integer[]
---@param opts {tool: string, model?: string, session?: string, kind?: "completion"|"chat"|"agent"}
---@return boolean sent
function M.ai_inserted(bufnr, range, opts)
  bufnr = bufnr == 0 and vim.api.nvim_get_current_buf() or bufnr
  opts = opts or {}
  local client = M.client(bufnr)
  if not client then
    return false
  end
  local enc = client.offset_encoding
  return client:notify("vouch/aiEdit", {
    textDocument = { uri = vim.uri_from_bufnr(bufnr), version = buf_version(bufnr) },
    range = position.range_to_lsp(bufnr, range[1], range[2], range[3], range[4], enc),
    tool = opts.tool or "unknown",
    model = opts.model,
    session = opts.session,
    kind = opts.kind,
  })
end

--- Reports that the text now in `range` (as for ai_inserted) was pasted by the user.
function M.human_pasted(bufnr, range)
  bufnr = bufnr == 0 and vim.api.nvim_get_current_buf() or bufnr
  local client = M.client(bufnr)
  if not client then
    return false
  end
  return client:notify("vouch/humanPaste", {
    textDocument = { uri = vim.uri_from_bufnr(bufnr), version = buf_version(bufnr) },
    range = position.range_to_lsp(bufnr, range[1], range[2], range[3], range[4], client.offset_encoding),
  })
end

--- Snapshots `bufnr`, runs `fn` (which accepts an AI suggestion), and
--- reports what changed as AI text. The change may come later than `fn`
--- returns (plugins whose accept returns keys to feed): it is looked for
--- for up to half a second. With `fn` nil, only the next change is watched.
---@param bufnr integer
---@param fn? fun()
---@param opts {tool: string, model?: string, session?: string, kind?: string}
function M.track_ai(bufnr, fn, opts)
  bufnr = bufnr == 0 and vim.api.nvim_get_current_buf() or bufnr
  local before = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  local tick = vim.api.nvim_buf_get_changedtick(bufnr)
  if fn then
    fn()
  end
  local tries = 0
  local function check()
    if not vim.api.nvim_buf_is_valid(bufnr) then
      return
    end
    if vim.api.nvim_buf_get_changedtick(bufnr) == tick then
      tries = tries + 1
      if tries <= 10 then
        vim.defer_fn(check, 50)
      end
      return
    end
    local ins = position.inserted(before, vim.api.nvim_buf_get_lines(bufnr, 0, -1, false))
    if ins and vim.trim(ins.text) ~= "" then
      M.ai_inserted(bufnr, { ins.srow, ins.scol, ins.erow, ins.ecol }, opts)
    end
  end
  check()
end

local paste_snapshot = nil

--- Wraps vim.paste so that a paste is reported as human text. Streamed
--- pastes (phases 1, 2, 3) are reported once, at the end.
local function wrap_paste()
  if M._paste_wrapped then
    return
  end
  M._paste_wrapped = true
  local original = vim.paste
  vim.paste = function(lines, phase)
    local bufnr = vim.api.nvim_get_current_buf()
    local track = M.config.paste and vim.fn.getcmdtype() == "" and M.client(bufnr) ~= nil
    if track and (phase == -1 or phase == 1) then
      paste_snapshot = { bufnr = bufnr, lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false) }
    end
    local result = original(lines, phase)
    if paste_snapshot and paste_snapshot.bufnr == bufnr and (phase == -1 or phase == 3) then
      local before = paste_snapshot.lines
      paste_snapshot = nil
      local ins = position.inserted(before, vim.api.nvim_buf_get_lines(bufnr, 0, -1, false))
      if ins and vim.trim(ins.text) ~= "" then
        M.human_pasted(bufnr, { ins.srow, ins.scol, ins.erow, ins.ecol })
      end
    end
    return result
  end
end

-- The language server ---------------------------------------------------------

--- The configuration for vim.lsp.start / vim.lsp.config (without root_dir).
function M.lsp_config(opts)
  opts = vim.tbl_deep_extend("force", M.config, opts or {})
  return {
    name = "vouch",
    cmd = opts.cmd or server_cmd(),
    handlers = M.handlers(),
    commands = M.client_commands,
    capabilities = opts.capabilities,
    -- This client asks for rationales and comments and says what each
    -- command did: the server leaves both to it.
    init_options = { promptsForArguments = true, showsCommandResults = true },
    on_attach = function(client, bufnr)
      M.configure_diagnostics(client)
      if opts.on_attach then
        opts.on_attach(client, bufnr)
      end
    end,
  }
end

--- The handlers for vouch's own notifications.
function M.handlers()
  return {
    ["vouch/regions"] = regions.handler,
    ["vouch/pendingChanged"] = function()
      vim.api.nvim_exec_autocmds("User", { pattern = "VouchPendingChanged", modeline = false })
    end,
  }
end

--- vouch's diagnostics: no signs of their own (the region signs say it, at
--- a lower priority, so other servers' signs stay visible) and, with
--- `virtual_text`, a short reason at the end of the unit's first line.
--- Other servers' diagnostics keep the user's configuration.
function M.configure_diagnostics(client)
  local ok, ns = pcall(vim.lsp.diagnostic.get_namespace, client.id, false)
  if not ok or not ns then
    return
  end
  vim.diagnostic.config({
    signs = false,
    virtual_text = M.config.virtual_text and { prefix = "●", spacing = 2, source = false } or false,
  }, ns)
end

local warned_missing = false

--- Starts (or reuses) the server for `bufnr`'s git root.
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if not vim.api.nvim_buf_is_valid(bufnr) or vim.bo[bufnr].buftype ~= "" then
    return nil
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == "" or name:match("^%a[%w+.-]*://") then
    return nil
  end
  local root = vim.fs.root(bufnr, ".git")
  if not root then
    return nil
  end
  local cmd, why = server_cmd()
  if not cmd then
    if not warned_missing then
      warned_missing = true
      notify(why, vim.log.levels.ERROR)
    end
    return nil
  end
  local config = M.lsp_config()
  config.cmd = cmd
  config.root_dir = root
  return vim.lsp.start(config, { bufnr = bufnr })
end

-- User commands -----------------------------------------------------------------

--- The buffer, URI and range a user command acts on: its line range, the
--- charwise visual selection it was called from, or the cursor (the cursor's
--- line when `need_text`).
local function target(cmd_opts, need_text)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then
    notify("no vouch language server is attached to this buffer", vim.log.levels.WARN)
    return nil
  end
  local enc = client.offset_encoding
  local srow, scol, erow, ecol
  if cmd_opts.range > 0 then
    srow, erow = cmd_opts.line1 - 1, cmd_opts.line2 - 1
    local vs, ve = vim.fn.getpos("'<"), vim.fn.getpos("'>")
    if vim.fn.visualmode() == "v" and vs[2] == cmd_opts.line1 and ve[2] == cmd_opts.line2 then
      local last = vim.api.nvim_buf_get_lines(bufnr, erow, erow + 1, false)[1] or ""
      local char = last:sub(ve[3]):match("^[%z\1-\127\194-\244][\128-\191]*") or ""
      scol, ecol = vs[3] - 1, math.min(ve[3] - 1 + #char, #last)
    else
      scol = 0
      ecol = #(vim.api.nvim_buf_get_lines(bufnr, erow, erow + 1, false)[1] or "")
    end
  else
    local cursor = vim.api.nvim_win_get_cursor(0)
    srow, scol = cursor[1] - 1, cursor[2]
    erow, ecol = srow, scol
    if need_text then
      scol = 0
      ecol = #(vim.api.nvim_buf_get_lines(bufnr, srow, srow + 1, false)[1] or "")
    end
  end
  local cursor = vim.api.nvim_win_get_cursor(0)
  return {
    bufnr = bufnr,
    uri = vim.uri_from_bufnr(bufnr),
    range = position.range_to_lsp(bufnr, srow, scol, erow, ecol, enc),
    position = position.to_lsp(bufnr, cursor[1] - 1, cursor[2], enc),
  }
end

--- Fills the quickfix list with the units awaiting sign-off, riskiest first,
--- from every running vouch server: the repository's whole review queue
--- (what `vouch review --list --all` lists), open files or not, and the open
--- files' units that still need a request. While a server is still reading
--- its queue, waits for it (at most `timeout_ms`, default 10 s).
local function counted(n, what)
  return string.format("%d %s%s", n, what, n == 1 and "" or "s")
end

--- The quickfix text of a unit of `vouch/pending`: its state, what it is,
--- its risk, and what an AI did to it (lines written, lines removed); for a
--- whole-file unit no buffer holds (a file an AI deleted, a trust file's
--- change, a file whose mode an AI changed), the command that signs it off.
function M.queue_text(unit)
  local what = unit.kind:gsub("_", " ") .. (unit.name and (" " .. unit.name) or "")
  local risk = (#(unit.risk or {}) > 0) and table.concat(unit.risk, ", ") or "no extra risk"
  local state = unit.mayApprove and (unit.state .. ", for you") or unit.state
  local lines, deleted = unit.aiLines or 0, unit.aiDeletedLines or 0
  local amount = counted(lines, "AI line")
  if deleted > 0 then
    local removed = counted(deleted, "AI-deleted line")
    amount = lines == 0 and removed or (amount .. ", " .. removed)
  end
  local whole = unit.kind == "deleted-file" or unit.kind == "trust-file" or unit.kind == "file-mode"
  return string.format("[%s] %s: %s; %s%s%s%s%s", state, what, risk, amount,
    unit.tool and (" from " .. unit.tool) or "",
    unit.requester and ("; requested by " .. unit.requester) or "",
    (#(unit.reviewers or {}) > 0) and ("; reviewers: " .. table.concat(unit.reviewers, ", ")) or "",
    whole and ("; sign off with: vouch approve --file " .. unit.path) or "")
end

function M.pending(open, timeout_ms)
  local clients = vim.lsp.get_clients({ name = "vouch" })
  if #clients == 0 then
    notify("no vouch language server is running", vim.log.levels.WARN)
    return
  end
  local deadline = vim.uv.now() + (timeout_ms or 10000)
  local items, left = {}, #clients
  local results = {}
  local function fill()
    for _, r in ipairs(results) do
      if r.err then
        notify("could not read the queue: " .. M.reason(r.err), vim.log.levels.ERROR)
      end
      for _, unit in ipairs(r.units) do
        local fname = vim.uri_to_fname(unit.uri)
        local bufnr = vim.fn.bufnr(fname)
        local lnum, col = unit.range.start.line + 1, unit.range.start.character + 1
        if bufnr > 0 and vim.api.nvim_buf_is_loaded(bufnr) then
          local row, c = position.to_byte(bufnr, unit.range.start, r.client.offset_encoding)
          lnum, col = row + 1, c + 1
        end
        local text = M.queue_text(unit)
        table.insert(items, {
          filename = fname,
          lnum = lnum,
          col = col,
          text = text,
          type = unit.severity == "warning" and "W" or "I",
        })
      end
    end
    vim.fn.setqflist({}, " ", { title = "vouch: awaiting sign-off", items = items })
    vim.api.nvim_exec_autocmds("User", { pattern = "VouchPending", modeline = false, data = { count = #items } })
    if open ~= false then
      if #items == 0 then
        notify("nothing awaits sign-off")
      else
        vim.cmd("copen")
      end
    end
  end
  local function ask(i, client)
    client:request("vouch/pending", vim.empty_dict(), function(err, result)
      if not err and result and result.computing and vim.uv.now() < deadline then
        -- The server is reading the queue in the background: ask again soon.
        vim.defer_fn(function()
          ask(i, client)
        end, 200)
        return
      end
      results[i] = { client = client, err = err, units = result and result.units or {} }
      left = left - 1
      if left == 0 then
        fill()
      end
    end)
  end
  for i, client in ipairs(clients) do
    ask(i, client)
  end
end

local function define_commands()
  local function cmd(name, fn, opts)
    vim.api.nvim_create_user_command(name, fn, vim.tbl_extend("force", { force = true }, opts or {}))
  end
  local function text_arg(o)
    return (o.args ~= nil and vim.trim(o.args) ~= "") and vim.trim(o.args) or nil
  end
  cmd("VouchRequest", function(o)
    local t = target(o, false)
    if t then
      M.run(COMMAND.request, { uri = t.uri, range = t.range, rationale = text_arg(o) }, t.bufnr)
    end
  end, { range = true, nargs = "*", desc = "vouch: request sign-off for the unit(s) here [rationale]" })
  cmd("VouchApprove", function(o)
    local t = target(o, false)
    if t then
      M.run(COMMAND.approve, { uri = t.uri, range = t.range, comment = text_arg(o) }, t.bufnr)
    end
  end, { range = true, nargs = "*", desc = "vouch: approve the unit(s) here [comment]" })
  cmd("VouchReject", function(o)
    local t = target(o, false)
    if t then
      M.run(COMMAND.reject, { uri = t.uri, range = t.range, comment = text_arg(o) }, t.bufnr)
    end
  end, { range = true, nargs = "*", desc = "vouch: reject the unit(s) here [comment]" })
  cmd("VouchMarkAi", function(o)
    local t = target(o, true)
    if t then
      M.run(COMMAND.mark_ai, { uri = t.uri, range = t.range, tool = text_arg(o) }, t.bufnr)
    end
  end, { range = true, nargs = "?", desc = "vouch: mark the selection (or line) as AI-written [tool]" })
  cmd("VouchMarkHuman", function(o)
    local t = target(o, true)
    if t then
      M.run(COMMAND.mark_human, { uri = t.uri, range = t.range }, t.bufnr)
    end
  end, { range = true, desc = "vouch: mark the selection (or line) as human-written" })
  cmd("VouchProvenance", function(o)
    local t = target(o, false)
    if t then
      M.run(COMMAND.provenance, { uri = t.uri, position = t.position }, t.bufnr)
    end
  end, { desc = "vouch: show where the code under the cursor came from" })
  cmd("VouchPending", function()
    M.pending(true)
  end, { desc = "vouch: the repository's units awaiting sign-off, riskiest first, in the quickfix list" })
  cmd("VouchSync", function()
    M.sync(0)
  end, { desc = "vouch: push and fetch requests, approvals and notes (vouch sync)" })
end

--- Sets vouch up: see :help vouch-setup.
function M.setup(opts)
  if not M.supported() then
    notify(version_message(), vim.log.levels.ERROR)
    return false
  end
  M.config = vim.tbl_deep_extend("force", vim.deepcopy(defaults), opts or {})
  if type(M.config.cmd) == "string" then
    M.config.cmd = { M.config.cmd, "lsp" }
  end
  regions.signs = vim.tbl_extend("force", regions.signs, M.config.signs or {})
  regions.sign_priority = M.config.sign_priority
  regions.define_highlights()
  define_commands()
  if M.config.paste then
    wrap_paste()
  end
  local group = vim.api.nvim_create_augroup("vouch", { clear = true })
  vim.api.nvim_create_autocmd("ColorScheme", { group = group, callback = regions.define_highlights })
  if M.config.filetypes then
    vim.api.nvim_create_autocmd("FileType", {
      group = group,
      pattern = M.config.filetypes,
      callback = function(ev)
        M.attach(ev.buf)
      end,
    })
  else
    vim.api.nvim_create_autocmd({ "BufReadPost", "BufNewFile" }, {
      group = group,
      callback = function(ev)
        M.attach(ev.buf)
      end,
    })
  end
  -- Buffers opened before setup.
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) then
      local ft_ok = not M.config.filetypes or vim.tbl_contains(M.config.filetypes, vim.bo[bufnr].filetype)
      if ft_ok then
        M.attach(bufnr)
      end
    end
  end
  did_setup = true
  return true
end

function M.is_setup()
  return did_setup
end

return M
