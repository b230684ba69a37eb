"""The config-only form: what the blocks of a document give, resolved without a model.

Layers are known here only by a name and/or a type string (`Conv2D` matches `Conv` through the
vocabulary), so defaults that depend on the model (per-channel weights of an unknown type,
fixed_min after a ReLU) carry a `SourceKind.MODEL` source. Rules that need no model ask it what a
layer or type gets; they never apply the priority rules themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..document import BoundMessage, Entry
from .resolve import Blocks, CalibrationResolver, Choice, DistillResolver, Facts
from .types import LayerConfig, Source, SourceKind

if TYPE_CHECKING:
    from ..model.index import ModelIndex
    from .types import EffectiveConfig


class ConfigOnly:
    """The skip lists and blocks of one document, with the priority rules, without a model."""

    def __init__(self, root: BoundMessage, dialect: str) -> None:
        self.root = root
        self.dialect = dialect
        self.blocks = Blocks(root, dialect)
        self._resolver: CalibrationResolver | DistillResolver | None = None
        self._through: dict[tuple[Any, ...], LayerConfig] = {}

    @property
    def resolver(self) -> CalibrationResolver | DistillResolver:
        if self._resolver is None:
            self._resolver = (DistillResolver(self.root, self.blocks) if self.dialect == "distill"
                              else CalibrationResolver(self.root, self.dialect, self.blocks))
        return self._resolver

    def skip(self, name: str | None = None, type_name: str | None = None) -> Source | None:
        """The skip entry that removes a layer of this name and/or type (skips beat overrides)."""
        return self.blocks.skip(name, type_name)

    def skips_type(self, type_name: str) -> Source | None:
        """The skip-types entry that removes every layer a type override for `type_name` would
        configure, if any: such an override has no effect."""
        return self.blocks.skips_type(type_name)

    def repeats(self) -> list[tuple[Source, Source]]:
        """(repeat, first) for override entries naming a layer or type an earlier entry names."""
        return self.blocks.repeats()

    def choose(self, name: str | None = None, type_name: str | None = None) -> Choice:
        """Which skip entry or block applies to a layer of this name and/or type."""
        return self.blocks.choose(name, type_name)

    def layer(self, name: str | None = None, type_name: str | None = None) -> LayerConfig:
        """What a layer of this name and/or type gets."""
        return self.resolver.layer(Facts.of_type(name or "", type_name), self.choose(name, type_name))

    def overrides(self) -> list[tuple[Source, Entry]]:
        """(source, entry) of every override entry: layer overrides, then type overrides."""
        return list(self.blocks.entries())

    def through(self, block: Source, name: str | None = None, type_name: str | None = None) -> LayerConfig:
        """What a layer of this name / type would get from `block` (common_config, the global
        distill configs, or one override entry) if that block were the one that applies to it.
        Computed once per question and shared: read it, do not change it."""
        key = (block.kind, block.index, type_name)  # the name does not change what a block gives
        found = self._through.get(key)
        if found is None:  # kept: every override is compared with the same common_config
            facts = Facts.of_type(name or "", type_name)
            entry = self._entry(block)
            choice = self.blocks.chosen(None, None) if entry is None else self.blocks.chosen(block, entry)
            found = self._through[key] = self.resolver.layer(facts, choice)
        return found

    def common(self) -> Source | None:
        """common_config's source (calibration), when the file has one."""
        common = self.blocks.common
        return Source(SourceKind.COMMON, None, common.start, common.end) if common is not None else None

    def _entry(self, block: Source) -> Entry | None:
        if block.index is None:
            return None
        field = block.kind.value
        if field not in self.root.descriptor.fields_by_name:
            return None
        entries = self.root.all(field)
        return entries[block.index] if block.index < len(entries) else None


class Semantic:
    """Everything the semantic model knows about one analysis, each part computed on first use and
    then kept: the config-only form, and with a model of the dialect's kind, every layer's config."""

    __slots__ = ("root", "dialect", "model", "_config", "_effective", "_done")

    def __init__(self, root: BoundMessage, dialect: str, model: ModelIndex | None = None) -> None:
        self.root = root
        self.dialect = dialect
        self.model = model
        self._config: ConfigOnly | None = None
        self._effective: EffectiveConfig | None = None
        self._done = False

    @property
    def config(self) -> ConfigOnly:
        if self._config is None:
            self._config = ConfigOnly(self.root, self.dialect)
        return self._config

    @property
    def effective(self) -> EffectiveConfig | None:
        """Every layer's config, when a model of the kind the dialect configures is given."""
        if not self._done:
            self._done = True
            model = self.model
            if model is not None and model_fits(self.dialect, model):
                from .resolve import resolve_model

                self._effective = resolve_model(self.root, self.dialect, model, self.config.blocks)
        return self._effective


def model_fits(dialect: str, model: ModelIndex) -> bool:
    """Whether `model` is of the kind whose layers `dialect` configures (ONNX for calibration)."""
    from ..vocab import framework_for

    return getattr(model, "framework", None) == framework_for(dialect)
