"""What a rule sees: the typed document, its dialect, and (for model rules) the model index.

Also the views rules share, computed once per check and cached on the context: `View` (a block as
AMCT's parser builds it: last value wins, repeated blocks merged, one member per oneof) and
`config_blocks` (every place a calibration config can come from, with its owner).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ..diagnostics import Edit, Fix
from ..document import BoundMessage, Entry
from ..schema import Schema
from ..syntax.nodes import Field, ListValue, SyntaxTree

T = TypeVar("T")


class RuleContext:
    def __init__(self, tree: SyntaxTree, root: BoundMessage, dialect: str, schema: Schema,
                 model: Any = None, alternatives: tuple[str, ...] = ()) -> None:
        self.tree = tree
        self.root = root
        self.dialect = dialect
        self.schema = schema
        self.model = model  # a ModelIndex when the user gave a model
        # dialects the file fits just as well (its dialect was guessed from its fields, not named)
        self.alternatives = alternatives
        self._cache: dict[str, Any] = {}

    @property
    def text(self) -> str:
        return self.tree.text

    def source(self, entry: Entry) -> str:
        """The value of `entry` as written in the file."""
        return self.tree.text[entry.start:entry.end]

    def cached(self, key: str, build: Callable[[RuleContext], T]) -> T:
        """Compute something several rules need once per check."""
        if key not in self._cache:
            self._cache[key] = build(self)
        return self._cache[key]  # type: ignore[no-any-return]

    def top(self, name: str) -> list[Entry]:
        """Entries of the top-level field `name`, in source order."""
        return self.cached("top", _top_entries).get(name, [])


def _top_entries(ctx: RuleContext) -> dict[str, list[Entry]]:
    out: dict[str, list[Entry]] = {}
    for e in ctx.root.entries:
        out.setdefault(e.field.name, []).append(e)
    return out


class _Layout:
    """What views need to know about a message type, read from its descriptor once."""

    __slots__ = ("descriptor", "names", "defaults", "oneofs", "contested")

    def __init__(self, descriptor: Any) -> None:
        # holding the descriptor keeps its id() from being reused by another object
        self.descriptor = descriptor
        # field descriptor -> name: reading .name allocates a new string every time
        self.names = {f: f.name for f in descriptor.fields}
        self.defaults = {f.name: f.default_value for f in descriptor.fields if f.message_type is None}
        self.oneofs = {o.name: tuple(f.name for f in o.fields) for o in descriptor.oneofs}
        # oneofs where two members can collide
        self.contested = [names for names in self.oneofs.values() if len(names) > 1]


_LAYOUTS: dict[int, _Layout] = {}  # by id of the descriptor: descriptors live as long as the schema


def _layout(descriptor: Any) -> _Layout:
    layout = _LAYOUTS.get(id(descriptor))
    if layout is None:
        layout = _LAYOUTS[id(descriptor)] = _Layout(descriptor)
    return layout


class View:
    """One block as text_format.Merge builds it from every instance given for a singular field:
    scalars keep their last value, sub-blocks are merged, a oneof keeps only its last member."""

    __slots__ = ("descriptor", "messages", "fields", "_layout", "_simple")

    def __init__(self, messages: list[BoundMessage], descriptor: Any = None) -> None:
        """`descriptor` is needed only when `messages` is empty (a block that is not given)."""
        if messages:
            descriptor = messages[0].descriptor
        self.descriptor = descriptor
        self.messages = messages
        self._layout = layout = _LAYOUTS.get(id(descriptor)) or _layout(descriptor)
        names = layout.names
        entries = messages[0].entries if len(messages) == 1 else [e for m in messages for e in m.entries]
        # later entries overwrite earlier ones: the last value wins, as in text_format.Merge
        self.fields = fields = {names[e.field]: e for e in entries}
        # one instance of each field: a sub-block is the one message given for it
        self._simple = len(fields) == len(entries)
        if layout.contested and len(fields) > 1:
            for group in layout.contested:
                hits = 0
                for n in group:
                    if n in fields:
                        hits += 1
                if hits > 1:  # the oneof keeps only the member given last
                    keep = max((fields[n] for n in group if n in fields), key=lambda e: e.start)
                    for n in group:
                        if n in fields and fields[n] is not keep:
                            del fields[n]

    def __bool__(self) -> bool:
        return bool(self.messages)

    def entry(self, name: str) -> Entry | None:
        """The entry that gives `name` its value, or None when it is not set."""
        return self.fields.get(name)

    def value(self, name: str) -> Any:
        """The effective value of scalar field `name`: the last one given, else the schema default."""
        e = self.fields.get(name)
        if e is not None:
            return e.value
        return self._layout.defaults[name]

    def default(self, name: str) -> Any:
        """The schema default of scalar field `name`."""
        return self._layout.defaults[name]

    def oneofs(self) -> dict[str, tuple[str, ...]]:
        """The member names of each oneof of the block's message type, by oneof name."""
        return self._layout.oneofs

    def oneof_member(self, group: str) -> str | None:
        """Which member of oneof `group` this block sets, if any."""
        for member in self._layout.oneofs[group]:
            if member in self.fields:
                return member
        return None

    def get_in(self, name: str, field: str) -> Entry | None:
        """The entry giving `field` in sub-block `name`: `sub(name).entry(field)` without the view."""
        e = self.fields.get(name)
        if e is None or type(e.value) is not BoundMessage:
            return None
        msg = e.value
        layout = _LAYOUTS.get(id(msg.descriptor)) or _layout(msg.descriptor)
        if not self._simple or layout.contested:
            sub = self.sub(name)
            return sub.fields.get(field) if sub is not None else None
        names = layout.names
        found = None
        for x in msg.entries:
            if names[x.field] == field:
                found = x
        return found

    def sub(self, name: str) -> View | None:
        """The sub-block `name` (all its instances merged), or None when it is not given."""
        e = self.fields.get(name)
        if e is None or type(e.value) is not BoundMessage:
            return None
        if self._simple:
            return View([e.value])
        return View([x.value for m in self.messages for x in m.entries
                     if x.field is e.field and type(x.value) is BoundMessage])


