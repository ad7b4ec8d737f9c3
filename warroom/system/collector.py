"""Building tens of thousands of objects at once (a long timeline read and rendered) makes
Python's cyclic garbage collector run over and over, each full pass walking every object the
process holds: about a third of a large export's time. Those objects hold no cycles, so
pausing the collector while they are built frees nothing late; it runs again afterwards."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused(freeze: bool = False) -> Iterator[None]:
    """The block runs with the cyclic collector off. When it is off already (a pause around
    this one, or a GUI that collects on its own thread) it is left off: only the outermost
    pause turns it back on. `freeze`: what the block built lives as long as the process (a
    window going live), so it is moved out of the collector's sight (gc.freeze) before the
    collector runs again, whoever runs it."""
    paused_here = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if paused_here:
            gc.enable()
