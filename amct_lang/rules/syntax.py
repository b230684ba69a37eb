"""SYN: syntax errors. Found by the parser (syntax/parser.py) and the binder (malformed tokens)."""

from ..diagnostics import Severity
from .catalog import declare

E = Severity.ERROR

declare("SYN000", "too-many-errors", E, """
    More syntax errors than are worth showing.

    ## What it does
    Stops listing syntax errors after 100 in one file, and stops reading a file that needs
    thousands of repairs (the rest of it is not checked).

    ## Why is this bad?
    After that many errors the file is most likely not a text-format config at all.

    ## Example
    A binary file or a JSON document checked by mistake.

    ## Use instead
    Check that the right file was given.
    """)

declare("SYN001", "unexpected-token", E, """
    A token where the text format does not allow it.

    ## What it does
    Reports each place where the parser found something other than what the grammar allows,
    naming what was expected ("expected ':' or '{' after field name"). The parser then repairs
    the input (inserting or skipping a token) and goes on, so every mistake of a file is reported
    in one pass.

    ## Why is this bad?
    AMCT loads the file with protobuf's text_format and stops at the first such error.

    ## Example
    ```
    search_step 0.01
    ```

    ## Use instead
    ```
    search_step: 0.01
    ```
    """)

declare("SYN002", "invalid-character", E, """
    A character that cannot start any token.

    ## What it does
    Reports characters such as `@`, `=` or a byte order mark that are not part of the syntax.

    ## Why is this bad?
    AMCT's parser rejects the file at that character.

    ## Example
    ```
    batch_num = 2
    ```

    ## Use instead
    ```
    batch_num: 2
    ```
    """)

declare("SYN003", "unterminated-string", E, """
    A string literal without its closing quote.

    ## What it does
    Reports a `"` or `'` whose matching quote is missing on the same line.

    ## Why is this bad?
    Strings cannot span lines in the text format; AMCT rejects the file.

    ## Example
    ```
    skip_layers: "conv1
    ```

    ## Use instead
    ```
    skip_layers: "conv1"
    ```
    """)

declare("SYN004", "malformed-number", E, """
    A number that no numeric type accepts.

    ## What it does
    Reports number tokens such as `10bar`, `1.2.3` or a sign separated from its number (`- 1`).

    ## Why is this bad?
    AMCT's parser reads such a token as one word and cannot convert it.

    ## Example
    ```
    search_range_end: 1.3x
    ```

    ## Use instead
    ```
    search_range_end: 1.3
    ```
    """)

declare("SYN005", "unbalanced-brackets", E, """
    A `{`, `<` or `[` without its closing bracket, or a closing bracket with none open.

    ## What it does
    Reports the missing closer at the end of the file (naming the line of the opener), or the
    stray closer where it stands.

    ## Why is this bad?
    AMCT rejects the file; a stray `}` usually means a block was closed twice.

    ## Example
    ```
    common_config {
        arq_quantize { channel_wise: true }
    }
    }
    ```

    ## Use instead
    ```
    common_config {
        arq_quantize { channel_wise: true }
    }
    ```
    """)

declare("SYN006", "invalid-escape", E, """
    A string escape sequence that protobuf cannot decode.

    ## What it does
    Reports escapes such as a truncated `\\x` or `\\u12` in a string literal. Escapes follow
    Python protobuf (what AMCT runs): `\\n \\t \\\\ \\' \\" \\xHH \\NNN \\uHHHH \\UHHHHHHHH`.

    ## Why is this bad?
    AMCT's parser rejects the string.

    ## Example
    ```
    layer_name: "conv\\u12"
    ```

    ## Use instead
    ```
    layer_name: "conv\\u0012"
    ```
    """)

declare("SYN007", "non-utf8-bytes", E, """
    Bytes that are not valid UTF-8.

    ## What it does
    Reports each run of bytes that cannot be decoded as UTF-8, wherever it is: in a value, a
    string or a comment. Such bytes usually come from a file saved in a legacy encoding (GBK,
    Latin-1) by an editor.

    ## Why is this bad?
    AMCT reads its config files as UTF-8 text and fails on the whole file before it parses it.

    ## Example
    A comment `# 量化配置` saved in GBK encoding.

    ## Use instead
    Save the file as UTF-8 (in most editors: "Save with encoding" or the encoding in the status
    bar).
    """)

declare("SYN008", "not-an-amct-config", Severity.INFO, """
    A file that is plainly something else: a Python script, an INI or JSON file.

    ## What it does
    Notes, once, that a file is not checked because none of its top-level names is a field of
    any AMCT dialect and its lines have the shape of another language (`import`, `[section]`,
    `name = value`, a shebang). Nothing else is reported for it.

    ## Why is this bad?
    Editors claim `.cfg` files by name (`*calibration*.cfg`), so ROS' `camera_calibration.cfg`
    (Python) or a simulator's INI settings would otherwise get dozens of syntax errors.

    ## Example
    ```
    [simulation]
    shots = 1000
    ```

    ## Use instead
    Give the file another language in the editor; or, if it is meant as an AMCT config, start it
    with `# amct-dialect: calibration` (or the dialect it is for) to have it checked.
    """)