# Owners of a calibration config block, in AMCT's priority order (lowest first).
COMMON, TYPE_OVERRIDE, LAYER_OVERRIDE = "common_config", "override_layer_types", "override_layer_configs"
TENSOR, NUQ_CONFIG = "tensor_quantize", "nuq_config"


class ConfigBlock:
    """A place a calibration config comes from: `common_config`, one override entry, one
    `tensor_quantize` entry, or `nuq_config`. `key` is the layer type or name it applies to."""

    __slots__ = ("owner", "entry", "key", "key_entry", "view")

    def __init__(self, owner: str, entry: Entry, key_entry: Entry | None, view: View) -> None:
        self.owner = owner
        self.entry = entry  # the top-level entry that holds the block
        self.key_entry = key_entry
        self.key: str | None = key_entry.value if key_entry is not None else None
        self.view = view  # CalibrationConfig; TensorQuantize / NuqConfig for those owners

    @property
    def is_config(self) -> bool:
        """A CalibrationConfig (common_config or an override), not tensor_quantize / nuq_config."""
        return self.owner in (COMMON, TYPE_OVERRIDE, LAYER_OVERRIDE)

    @property
    def label(self) -> str:
        if self.owner == COMMON or self.owner == NUQ_CONFIG:
            return self.owner
        what = "type" if self.owner == TYPE_OVERRIDE else "layer"
        return f"the {self.owner} entry for {what} '{self.key}'" if self.key is not None else \
            f"an {self.owner} entry"


def config_blocks(ctx: RuleContext) -> list[ConfigBlock]:
    """Every calibration config block of the file (calibration dialects), cached per check."""
    return ctx.cached("config_blocks", _config_blocks)


