"""The process the kill harness (harness.py) kills. Runnable by hand too:

    python tests/reliability/kill_child.py DATA_DIR SEED [--large] [--wait-go]

It opens DATA_DIR/warroom.db the way the app does, prints `READY {json}`, then performs a
seeded random mix of user actions through IncidentService, forever, as user "kill-child".
Around every call it prints one line and flushes it:

    INTENT {json}   before the call: what it is about to do and what it expects afterwards
    ACK {json}      after the call returned, i.e. after its transaction committed
    REFUSED {json}  the service refused the action (nothing was written)

Every action writes a unique token such as `[k17.42]` (seed 17, action 42) into the text it
creates (note text, update summary, severity or status reason, new title, person's name,
impact, draft), so the parent can find each acknowledged action in the file. Acknowledging
and deleting an incident carry no token: they are found by `acknowledged_at` being set and
by the incident being gone.

JSON fields: seq, op, id (incident; null in a declare's INTENT), token, marks ([kind, token]
pairs the action writes into timeline text), n_events (timeline rows it adds), events (the
incident's timeline rows after it, as this process counts them), after (the incident's
fields that the parent compares, see `incident_fields`; null once deleted).

--large makes most writes big: 999,000-character notes, 500,000-character impacts.
--lie is the harness's self-test: it prints each ACK before the call instead of after it,
as a service that acknowledged before committing would; the harness must then find losses.
--wait-go imports everything, then waits for a line `GO` on stdin before opening the file,
so the parent can overlap this process's start-up with its checks of the previous one.

Only the standard library is imported at module level: harness.py imports the helpers below.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path
from typing import Any

from warroom.bootstrap import incident_service

ACTOR = "kill-child"
DB_FILENAME = "warroom.db"  # warroom.system.paths.DB_FILENAME; the harness checks they agree
TOKEN_RE = re.compile(r"\[k\d+\.\d+\]")
LARGE_NOTE_CHARS = 999_000  # the service accepts up to 1,000,000 (core/validation.MAX_TEXT)
LARGE_IMPACT_CHARS = 500_000
ROLES = ("commander", "tech_lead", "comms_lead", "scribe")
DRAFT_FIELDS = ("note", "note_sensitive", "impact")  # warroom.services.incidents.DRAFT_FIELDS
STATUSES = ("triage", "active", "mitigated", "resolved", "postmortem", "closed")
SEVERITIES = ("P0", "P1", "P2", "P3")

# Relative weights of the actions.
MIXED = {
    "declare": 8,
    "note": 30,
    "update": 12,
    "severity": 10,
    "role": 12,
    "status": 10,
    "title": 8,
    "impact": 4,
    "acknowledge": 6,
    "draft": 8,
    "delete": 2,
}
LARGE = {
    "declare": 20,
    "note": 45,
    "impact": 15,
    "update": 5,
    "severity": 5,
    "status": 5,
    "role": 5,
    "draft": 10,
    "delete": 2,
}


def token(seed: int, n: int) -> str:
    return f"[k{seed}.{n}]"


def first_token(text: str) -> str:
    """The first token in `text`, or ''. Timeline texts name the new value before the old one,
    so the first token in an event's text is the one its action wrote."""
    match = TOKEN_RE.search(text)
    return match.group(0) if match else ""


def incident_fields(incident: Any, drafts: dict[str, str]) -> dict[str, Any]:
    """What the parent checks of one incident; `incident` is a warroom.domain Incident,
    `drafts` the tokens of its drafts by field."""
    return {
        "title": incident.title,
        "severity": incident.severity.value,
        "status": incident.status.value,
        **{role: incident.roles.get(role, "") for role in ROLES},
        "acknowledged": incident.acknowledged_at is not None,
        "updated": incident.last_update_at is not None,
        "impact": first_token(incident.impact[:64]),
        **{f"draft_{name}": drafts.get(name, "") for name in DRAFT_FIELDS},
    }


def emit(tag: str, payload: Any) -> None:
    # One write of one whole line, flushed at once: a line is in the pipe before the next
    # action starts, and a kill never leaves half a line behind (PIPE_BUF is 4 KiB).
    sys.stdout.write(f"{tag} {json.dumps(payload, separators=(',', ':'))}\n")
    sys.stdout.flush()


