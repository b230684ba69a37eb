"""Document symbols: the outline, one symbol per field, blocks nested as in the file.

A block that names its layer (`layer_name`, `layer_type`, `start_layer_name`) shows that name as
its detail, so the outline of a long config reads as a list of layers. Built from the syntax tree,
which error recovery keeps as complete as it can.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..syntax.nodes import Field, ListValue, Message, Scalar
from .snapshot import Snapshot

# symbol kinds
BLOCK = "block"
LIST = "list"
STRING = "string"
NUMBER = "number"
BOOL = "bool"
ENUM = "enum"

_BOOLS = frozenset(("true", "True", "t", "false", "False", "f"))
_NAMING = ("layer_name", "layer_type", "start_layer_name", "name", "key")
MAX_DETAIL = 60


@dataclass
class Symbol:
    name: str
    kind: str
    detail: str
    start: int  # the whole field
    end: int
    name_start: int  # the field name
    name_end: int
    children: list[Symbol] = field(default_factory=list)


def symbols(snap: Snapshot) -> list[Symbol]:
    """The outline. A work list instead of recursion: nesting depth is the user's to choose."""
    text = snap.text
    root: list[Symbol] = []
    if snap.foreign:
        return root
    work: list[tuple[list[Field], list[Symbol]]] = [(snap.analysis.tree.fields, root)]
    while work:
        fields, out = work.pop()
        for f in fields:
            if not f.name.missing:
                out.append(_field(text, f, work))
    return root


def _field(text: str, f: Field, work: list[tuple[list[Field], list[Symbol]]]) -> Symbol:
    """The symbol of one field; the fields of its blocks are queued on `work`, to fill in the
    (still empty) children lists."""
    name = f.name.text
    value = f.value
    start, end = f.start, max(f.end, f.name.end)
    if type(value) is Message:
        sym = Symbol(name, BLOCK, _naming(text, value), start, end, f.name.start, f.name.end)
        work.append((value.fields, sym.children))
        return sym
    if type(value) is ListValue:
        items = value.items
        children = []
        for i, item in enumerate(items):
            label = f"{name}[{i}]"
            if isinstance(item, Message):
                child = Symbol(label, BLOCK, _naming(text, item), item.start, item.end, item.start,
                               item.open.end)
                work.append((item.fields, child.children))
                children.append(child)
            elif isinstance(item, Scalar) and not item.missing:
                kind, detail = _scalar(text, item)
                children.append(Symbol(label, kind, detail, item.start, item.end, item.start, item.end))
        n = len(items)
        return Symbol(name, LIST, f"[{n} item{'s' if n != 1 else ''}]", start, end, f.name.start, f.name.end,
                      children)
    kind, detail = _scalar(text, value) if isinstance(value, Scalar) else (STRING, "")
    return Symbol(name, kind, detail, start, end, f.name.start, f.name.end)


def _scalar(text: str, value: Scalar) -> tuple[str, str]:
    if value.missing:
        return STRING, ""
    shown = text[value.start:value.end]
    if len(shown) > MAX_DETAIL:
        shown = shown[:MAX_DETAIL - 1] + "…"
    kind = value.kind
    if kind == "STRING":
        return STRING, shown
    if kind == "NUMBER":
        return NUMBER, shown
    return (BOOL if shown in _BOOLS else ENUM), shown


def _naming(text: str, message: Message) -> str:
    """The value of the field that names what a block configures, if it has one."""
    for wanted in _NAMING:
        for f in message.fields:
            if f.name.text == wanted and type(f.value) is Scalar and not f.value.missing:
                return _scalar(text, f.value)[1]
    return ""
