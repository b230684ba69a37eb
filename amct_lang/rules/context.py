"""What a rule sees: the typed document, its dialect, and (for model rules) the model index.

Also the views rules share, computed once per check and cached on the context: `View` (the one
block reader, amct_lang.semantic.blocks: protobuf's merge semantics) and `config_blocks` (every
place a calibration config can come from, with its owner). What a layer or type GETS is the
semantic model's answer (`ctx.config`, `ctx.effective`); rules never apply the priority rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ..diagnostics import Edit, Fix
from ..document import BoundMessage, Entry
from ..schema import Schema
from ..schema_fixes import remove_field
from ..semantic.blocks import View
from ..syntax.nodes import ListValue, SyntaxTree

if TYPE_CHECKING:
    from ..model.index import ModelIndex
    from ..semantic.config import ConfigOnly, Semantic
    from ..semantic.types import EffectiveConfig, Source

T = TypeVar("T")


class RuleContext:
    def __init__(self, tree: SyntaxTree, root: BoundMessage, dialect: str, schema: Schema,
                 model: ModelIndex | None = None, alternatives: tuple[str, ...] = (),
                 semantic: Callable[[], Semantic] | None = None) -> None:
        self.tree = tree
        self.root = root
        self.dialect = dialect
        self.schema = schema
        self.model = model  # a ModelIndex when the user gave a model
        # dialects the file fits just as well (its dialect was guessed from its fields, not named)
        self.alternatives = alternatives
        self._cache: dict[str, Any] = {}
        self._semantic = semantic

    @property
    def semantic(self) -> Semantic:
        """The semantic model (amct_lang.semantic) of the analysis these rules run for."""
        if self._semantic is not None:
            return self._semantic()
        return self.cached("semantic", _own_semantic)

    @property
    def config(self) -> ConfigOnly:
        """What a layer or type gets, resolved without a model: ask it, never re-derive priority."""
        return self.semantic.config

    @property
    def effective(self) -> EffectiveConfig | None:
        """Every layer's config, when the check has a model of the dialect's kind."""
        return self.semantic.effective

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


def _own_semantic(ctx: RuleContext) -> Semantic:
    from ..semantic.config import Semantic

    return Semantic(ctx.root, ctx.dialect, ctx.model)


def _top_entries(ctx: RuleContext) -> dict[str, list[Entry]]:
    out: dict[str, list[Entry]] = {}
    for e in ctx.root.entries:
        out.setdefault(e.field.name, []).append(e)
    return out


# Owners of a calibration config block, in AMCT's priority order (lowest first).
COMMON, TYPE_OVERRIDE, LAYER_OVERRIDE = "common_config", "override_layer_types", "override_layer_configs"
TENSOR, NUQ_CONFIG = "tensor_quantize", "nuq_config"


class ConfigBlock:
    """A place a calibration config comes from: `common_config`, one override entry, one
    `tensor_quantize` entry, or `nuq_config`. `key` is the layer type or name it applies to."""

    __slots__ = ("owner", "entry", "key", "key_entry", "view", "index")

    def __init__(self, owner: str, entry: Entry, key_entry: Entry | None, view: View,
                 index: int | None = None) -> None:
        self.owner = owner
        self.entry = entry  # the top-level entry that holds the block
        self.key_entry = key_entry
        self.key: str | None = key_entry.value if key_entry is not None else None
        self.view = view  # CalibrationConfig; TensorQuantize / NuqConfig for those owners
        self.index = index  # which entry of its repeated field (None: common_config, nuq_config)

    @property
    def source(self) -> Source:
        """The block as the semantic model names it (what `ctx.config.through()` takes)."""
        from ..semantic.types import Source, SourceKind

        return Source(SourceKind(self.owner), self.index, self.entry.start, self.entry.end, self.key or "")

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
        for i, e in enumerate(entries):
            key_entry = None
            configs = []
            for sub in e.value.entries:
                if sub.field is key_field:
                    key_entry = sub
                elif sub.field is config_field:
                    configs.append(sub.value)
            # an override without its (required) calibration_config gets an empty block
            view = View(configs) if configs else View([], config_field.message_type)
            blocks.append(ConfigBlock(owner, e, key_entry, view, i))
    for i, e in enumerate(ctx.top(TENSOR)):
        blocks.append(ConfigBlock(TENSOR, e, e.value.last("layer_name"), View([e.value]), i))
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
