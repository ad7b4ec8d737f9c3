"""`warroom watch`: every change as it is committed, read from the change log, so what the
GUI, other CLI calls and other laptops on the same file change all shows.

It waits on the file's change counter (one cheap read every POLL_SECONDS), never in a busy
loop. Ctrl+C and SIGTERM end it with exit 0, after what it printed was flushed."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from warroom.domain.changes import Part
from warroom.domain.safe_text import json_safe, visible_line
from warroom.services.incidents import IncidentNotFound, IncidentService
from warroom.services.ports import LoggedChange, StorageUnavailable

POLL_SECONDS = 0.5
EXIT_OK = 0


class _Stop:
    """Asked for by SIGTERM's handler. A plain attribute, not a threading.Event: the handler
    runs between two bytecodes of the loop it interrupts, and an Event's lock taken there
    deadlocks when the loop was holding it (inside Event.wait)."""

    requested = False


def run_watch(args: argparse.Namespace, service: IncidentService) -> int:
    seq = service.newest_logged() if args.since is None else args.since
    stop = _Stop()
    try:
        with _stopped_by_sigterm(stop):
            lost: str | None = None
            while True:
                try:
                    entries = service.logged_after(seq)
                except StorageUnavailable as exc:  # a shared room's server went away
                    if lost is None:
                        print(f"warroom: {exc.message} Waiting for it…", file=sys.stderr)
                    lost, entries = exc.message, []
                else:
                    if lost is not None:  # back: what was missed follows, from the log
                        print("warroom: the war room is back.", file=sys.stderr)
                        lost = None
                for entry in entries:
                    seq = max(seq, entry.seq)
                    _print_entry(entry, service, as_json=args.json)
                sys.stdout.flush()
                if args.once or stop.requested:
                    break
                time.sleep(POLL_SECONDS)  # a signal's handler runs at once; the sleep goes on
                if stop.requested:
                    break
    except KeyboardInterrupt:  # Ctrl+C: a normal way to stop watching
        pass
    sys.stdout.flush()
    return EXIT_OK


@contextmanager
def _stopped_by_sigterm(stop: _Stop) -> Iterator[None]:
    """SIGTERM asks `stop` while watching (the loop ends within POLL_SECONDS); the previous
    handler comes back afterwards. Only the main thread can take signals."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def ask(_signum: int, _frame: object) -> None:
        stop.requested = True

    previous = signal.signal(signal.SIGTERM, ask)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def entry_json(entry: LoggedChange, service: IncidentService) -> dict[str, Any]:
    """One line of `watch --json`: the entry, then the incident as it is now (or deleted)."""
    shown: dict[str, Any] = {
        "seq": entry.seq,
        "incident": entry.incident_id,
        "parts": sorted(str(p) for p in entry.parts),
        "at": entry.at.isoformat(),
    }
    if Part.DELETED in entry.parts:
        shown["deleted"] = True
        return shown
    try:
        incident = service.get(entry.incident_id)
    except IncidentNotFound:  # deleted since: a later entry says so
        shown["deleted"] = True
        return shown
    shown["title"] = incident.title
    shown["severity"] = incident.severity.value
    shown["status"] = incident.status.value
    return shown


def _print_entry(entry: LoggedChange, service: IncidentService, *, as_json: bool) -> None:
    shown = entry_json(entry, service)
    if as_json:
        print(json_safe(json.dumps(shown, ensure_ascii=False)))
        return
    parts = ", ".join(shown["parts"])
    when = f"{entry.at:%Y-%m-%d %H:%M:%S}Z"
    if shown.get("deleted"):
        state = "deleted"
    else:
        title = visible_line(shown["title"])
        state = f"{shown['severity']} {shown['status']} “{title}”"
    print(f"{when}  #{entry.incident_id}  {parts}  {state}")
