"""While the model runs, and while a replication's indicators are computed, freed large blocks are reused rather than
unmapped and faulted in again; otherwise freed memory goes back to the system as
:func:`sim.experiment.memory.return_freed_memory` arranges (issue 14).

Measured in a fresh process, as the command line sets the allocator up: twenty 8 MiB arrays made and freed one
after another are faulted in afresh each time outside :func:`simulation_allocation` and
:func:`indicators_allocation` (40,980 faults with numpy's huge pages off, a fault a 4 KiB page), and about once
inside them (2,048).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

MEASURE = """
import json, resource
import numpy as np
from sim.experiment.memory import indicators_allocation, return_freed_memory, simulation_allocation

# numpy asks for transparent huge pages for large arrays: when the kernel has them, an 8 MiB array faults in a few
# 2 MiB pages and the counts below measure the kernel's stock of huge pages rather than the allocator (seen once in
# three runs on this machine: 100 faults outside against 10,320). Normal pages are what the allocator's reuse saves.
np._core.multiarray._set_madvise_hugepage(False)
return_freed_memory()

def faults():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):
        block = np.ones(2**20)  # 8 MiB
        del block
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

before = faults()
with simulation_allocation():
    during = faults()
after = faults()
with indicators_allocation():
    indicators = faults()
last = faults()
print(json.dumps({"before": before, "during": during, "after": after, "indicators": indicators, "last": last}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator and Linux's fault counts")
def test_the_simulation_and_the_indicators_reuse_freed_blocks_and_the_rest_returns_them() -> None:
    done = subprocess.run([sys.executable, "-c", MEASURE], cwd=ROOT, capture_output=True, text=True, check=True)
    faults = json.loads(done.stdout.strip().splitlines()[-1])
    assert faults["during"] * 5 < faults["before"]  # the pages of a freed array reused by the next one
    assert faults["after"] * 2 > faults["before"]  # as before: freed memory goes back to the system again
    assert faults["indicators"] * 5 < faults["before"]  # a replication's columns reuse pages while its indicators run
    assert faults["last"] * 2 > faults["before"]  # and go back to the system after
