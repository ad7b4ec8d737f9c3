"""The cyclic garbage collector in a one-shot command's own process.

Starting a command builds a large heap that lives until exit: SQLAlchemy, pydantic, the
mapped tables, the services. Collections while it is built find almost nothing to free, and
the interpreter's collections at exit walk all of it again: together about a third of what
a write from an alert hook costs beyond importing SQLModel. So while the stack is imported
and the record opened, the collector waits; what was built is then moved out of its sight
(`gc.freeze`) and it runs as usual for the command's own work. At exit the garbage of that
work is collected (a connection left in a cycle is closed, as before) and the rest frozen, so
the interpreter's own collections at exit have nothing left to walk.

Only for the program's own process (`hold`): a test calling `main(argv)` in-process keeps
its collector as it was.
"""

from __future__ import annotations

import atexit
import gc

_held = False
_resumed = False


def hold() -> None:
    """No collections until `resume`; the heap frozen at exit."""
    global _held
    if _held or not gc.isenabled():
        return
    _held = True
    gc.disable()
    atexit.register(_at_exit)


def resume() -> None:
    """The start-up heap out of the collector's sight, and collections back on. Nothing
    when `hold` was not called (or `resume` was already)."""
    global _held, _resumed
    if not _held:
        return
    _held, _resumed = False, True
    gc.freeze()
    gc.enable()


def _at_exit() -> None:
    if _resumed:  # only the command's own objects are in sight: a short walk
        gc.collect()
    gc.freeze()
