"""The code location loads without the heavy libraries only some steps use.

Every process that loads it pays its imports: each step's subprocess (Dagster's default executor
runs one per step), every ``hubscope`` command, the webserver, Celery workers. torch alone took 1.5
of the 6.0 s the imports took before they moved into the functions that use them
(docs/architecture.md), and the suite ran 1.8x longer.
"""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("torch", "transformers", "openai", "matplotlib", "scikit_posthocs")


def test_loading_the_code_location_imports_none_of_the_heavy_libraries():
    probe = ("import sys, orchestration.definitions as d; d.defs.resolve_asset_graph(); "
             f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "", f"loading the code location imported {out.strip()}"
