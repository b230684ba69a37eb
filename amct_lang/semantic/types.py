"""The typed effective config: what each layer gets, as AMCT receives it, and where it comes from.

Values are what protobuf hands AMCT after parsing: floats are float32 (0.7 is 0.699999988...),
enums are members of the enums below (never names or numbers), nested messages are typed objects.
Every object that holds configured values keeps, per field, the `Source` of the value
(`obj.source("search_step")`); presentation (names, shortest float text, source tags) lives in
`amct_lang.semantic.present`, never here.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator, Mapping
from enum import Enum, IntEnum
from typing import Any, ClassVar, Generic, NamedTuple, TypeVar

T = TypeVar("T")

# -- enums, defined once ---------------------------------------------------------------------------


class SourceKind(str, Enum):
    """Where a value or a block comes from. The values are the config's own field names."""

    LAYER_OVERRIDE = "override_layer_configs"
    TYPE_OVERRIDE = "override_layer_types"
    COMMON = "common_config"
    ACTIVATION_OFFSET = "activation_offset"
    DEFAULT = "default"  # the schema's default, or AMCT's built-in choice (detail says which)
    MODEL = "model"  # a fact of the model decides (per-channel weights, fixed_min after a ReLU)
    TENSOR_QUANTIZE = "tensor_quantize"
    SKIP_LAYERS = "skip_layers"
    SKIP_TYPES = "skip_layer_types"
    SKIP_FUSION = "skip_fusion_layers"
    SETTING = "setting"  # a top-level scalar field; detail is its name
    DISTILL_LAYER_OVERRIDE = "distill_override_layers"
    DISTILL_TYPE_OVERRIDE = "distill_override_layer_types"
    DISTILL_DATA = "distill_data_quant_config"
    DISTILL_WEIGHT = "distill_weight_quant_config"
    QUANT_SKIP_LAYERS = "quant_skip_layers"
    QUANT_SKIP_TYPES = "quant_skip_layer_types"
    GLOBAL = "global"  # distillation: the global distill_*_quant_config pair

    def __str__(self) -> str:
        return self.value


class LayerStatus(str, Enum):
    QUANTIZED = "quantized"
    SKIPPED = "skipped"  # removed by a skip entry (reason says which)
    UNSUPPORTED = "not quantizable"  # a quantizable type that breaks a constraint (executor.md §2)
    TENSOR_ONLY = "input tensors"  # a MaxPool/Add whose inputs tensor_quantize names

    def __str__(self) -> str:
        return self.value


class CalibrationDataType(IntEnum):
    """FMRQuantize / HFMGQuantize.CalibrationDataType: the activation's integer type."""

    INT8 = 1
    INT16 = 2


class DataType(IntEnum):
    """distill DataType: the bit width of a distilled layer."""

    INT4 = 0
    INT8 = 1


class FakequantPrecisionMode(IntEnum):
    FORCE_FP16_QUANT = 1


# protobuf enum type name -> the Python enum for it (tests check they list the same members)
ENUMS: dict[str, type[IntEnum]] = {
    "CalibrationDataType": CalibrationDataType,
    "DataType": DataType,
    "FakequantPrecisionMode": FakequantPrecisionMode,
}

# -- float32 -----------------------------------------------------------------------------------------

FLT_MAX = 3.4028234663852886e38


def float32(x: float) -> float:
    """`x` as a protobuf float field stores it: rounded to the nearest float32 (IEEE), so values past
    FLT_MAX by more than half a unit become infinite, like the C cast protobuf does."""
    if math.isnan(x) or math.isinf(x):
        return x
    try:
        return float(struct.unpack("<f", struct.pack("<f", x))[0])
    except OverflowError:
        return math.copysign(math.inf, x)


# -- provenance ----------------------------------------------------------------------------------------


class Source:
    """Where a value or block comes from. start/end: its range in the text (None when not written).
    Treated as immutable (never changed after construction); equal when all five parts are."""

    __slots__ = ("kind", "index", "start", "end", "detail")

    def __init__(self, kind: SourceKind, index: int | None = None, start: int | None = None,
                 end: int | None = None, detail: str = "") -> None:
        self.kind = kind
        self.index = index  # which entry of a repeated field
        self.start = start
        self.end = end
        self.detail = detail  # why, for defaults and model facts; the name or type a skip entry gives

    def _key(self) -> tuple[Any, ...]:
        return (self.kind, self.index, self.start, self.end, self.detail)

    def __eq__(self, other: object) -> bool:
        return type(other) is Source and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Source({self.kind.value}, {self.index}, {self.start}, {self.end}, {self.detail!r})"

    @property
    def label(self) -> str:
        return f"{self.kind.value}[{self.index}]" if self.index is not None else self.kind.value

    @property
    def written(self) -> bool:
        return self.start is not None


