"""amct_lsp: the language server of amct-lang (pygls), started by `amct-lang lsp`.

One module per LSP feature, each turning amct_lang.ide results into LSP types; server.py holds
the documents, settings and the analysis thread.
"""

from .server import AmctLanguageServer, create_server, run_stdio

__all__ = ["AmctLanguageServer", "create_server", "run_stdio"]
