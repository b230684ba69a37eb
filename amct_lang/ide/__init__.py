"""Editor features over the core, as plain data in offsets: no editor protocol here.

One module per feature (completion, hover, symbols, folding, semantic_tokens, code_actions), each a
pure function of a Snapshot (one analyzed version of a document) and a position; context.py finds
what the cursor is on, even in a broken file. The language server (lsp/amct_lsp) turns the results
into LSP types.
"""