DEFAULT = Source(SourceKind.DEFAULT)
_NO_SOURCES: Mapping[str, Source] = {}


class Value(NamedTuple, Generic[T]):
    """A value with where it comes from."""

    value: T
    source: Source


_REQUIRED = object()


class Configured:
    """Base of every configured message: immutable; its fields are the class annotations, named as
    in the .proto, with the schema's defaults (float32) as class attributes (no default: resolved
    per layer, e.g. channel_wise). `sources` maps a field name to where its value comes from.

    Built by the resolver; `Class(field=value, ..., sources={...})`. No dataclasses: the check path
    stays free of their import cost."""

    MESSAGE: ClassVar[str] = ""  # the protobuf message type it stands for
    FIELDS: ClassVar[tuple[str, ...]] = ()
    sources: Mapping[str, Source]
    present: frozenset[str] | None

    def __init_subclass__(cls) -> None:
        own = [n for n, t in cls.__dict__.get("__annotations__", {}).items()
               if not str(t).startswith("ClassVar")]
        cls.FIELDS = tuple(n for n in cls.FIELDS if n not in own) + tuple(own)
        setattr(cls, "__match_args__", cls.FIELDS)  # noqa: B010 - positional `case ARQ(True)` patterns
        cls._DEFAULTS = {n: getattr(cls, n) for n in cls.FIELDS if hasattr(cls, n)}
        cls._NEEDED = frozenset(n for n in cls.FIELDS if not hasattr(cls, n))

    _DEFAULTS: ClassVar[dict[str, Any]] = {}
    _NEEDED: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, *, sources: Mapping[str, Source] = _NO_SOURCES, present: frozenset[str] | None = None,
                 **values: Any) -> None:
        cls = type(self)
        if not cls._NEEDED <= values.keys() or not values.keys() <= cls._DEFAULTS.keys() | cls._NEEDED:
            unknown = sorted(set(values) - set(cls.FIELDS))
            missing = sorted(cls._NEEDED - set(values))
            raise TypeError(f"{cls.__name__}: unknown fields {unknown}, missing {missing}")
        state = self.__dict__  # filled once here; the class refuses later changes
        state.update(cls._DEFAULTS)
        state.update(values)
        state["sources"] = sources
        # the fields the dialect's message has (None: all); the others keep AMCT's fixed behaviour
        state["present"] = present

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.values() == other.values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), tuple(self.values().items())))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.values().items())})"

    def values(self) -> dict[str, Any]:
        """Field name -> value (nested messages as objects)."""
        return {name: getattr(self, name) for name in self.FIELDS}

    def source(self, name: str) -> Source:
        return self.sources.get(name, DEFAULT)

    def items(self) -> Iterator[tuple[str, Any, Source]]:
        """(name, value, source) of every field the dialect's message has; nested messages
        flattened as `outer.inner`."""
        present = self.present
        for name in self.FIELDS:
            if present is not None and name not in present:
                continue
            value = getattr(self, name)
            if isinstance(value, Configured):
                for inner, v, src in value.items():
                    yield f"{name}.{inner}", v, src
            else:
                yield name, value, self.source(name)


class Algorithm(Configured):
    """A quantization algorithm block (arq_quantize, ifmr_quantize, ...). NAME: its field name."""

    NAME: ClassVar[str] = ""


def _f(x: float) -> float:
    return float32(x)


# -- calibration ------------------------------------------------------------------------------------


class ARQ(Algorithm):
    """ARQuantize: uniform weight quantization."""

    NAME: ClassVar[str] = "arq_quantize"
    MESSAGE: ClassVar[str] = "ARQuantize"
    channel_wise: bool  # unset: true where the layer has per-channel weights
    asymmetric: bool = False
    quant_bits: int | None = None  # calibration-onnx only; None: not set (8 bits)


