"""SCH: the file against its dialect's schema. Checked by the binder (document.py) and dialect
detection (schema/detect.py); only the documentation lives here."""

from ..diagnostics import Severity
from .catalog import declare

E, W = Severity.ERROR, Severity.WARNING

declare("SCH000", "too-many-schema-problems", E, """
    More schema problems than are worth showing.

    ## What it does
    Stops listing problems found against the schema after 100 in one file.

    ## Why is this bad?
    So many problems usually mean the file is checked against the wrong dialect.

    ## Example
    A distillation config checked with `--dialect calibration`.

    ## Use instead
    Name the dialect with a first line `# proto-message: AMCTDistillConfig`, or pass `--dialect`.
    """)

declare("SCH001", "unknown-field", E, """
    A field the message does not have.

    ## What it does
    Reports field names that the schema of the enclosing message does not define, with a
    "did you mean" from edit distance and a table of common confusions (`fmr_quantize` →
    `ifmr_quantize`), or the dialect the field belongs to (`batch_num` in an ATC config).

    ## Why is this bad?
    AMCT stops with `Message type "..." has no field named "..."`, without saying which block.

    ## Example
    ```
    common_config { fmr_quantize { search_step: 0.01 } }
    ```

    ## Use instead
    ```
    common_config { ifmr_quantize { search_step: 0.01 } }
    ```
    """)

declare("SCH002", "wrong-value-kind", E, """
    A value of the wrong kind for the field's type.

    ## What it does
    Reports a string for a bool or number, a fraction for an integer, a block for a scalar
    field (or a scalar for a message field), and a list on a field that is not repeated.

    ## Why is this bad?
    AMCT's parser rejects it.

    ## Example
    ```
    activation_offset: "true"
    ```

    ## Use instead
    ```
    activation_offset: true
    ```
    """)

declare("SCH003", "value-out-of-range", E, """
    An integer outside its type's range, a sign on an unsigned field, or hex/octal for a float.

    ## What it does
    Checks int32/uint32/int64/uint64 ranges, minus signs on unsigned fields and integer-only
    notations (`0x10`, `017`) on float fields.

    ## Why is this bad?
    AMCT's parser rejects the value.

    ## Example
    ```
    batch_num: -1
    ```

    ## Use instead
    ```
    batch_num: 1
    ```
    """)

declare("SCH004", "unknown-enum-value", E, """
    A name or number that is not a value of the field's enum.

    ## What it does
    Reports enum values that do not exist, listing the valid names (with "did you mean", so
    `int8` suggests `INT8`).

    ## Why is this bad?
    AMCT's parser rejects it.

    ## Example
    ```
    dst_type: int8
    ```

    ## Use instead
    ```
    dst_type: INT8
    ```
    """)

declare("SCH005", "missing-required-field", E, """
    A required field is missing.

    ## What it does
    Reports blocks that lack a field the schema marks `required` (`layer_name` of an override,
    `calibration_config` of an override, `clip_max`/`clip_min`, ...).

    ## Why is this bad?
    AMCT loads the file without noticing (text_format.Merge does not check required fields); the
    field reads as "" or 0 and the run fails later, far from the cause. AMCT PyTorch copes silently
    in two cases, which stay errors here on purpose (a deliberate difference from AMCT's verdict):
    an override without `calibration_config` gives its layers the built-in defaults, not
    common_config's values; an override without `layer_name` names "", the model itself, and is
    dropped. Either way the entry does not do what it was written for. The message says what AMCT
    does.

    ## Example
    ```
    override_layer_configs { calibration_config { arq_quantize {} } }
    ```

    ## Use instead
    ```
    override_layer_configs { layer_name: "conv1" calibration_config { arq_quantize {} } }
    ```
    """)

declare("SCH006", "duplicate-field", W, """
    A singular field given more than once in one block.

    ## What it does
    Reports the second and later occurrences, pointing at the first.

    ## Why is this bad?
    AMCT keeps the last value silently (blocks given twice are merged field by field), so one of
    the two lines has no effect, which is rarely what the author meant.

    ## Example
    ```
    batch_num: 2
    batch_num: 4
    ```

    ## Use instead
    ```
    batch_num: 4
    ```
    """)

declare("SCH007", "oneof-conflict", W, """
    Two members of one oneof in the same block.

    ## What it does
    Reports blocks that set, for example, both `arq_quantize` and `nuq_quantize` (one weight
    algorithm only).

    ## Why is this bad?
    AMCT keeps only the last one given, silently.

    ## Example
    ```
    calibration_config { arq_quantize {} nuq_quantize { num_steps: 16 } }
    ```

    ## Use instead
    ```
    calibration_config { nuq_quantize { num_steps: 16 } }
    ```
    """)

declare("SCH008", "invalid-utf8", E, """
    A string that is not valid UTF-8 once its escapes are decoded.

    ## What it does
    Reports strings such as `"\\xff"` given to a string field.

    ## Why is this bad?
    AMCT's parser rejects them.

    ## Example
    ```
    layer_name: "conv\\xff"
    ```

    ## Use instead
    ```
    layer_name: "conv"
    ```
    """)

declare("SCH009", "unknown-dialect", W, """
    The dialect of the file could not be determined, or its header names no known message.

    ## What it does
    Warns when a `# proto-message:` / `# amct-dialect:` header names something unknown, or when
    no dialect has all of the file's top-level fields (it is then checked as the dialect that
    knows most of them).

    ## Why is this bad?
    Checking against the wrong schema reports the wrong errors.

    ## Example
    ```
    # proto-message: AMCTConfigg
    ```

    ## Use instead
    ```
    # proto-message: AMCTDistillConfig
    ```
    Or pass `--dialect distill`.
    """)