class Driver:
    def __init__(
        self,
        service: Any,
        seed: int,
        large: bool,
        counts: dict[int, int],
        drafts: dict[int, dict[str, str]],
        lie: bool = False,
    ) -> None:
        self.service = service
        self.seed = seed
        self.large = large
        self.lie = lie
        self.weights = LARGE if large else MIXED
        self.rng = random.Random(seed)
        self.n = 0
        self.state = {
            i.id: incident_fields(i, drafts.get(i.id, {})) for i in service.list_incidents(True)
        }
        self.events = {i: counts.get(i, 0) for i in self.state}

    def _pad(self, tok: str, size: int, words: str) -> str:
        text = f"{tok} {words}"
        if self.large:
            filler = f" {tok} padding"
            text += filler * ((size - len(text)) // len(filler))
        return text

    def _choose(self) -> tuple[str, int | None]:
        editable = [i for i, f in self.state.items() if f["status"] != "closed"]
        ops = list(self.weights)
        while True:
            op = self.rng.choices(ops, [self.weights[o] for o in ops])[0]
            if op == "declare":
                return op, None
            if op in ("status", "delete") and self.state:
                return op, self.rng.choice(list(self.state))
            if op == "acknowledge":
                pending = [i for i in editable if not self.state[i]["acknowledged"]]
                if pending:
                    return op, self.rng.choice(pending)
                continue
            if editable:
                return op, self.rng.choice(editable)
            return "declare", None

    def step(self) -> None:
        from warroom.services.incidents import ValidationError

        seq = self.n
        self.n += 1
        tok = token(self.seed, seq)
        op, incident_id = self._choose()
        before = self.state.get(incident_id, {}) if incident_id is not None else {}
        after = dict(before)
        marks: list[tuple[str, str]] = []
        service = self.service
        rng = self.rng

        if op == "declare":
            severity = rng.choice(SEVERITIES)
            commander = f"IC {tok}" if rng.random() < 0.5 else ""
            title = f"Kill drill {tok}"
            impact = self._pad(tok, LARGE_IMPACT_CHARS, "impact")
            after = {
                "title": title,
                "severity": severity,
                "status": "triage",
                **dict.fromkeys(ROLES, ""),
                "commander": commander,
                "acknowledged": False,
                "updated": False,
                "impact": tok,
                **{f"draft_{name}": "" for name in DRAFT_FIELDS},
            }
            marks = [("declared", tok)] + ([("role_assigned", tok)] if commander else [])

            def call() -> Any:
                return service.declare(title, severity, impact=impact, commander=commander)

        elif op == "note":
            text = self._pad(tok, LARGE_NOTE_CHARS, f"note {self.seed}-{seq}")
            after["draft_note"] = ""  # adding the note clears its draft
            after["draft_note_sensitive"] = ""  # and its sensitive mark
            marks = [("note", tok)]

            def call() -> Any:
                return service.add_note(incident_id, text)

        elif op == "update":
            after["updated"] = True
            marks = [("update_sent", tok)]

            def call() -> Any:
                return service.mark_update_sent(incident_id, tok)

        elif op == "severity":
            level = rng.choice([s for s in SEVERITIES if s != before["severity"]])
            after["severity"] = level
            marks = [("severity_changed", tok)]

            def call() -> Any:
                return service.change_severity(incident_id, level, reason=tok)

        elif op == "role":
            role = rng.choice(ROLES)
            person = f"Person {tok}"
            after[role] = person
            marks = [("role_assigned", tok)]

            def call() -> Any:
                return service.assign_role(incident_id, role, person)

        elif op == "status":
            # Closing a P0 or P1 needs its post-mortem published: the script does not ask.
            needs_postmortem = before["severity"] in ("P0", "P1")
            status = rng.choice(
                [
                    s
                    for s in STATUSES
                    if s != before["status"] and not (s == "closed" and needs_postmortem)
                ]
            )
            after["status"] = status
            marks = [("status_changed", tok)]

            def call() -> Any:
                return service.set_status(incident_id, status, reason=tok)

        elif op == "title":
            title = f"Kill drill {tok}"
            after["title"] = title
            marks = [("field_edited", tok)]

            def call() -> Any:
                return service.edit_title(incident_id, title)

        elif op == "impact":
            impact = self._pad(tok, LARGE_IMPACT_CHARS, "impact")
            after["impact"] = tok
            after["draft_impact"] = ""
            marks = [("field_edited", tok)]

            def call() -> Any:
                return service.edit_impact(incident_id, impact)

        elif op == "acknowledge":
            after["acknowledged"] = True
            after["commander"] = before["commander"] or ACTOR

            def call() -> Any:
                return service.acknowledge(incident_id)

        elif op == "draft":
            name = rng.choice(DRAFT_FIELDS)
            draft = self._pad(tok, LARGE_NOTE_CHARS, f"draft {name}")
            after[f"draft_{name}"] = tok  # not a timeline event: found in the `draft` table

            def call() -> Any:
                return service.save_draft(incident_id, name, draft)

        elif op == "delete":
            after = None

            def call() -> Any:
                return service.delete_incident(incident_id)

        else:  # pragma: no cover - the weights name only the ops above
            raise AssertionError(op)

        n_events = {"acknowledge": 1, "draft": 0, "delete": 0}.get(op, len(marks))
        record: dict[str, Any] = {
            "seq": seq,
            "op": op,
            "id": incident_id,
            "token": tok,
            "marks": marks,
            "n_events": n_events,
            "after": after,
        }
        emit("INTENT", record)
        lie = self.lie and op != "declare"  # a declare's id is only known afterwards
        if lie:  # the harness's self-test: a promise made before the commit
            gone = op == "delete"
            early = self.events.get(incident_id, 0) + n_events
            emit("ACK", {**record, "events": 0 if gone else early})
        try:
            result = call()
        except ValidationError as exc:
            emit("REFUSED", {"seq": seq, "op": op, "id": incident_id, "error": str(exc)})
            return
        if op == "delete":
            del self.state[incident_id]
            self.events.pop(incident_id, None)
            record["events"] = 0
        else:
            if op not in ("note", "draft"):  # these two do not return the incident
                incident_id = result.id
                record["id"] = incident_id
                drafts = {name: after[f"draft_{name}"] for name in DRAFT_FIELDS}
                record["after"] = incident_fields(result, drafts)
            self.state[incident_id] = record["after"]
            self.events[incident_id] = self.events.get(incident_id, 0) + n_events
            record["events"] = self.events[incident_id]
        if not lie:
            emit("ACK", record)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("seed", type=int)
    parser.add_argument("--large", action="store_true", help="big notes and impacts")
    parser.add_argument("--wait-go", action="store_true", help="wait for GO on stdin to start")
    parser.add_argument("--actions", type=int, default=0, help="stop after N (0: never)")
    parser.add_argument(
        "--lie", action="store_true", help="self-test: print ACK before the call, not after"
    )
    args = parser.parse_args(argv)

    from sqlalchemy import text

    from warroom.adapters.sql.sqlite.database import open_database
    from warroom.domain.clock import SystemClock

    if args.wait_go and sys.stdin.readline().strip() != "GO":
        return 0  # the parent closed stdin: this spare child is not needed
    database = open_database(args.data_dir / DB_FILENAME)
    drafts: dict[int, dict[str, str]] = {}
    with database.engine.connect() as conn:
        counts = dict(
            conn.execute(
                text("SELECT incident_id, COUNT(*) FROM timeline_event GROUP BY incident_id")
            ).all()
        )
        for incident_id, name, start in conn.execute(
            text("SELECT incident_id, field, substr(text, 1, 64) FROM draft")
        ):
            drafts.setdefault(incident_id, {})[name] = first_token(start)
    service = incident_service(database, SystemClock(), actor=ACTOR)
    driver = Driver(service, args.seed, args.large, counts, drafts, args.lie)
    emit("READY", {"incidents": len(driver.state), "events": sum(driver.events.values())})
    while not args.actions or driver.n < args.actions:
        driver.step()
    database.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
