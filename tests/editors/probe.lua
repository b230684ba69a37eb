-- Neovim (0.7+) probe: start the amct-lang server with Neovim's own LSP client on the file being
-- edited, wait for its diagnostics, ask for completion at a position, write both as JSON.
-- Inputs (environment): AMCT_PROBE_CMD (JSON list: the server command), AMCT_PROBE_LINE,
-- AMCT_PROBE_CHARACTER (LSP position of the completion), AMCT_PROBE_OUT (where to write).
local result = { diagnostics = {}, completion = {}, error = nil }

local function finish()
  local f = io.open(os.getenv("AMCT_PROBE_OUT"), "w")
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd("qa!")
end

local ok, err = pcall(function()
  local client_id = vim.lsp.start_client({
    name = "amct-lang",
    cmd = vim.fn.json_decode(os.getenv("AMCT_PROBE_CMD")),
    root_dir = vim.fn.getcwd(),
    init_options = { model = "", dialect = "", lint = { run = "onType" } },
  })
  if not client_id then
    error("the server did not start")
  end
  vim.lsp.buf_attach_client(0, client_id)
  if not vim.wait(20000, function() return #vim.diagnostic.get(0) > 0 end, 20) then
    error("no diagnostics within 20 s")
  end
  for _, d in ipairs(vim.diagnostic.get(0)) do
    table.insert(result.diagnostics, {
      lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col,
      severity = d.severity, message = d.message, source = d.source, code = d.code,
    })
  end
  local params = {
    textDocument = vim.lsp.util.make_text_document_params(),
    position = { line = tonumber(os.getenv("AMCT_PROBE_LINE")), character = tonumber(os.getenv("AMCT_PROBE_CHARACTER")) },
  }
  local responses = vim.lsp.buf_request_sync(0, "textDocument/completion", params, 20000)
  for _, response in pairs(responses or {}) do
    if response.error then
      error("completion failed: " .. vim.inspect(response.error))
    end
    local items = response.result and (response.result.items or response.result) or {}
    for _, item in ipairs(items) do
      table.insert(result.completion, { label = item.label, sortText = item.sortText })
    end
  end
  vim.lsp.stop_client(client_id)
end)
if not ok then
  result.error = tostring(err)
end
finish()
