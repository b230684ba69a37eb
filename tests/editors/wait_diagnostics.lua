-- After a user's init.lua (the README's snippet) has run on a file: wait for the server's
-- diagnostics on the current buffer, then write what arrived as JSON to AMCT_PROBE_OUT.
local result = { attached = 0, diagnostics = {} }
vim.wait(20000, function() return #vim.diagnostic.get(0) > 0 end, 20)
result.attached = #vim.tbl_keys(vim.lsp.buf_get_clients(0))
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(result.diagnostics, { lnum = d.lnum, col = d.col, message = d.message, source = d.source })
end
local f = io.open(os.getenv("AMCT_PROBE_OUT"), "w")
f:write(vim.fn.json_encode(result))
f:close()
vim.cmd("qa!")