class NUQ(Algorithm):
    """NUQuantize: non-uniform weight quantization."""

    NAME: ClassVar[str] = "nuq_quantize"
    MESSAGE: ClassVar[str] = "NUQuantize"
    num_steps: int = 32
    num_of_iteration: int = 1


class ADA(Algorithm):
    """ADAquantize: adaptive rounding of weights (calibration-onnx)."""

    NAME: ClassVar[str] = "ada_quantize"
    MESSAGE: ClassVar[str] = "ADAquantize"
    num_iteration: int = 10000
    reg_param: float = _f(0.01)
    beta_range_start: float = 20.0
    beta_range_end: float = 2.0
    warm_start: float = _f(0.2)
    channel_wise: bool  # unset: true where the layer has per-channel weights


class IFMR(Algorithm):
    """FMRQuantize: activation calibration by searching the clipping range."""

    NAME: ClassVar[str] = "ifmr_quantize"
    MESSAGE: ClassVar[str] = "FMRQuantize"
    search_range_start: float = _f(0.7)
    search_range_end: float = _f(1.3)
    search_step: float = _f(0.01)
    max_percentile: float = _f(0.999999)
    min_percentile: float = _f(0.999999)
    asymmetric: bool  # unset: common_config's (same algorithm), else activation_offset
    dst_type: CalibrationDataType = CalibrationDataType.INT8


class HFMG(Algorithm):
    """HFMGQuantize: histogram-based activation calibration (calibration-onnx)."""

    NAME: ClassVar[str] = "hfmg_quantize"
    MESSAGE: ClassVar[str] = "HFMGQuantize"
    num_of_bins: int = 4096
    asymmetric: bool  # unset: common_config's (same algorithm), else activation_offset
    dst_type: CalibrationDataType = CalibrationDataType.INT8


class DMQBalancer(Algorithm):
    NAME: ClassVar[str] = "dmq_balancer"
    MESSAGE: ClassVar[str] = "DMQBalancer"
    migration_strength: float = 0.5


WeightAlgorithm = ARQ | NUQ | ADA
ActivationAlgorithm = IFMR | HFMG

# -- distillation -------------------------------------------------------------------------------------


class ClipMaxMin(Configured):
    MESSAGE: ClassVar[str] = "ClipMaxMin"
    clip_max: float
    clip_min: float


class ULQ(Algorithm):
    """ActULQquantize: learned activation clipping. clip_max_min None: initialised by IFMR."""

    NAME: ClassVar[str] = "ulq_quantize"
    MESSAGE: ClassVar[str] = "ActULQquantize"
    clip_max_min: ClipMaxMin | None = None
    fixed_min: bool  # unset: true when the input comes after a ReLU
    dst_type: DataType = DataType.INT8

    @property
    def init_by_ifmr(self) -> bool:
        """No clip_max_min given: the clipping range starts from IFMR over batch_num batches."""
        return self.clip_max_min is None


class ARQDistill(Algorithm):
    NAME: ClassVar[str] = "arq_distill"
    MESSAGE: ClassVar[str] = "ARQDistill"
    dst_type: DataType = DataType.INT8
    channel_wise: bool  # unset: true where the layer has per-channel weights


class ULQDistill(Algorithm):
    NAME: ClassVar[str] = "ulq_distill"
    MESSAGE: ClassVar[str] = "WtsULQDistill"
    dst_type: DataType = DataType.INT8
    channel_wise: bool  # unset: true where the layer has per-channel weights


DistillWeightAlgorithm = ARQDistill | ULQDistill

# every configured message type by its protobuf message name
MESSAGES: dict[str, type[Configured]] = {
    cls.MESSAGE: cls for cls in (ARQ, NUQ, ADA, IFMR, HFMG, DMQBalancer, ClipMaxMin, ULQ, ARQDistill,
                                 ULQDistill)
}

# -- the result ------------------------------------------------------------------------------------------


class TensorConfig:
    """One tensor_quantize entry: input `input_index` of node `layer`, calibrated by `activation`."""

    __slots__ = ("layer", "input_index", "source", "activation", "activation_source", "layer_type")

    def __init__(self, layer: str, input_index: int, source: Source, activation: IFMR,
                 activation_source: Source, layer_type: str | None = None) -> None:
        self.layer = layer
        self.input_index = input_index
        self.source = source  # the tensor_quantize entry
        self.activation = activation
        self.activation_source = activation_source  # where the algorithm choice comes from
        self.layer_type = layer_type  # None: no such node in the model (or no model)


