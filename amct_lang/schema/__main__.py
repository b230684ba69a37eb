"""python -m amct_lang.schema: recompile the .proto files into compiled.json."""

from . import write_compiled

write_compiled()