def _config_blocks(ctx: RuleContext) -> list[ConfigBlock]:
    blocks: list[ConfigBlock] = []
    common = ctx.top(COMMON)
    if common:
        blocks.append(ConfigBlock(COMMON, common[-1], None, View([e.value for e in common])))
    for owner, key in ((TYPE_OVERRIDE, "layer_type"), (LAYER_OVERRIDE, "layer_name")):
        entries = ctx.top(owner)
        if not entries:
            continue
        by_name = entries[0].value.descriptor.fields_by_name
        key_field, config_field = by_name[key], by_name["calibration_config"]
        for e in entries:
            key_entry = None
            configs = []
            for sub in e.value.entries:
                if sub.field is key_field:
                    key_entry = sub
                elif sub.field is config_field:
                    configs.append(sub.value)
            # an override without its (required) calibration_config gets an empty block
            view = View(configs) if configs else View([], config_field.message_type)
            blocks.append(ConfigBlock(owner, e, key_entry, view))
    for e in ctx.top(TENSOR):
        blocks.append(ConfigBlock(TENSOR, e, e.value.last("layer_name"), View([e.value])))
    nuq = ctx.top(NUQ_CONFIG)
    if nuq:
        blocks.append(ConfigBlock(NUQ_CONFIG, nuq[-1], None, View([e.value for e in nuq])))
    return blocks


# -- edits for fixes ------------------------------------------------------------------------------

def replace_value(entry: Entry, new_text: str, title: str | None = None) -> Fix:
    """An unsafe fix that writes `new_text` in place of the value of `entry`."""
    return Fix(title or f"Replace with {new_text}", (Edit(entry.start, entry.end, new_text),))


def replace_string(entry: Entry, text: str, new: str) -> Fix:
    """An unsafe fix that replaces the contents of a one-token string value, keeping its quotes."""
    start, end = entry.start, entry.end
    if end - start >= 2 and text[start] in "\"'" and text[end - 1] == text[start]:
        return Fix(f"Replace with '{new}'", (Edit(start + 1, end - 1, new),))
    return Fix(f"Replace with '{new}'", (Edit(start, end, f'"{new}"'),))


def remove_field(text: str, field: Field) -> Edit:
    """Delete a whole field, with its line when nothing else stands on it."""
    start, end = field.start, field.end
    # walk over blanks only (never slice the line: one-line files can be megabytes long)
    line_start = start
    while line_start > 0 and text[line_start - 1] in " \t\r":
        line_start -= 1
    line_end = end
    while line_end < len(text) and text[line_end] in " \t\r":
        line_end += 1
    alone_at_start = line_start == 0 or text[line_start - 1] == "\n"
    if alone_at_start and (line_end == len(text) or text[line_end] == "\n"):
        return Edit(line_start, min(line_end + 1, len(text)), "")
    while end < len(text) and text[end] in " \t":
        end += 1
    return Edit(start, end, "")


def remove_entries(text: str, entries: list[Entry]) -> dict[int, Edit]:
    """Edits deleting each of `entries` (items of repeated scalar fields), by id of the entry.

    Each edit is valid alone, and all of them together do not overlap: within a list, items before
    the first kept item take the separator after them, later items the separator before them.
    """
    edits: dict[int, Edit] = {}
    by_list: dict[int, tuple[ListValue, list[Entry]]] = {}
    for e in entries:
        value = e.node.value
        if type(value) is ListValue:
            by_list.setdefault(id(value), (value, []))[1].append(e)
        else:
            edits[id(e)] = remove_field(text, e.node)
    for items, removed in by_list.values():
        nodes = items.items
        gone = {id(e.item) for e in removed}
        kept = [i for i, node in enumerate(nodes) if id(node) not in gone]
        first_kept = kept[0] if kept else len(nodes)
        for e in removed:
            i = next(i for i, node in enumerate(nodes) if node is e.item)
            if i < first_kept:
                end = nodes[i + 1].start if i + 1 < len(nodes) else nodes[i].end
                edits[id(e)] = Edit(nodes[i].start, end, "")
            else:
                edits[id(e)] = Edit(nodes[i - 1].end, nodes[i].end, "")
    return edits