class LayerConfig:
    """What one layer gets. `sources` says where each of weights, activation, weight_compress_only,
    bn_fusion, dmq_balancer and auto_nuq come from (`lc.source("weights")`)."""

    __slots__ = ("name", "type", "status", "reason", "unsupported", "block", "weights", "activation",
                 "weight_compress_only", "dmq_balancer", "bn_fusion", "auto_nuq", "inputs", "sources")

    def __init__(self, name: str, type: str, status: LayerStatus, reason: Source | None = None,
                 block: Source | None = None) -> None:
        self.name = name
        self.type = type
        self.status = status
        self.reason = reason  # skipped: the skip entry; unsupported: why, in its detail
        # the reason code of an unsupported layer (model.index.UnsupportedCode); reason.detail: the text
        self.unsupported: Any = None
        self.block = block  # the block that configures it (override entry, common_config, ...)
        self.weights: Algorithm | None = None  # ARQ / NUQ / ADA, or ARQDistill / ULQDistill
        self.activation: Algorithm | None = None  # IFMR / HFMG, or ULQ; None: activations stay float
        self.weight_compress_only = False
        self.dmq_balancer: DMQBalancer | None = None
        self.bn_fusion: bool | None = None  # None: no BatchNormalization to fold into this layer
        self.auto_nuq = False  # enable_auto_nuq may turn its weights to NUQ (executor.md §5)
        self.inputs: list[TensorConfig] = []  # tensor_quantize entries on its inputs
        self.sources: dict[str, Source] = {}

    def __repr__(self) -> str:
        return (f"LayerConfig({self.name!r}, {self.type!r}, {self.status.value}, weights={self.weights!r}, "
                f"activation={self.activation!r})")

    def source(self, name: str) -> Source:
        return self.sources.get(name, DEFAULT)

    @property
    def quantized(self) -> bool:
        return self.status is LayerStatus.QUANTIZED

    @property
    def quant_enable(self) -> bool:
        """AMCT's per-layer `quant_enable`: quantized, not skipped."""
        return self.status is LayerStatus.QUANTIZED

    @property
    def dst_type(self) -> IntEnum | None:
        """The integer type of its activations (calibration) or of the layer (distillation)."""
        for part in (self.activation, self.weights):
            value = getattr(part, "dst_type", None)
            if value is not None:
                return value  # type: ignore[no-any-return]
        return None


class NuqConfig(NamedTuple):
    """calibration-onnx nuq_config: the mapping file and its NUQ parameters."""

    mapping_file: str | None
    nuq_quantize: NUQ | None
    source: Source


class DistillGroup(NamedTuple):
    start_layer_name: str
    end_layer_name: str
    source: Source


class CalibrationSettings(Configured):
    """The top-level settings of a calibration config (sources per field, as for algorithms)."""

    activation_offset: bool = True
    joint_quant: bool = False
    do_fusion: bool = True
    skip_fusion_layers: tuple[str, ...] = ()
    enable_auto_nuq: bool = False  # calibration only
    batch_num: int = 1  # calibration-onnx only
    version: int | None = None  # calibration only
    fakequant_precision_mode: FakequantPrecisionMode | None = None  # calibration-onnx only
    nuq_config: NuqConfig | None = None  # calibration-onnx only


class DistillSettings(Configured):
    batch_num: int = 1
    group_size: int = 1
    data_dump: bool = False
    distill_groups: tuple[DistillGroup, ...] = ()


class EffectiveConfig:
    """Every layer's config under one document (and model). `layers` is in graph order."""

    __slots__ = ("dialect", "layers", "tensors", "settings", "notes")

    def __init__(self, dialect: str, layers: dict[str, LayerConfig], tensors: list[TensorConfig],
                 settings: CalibrationSettings | DistillSettings | None,
                 notes: list[str] | None = None) -> None:
        self.dialect = dialect
        self.layers = layers
        self.tensors = tensors
        self.settings = settings
        self.notes = notes if notes is not None else []

    def layer(self, name: str) -> LayerConfig | None:
        return self.layers.get(name)

    def quantized(self) -> list[LayerConfig]:
        return [lc for lc in self.layers.values() if lc.status is LayerStatus.QUANTIZED]
