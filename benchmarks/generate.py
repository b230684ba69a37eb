"""Generated benchmark inputs: a calibration config with N override_layer_configs blocks."""

from __future__ import annotations

BLOCK = """override_layer_configs {{
  layer_name: "layer_{i}"
  calibration_config {{
    arq_quantize {{
      channel_wise: true
    }}
    ifmr_quantize {{
      search_range_start: 0.7
      search_range_end: 1.3
      max_percentile: 0.999999
      min_percentile: 0.999999
    }}
  }}
}}
"""


def big_config(blocks: int = 2000) -> str:
    """14 lines a block: 2000 blocks make the 28k-line file of the benchmarks."""
    return "".join(BLOCK.format(i=i) for i in range(blocks))
