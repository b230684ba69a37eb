"""Syntax layer: grammar tables, lexer/parser with recovery, tree nodes, line index."""

from .lineindex import LineIndex
from .nodes import Comment, Field, ListValue, Message, Scalar, SyntaxTree, Token
from .parser import parse

__all__ = ["Comment", "Field", "LineIndex", "ListValue", "Message", "Scalar", "SyntaxTree", "Token", "parse"]
