"""How each urlcheck process sets up Python's garbage collector: `tune`, called first thing
by the command line and by every worker process it starts (nothing else changes its
thresholds, and importing urlcheck as a library leaves it alone; `shards.prefork` freezes
what the parent made before it forks).

The youngest generation is collected after 10,000 new objects instead of 700. A run makes
a few objects per link or URL and hands them between threads and processes, so at 700
many are still in flight when a collection comes and live on into the older generations,
whose growth then sets off full collections: 4 of 30-90 ms each in the parent of a run over
10,000 documents, 0.6 s of its CPU, and as long a pause for its event loop. At 10,000 most
of them are gone by then: no full collection, 0.2 s in all (measured with ``gc.callbacks``
on the documents benchmark's tree). Cycles are still collected, a little later.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000
"""New objects between two collections of the youngest generation (Python's default: 700)."""


def tune() -> None:
    """Collect the youngest generation every `YOUNG_THRESHOLD` new objects (the older ones
    keep Python's defaults)."""
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
