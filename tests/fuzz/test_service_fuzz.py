"""Hypothesis drives the service layer with hostile input.

Text: any unicode (control characters, NUL bytes, lone surrogates, odd whitespace), 1 MB texts
and texts one character over the limit. Times: year 1 to year 9999, naive, and aware with any
UTC offset (fixed offsets up to ±23:59:59.999999 and IANA zones).

Every call either succeeds and round-trips exactly (read back through a new service on a newly
opened database of the same file), or raises a ValidationError that names a field and says
what is wrong; any other exception fails the test. A refused call stores nothing: the row
counts, the raw rows and what the service reads back are the same before and after.

WARROOM_FUZZ_EXAMPLES sets the examples per test (default 40, sized for the normal test run;
CI's long step runs 500);
WARROOM_FUZZ_REPORT names a file that receives the "fuzz cases run" figures (reporting.py).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import event as hypothesis_event
from hypothesis import strategies as st

from tests.fuzz.reporting import report_cases
from warroom.adapters.sql.sqlite.database import open_database
from warroom.bootstrap import incident_service
from warroom.domain import clocks
from warroom.domain.changes import ChangeSet, Part
from warroom.domain.clock import FakeClock
from warroom.domain.incident import EventKind, Incident, KeyTime, TimelineEvent
from warroom.domain.lifecycle import MoveRefused, Role, StageFacts, Status, move_stage
from warroom.domain.policy import Policy, parse_policy
from warroom.domain.severity import Severity
from warroom.domain.validation import (
    CLOCK_SKEW,
    FAR_BEFORE,
    MAX_TEXT,
    MAX_TITLE,
    NeedsConfirmation,
    limit_of,
)
from warroom.services.incidents import IncidentService, ValidationError
from warroom.system.paths import builtin_policy_file

# The fake clock's "now"; microseconds so that their round trip is checked too.
NOW = datetime(2026, 11, 22, 14, 0, 0, 123456, tzinfo=UTC)
ACTOR = "fuzzer"

EXAMPLES = int(os.environ.get("WARROOM_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # no example database (.hypothesis/examples) written into the repository
    # No "explain" phase: it reruns a failing case many times for a hint we do not need.
    phases=[Phase.explicit, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Examples actually run, per test; reported after the module as "fuzz cases run".
CASES: Counter[str] = Counter()


def _policy(zone: str) -> Policy:
    data = tomllib.loads(builtin_policy_file().read_text(encoding="utf-8"))
    data["working_hours"]["timezone"] = zone
    return parse_policy(data, f"built-in policy, working hours in {zone}")


# P3's business-day clocks convert times to the team's zone: one behind UTC, one far ahead.
POLICIES = {zone: _policy(zone) for zone in ("local", "America/New_York", "Pacific/Kiritimati")}


@pytest.fixture(scope="module", autouse=True)
def fuzz_report(request):
    yield
    report_cases(request, "service calls", CASES)


def count_case(name: str) -> None:
    CASES[name] += 1


# -- generated values ------------------------------------------------------------------------


@dataclass(frozen=True)
class Txt:
    """Generated text, printed as a short Python expression so 1 MB examples stay readable."""

    head: str
    fill: int = 0  # this many "x" between head and tail
    tail: str = ""

    @property
    def value(self) -> str:
        return self.head + "x" * self.fill + self.tail

    def __repr__(self) -> str:
        if not self.fill:
            return repr(self.head)
        return f"{self.head!r} + 'x' * {self.fill} + {self.tail!r}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


# Every code point: controls (Cc), format characters (Cf), unassigned, and surrogates (Cs),
# which st.characters() leaves out unless told otherwise.
ANY_CHAR = st.characters(exclude_categories=())
WHITESPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u3000"
ODD = WHITESPACE + "\x00\x01\x07\x1b\x7f\u200b\u200d\u202e\ufeff\ufffd\U0010ffff\u0301é中🚨"
SURROGATE = st.integers(0xD800, 0xDFFF).map(chr)
SHORT = st.text(st.one_of(ANY_CHAR, st.sampled_from(ODD)), max_size=30)
# Any character but NUL and lone surrogates: what can be typed or pasted.
PLAIN_SHORT = st.text(
    st.one_of(st.characters(exclude_characters="\x00"), st.sampled_from(ODD.replace("\x00", ""))),
    max_size=30,
)


def storable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates cannot be written to SQLite (or anywhere)
        return False
    return "\x00" not in text


def _big(parts: tuple[str, str, str]) -> Txt:
    head, tail, size = parts
    room = MAX_TEXT - len(head) - len(tail)
    fill = {"fits": room, "one over": room + 1, "1 MB": 1_000_000}[size]
    return Txt(head, fill, tail)


# Half the texts are ones a user could type (so most calls get past validation and are read
# back), half are hostile.
PLAIN_TEXT = st.one_of(
    PLAIN_SHORT.map(Txt), st.tuples(PLAIN_SHORT, PLAIN_SHORT, st.just("fits")).map(_big)
)
HOSTILE_TEXT = st.one_of(
    st.text(st.sampled_from(WHITESPACE)).map(Txt),
    st.tuples(SHORT, SHORT).map(lambda p: Txt(p[0] + "\x00" + p[1])),
    st.tuples(SHORT, SURROGATE, SHORT).map(lambda p: Txt("".join(p))),
    st.tuples(SHORT, SHORT, st.sampled_from(["fits", "one over", "1 MB"])).map(_big),
    st.sampled_from([Txt("", MAX_TEXT), Txt("", MAX_TEXT + 1), Txt(" ", MAX_TEXT, " ")]),
)
TEXT = st.sampled_from([PLAIN_TEXT, HOSTILE_TEXT]).flatmap(lambda strategy: strategy)
TITLES = st.sampled_from(
    [
        PLAIN_SHORT.filter(str.split).map(Txt),
        HOSTILE_TEXT,
        st.one_of(
            st.text(st.one_of(ANY_CHAR, st.sampled_from(ODD)), min_size=MAX_TITLE - 5).map(Txt),
            st.sampled_from(
                [Txt(" ", MAX_TITLE, "\n"), Txt("", MAX_TITLE + 1), Txt("a ", MAX_TITLE - 2)]
            ),
        ),
    ]
).flatmap(lambda strategy: strategy)

_DAY_US = 24 * 3600 * 10**6
ZONES: st.SearchStrategy[tzinfo] = st.one_of(
    st.sampled_from(
        [timedelta(0), timedelta(hours=14), -timedelta(hours=12), timedelta(hours=5, minutes=30)]
        + [timedelta(hours=23, minutes=59), -timedelta(hours=23, minutes=59)]
    ).map(timezone),
    st.integers(-(_DAY_US - 1), _DAY_US - 1).map(lambda us: timezone(timedelta(microseconds=us))),
    st.timezones(),
)
_NOW_NAIVE = NOW.replace(tzinfo=None)
_EDGES = [
    NOW,
    NOW - timedelta(microseconds=1),
    NOW + CLOCK_SKEW,
    NOW + CLOCK_SKEW + timedelta(microseconds=1),
]
TIMES = st.one_of(
    st.datetimes(),  # naive, year 1 to 9999
    st.datetimes(timezones=ZONES),  # aware, year 1 to 9999
    st.datetimes(  # aware, around now: mostly acceptable
        min_value=_NOW_NAIVE - timedelta(days=3),
        max_value=_NOW_NAIVE + timedelta(days=1),
        timezones=ZONES,
    ),
    st.tuples(st.sampled_from(_EDGES), ZONES).map(lambda p: p[0].astimezone(p[1])),
    st.tuples(st.sampled_from([datetime.min, datetime.max]), ZONES).map(
        lambda p: p[0].replace(tzinfo=p[1])
    ),
    st.sampled_from([datetime.min, datetime.max, datetime.min.replace(tzinfo=UTC)]),
)
# The first and last days a datetime can hold, in any zone.
EDGE_OF_TIME = st.one_of(
    st.datetimes(max_value=datetime(1, 1, 8), timezones=ZONES),
    st.datetimes(min_value=datetime(9999, 12, 24), timezones=ZONES),
)


# -- what a user may expect ------------------------------------------------------------------
# True: must be accepted; False: must be refused; None: either is right (only surrounding
# whitespace takes the text over the limit; a time before FAR_PAST).


def title_verdict(raw: str) -> bool:
    cleaned = " ".join(raw.split())
    return bool(cleaned) and len(cleaned) <= MAX_TITLE and storable(cleaned)


def text_verdict(raw: str, required: bool = False, field: str = "text") -> bool | None:
    """`field` picks the limit (warroom.domain.validation.LIMITS): 200 for a name, 10,000 for
    a reason or a summary, MAX_TEXT for a note or the impact."""
    most = limit_of(field).most
    if not storable(raw) or len(raw.strip()) > most or (required and not raw.strip()):
        return False
    return None if len(raw) > most else True


def as_utc(moment: datetime) -> datetime | None:
    """The moment in UTC, or None if it is naive or has no UTC equivalent (out of range)."""
    try:
        if moment.tzinfo is None or moment.utcoffset() is None:
            return None
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


# Before this, a time is surely a typo: refusing it is as good as storing it exactly (and the
# app may well set a floor: local-time conversions before 1970 fail on some platforms).
FAR_PAST = datetime(2000, 1, 1, tzinfo=UTC)


def time_verdict(moment: datetime | None, now: datetime = NOW) -> bool | None:
    if moment is None:
        return True
    utc = as_utc(moment)
    if utc is None or utc > now + CLOCK_SKEW:
        return False
    return None if utc < FAR_PAST else True


def far_before(moment: datetime | None, incident: Incident) -> bool:
    """More than a day before the incident's dates: stored only once confirmed."""
    utc = None if moment is None else as_utc(moment)
    earliest = min(incident.impact_started_at, incident.declared_at) - FAR_BEFORE
    return utc is not None and utc < earliest


def attempt(call: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, Any]:
    """(result, None) or (None, ValidationError). Any other exception fails the test."""
    try:
        return call(*args, **kwargs), None
    except ValidationError as error:
        assert isinstance(error.field, str) and error.field, error
        assert isinstance(error.message, str) and error.message.strip(), error
        assert str(error) == error.message
        return None, error


def judge(verdicts: dict[str, bool | None], error: ValidationError | None) -> None:
    bad = {name for name, verdict in verdicts.items() if verdict is False}
    doubtful = {name for name, verdict in verdicts.items() if verdict is None}
    if error is None:
        assert not bad, f"accepted unstorable or invalid input for {sorted(bad)}"
    else:
        assert bad | doubtful, f"refused good input: {error.field}: {error.message}"
        assert error.field in bad | doubtful, (error.field, error.message, sorted(bad))


def assert_utc(value: Incident | TimelineEvent) -> None:
    for name in (f.name for f in fields(value)):
        moment = getattr(value, name)
        if isinstance(moment, datetime):
            assert moment.utcoffset() == timedelta(0), (name, moment)


# -- the database ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    counts: tuple[int, int]
    incident_row: tuple[Any, ...] | None
    event_rows: list[tuple[Any, ...]]
    draft_rows: list[tuple[Any, ...]]
    incident: Incident | None
    timeline: list[TimelineEvent]
    drafts: dict[str, str]

    def changes_since(self, before: Snapshot) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name) != getattr(before, f.name)]


@dataclass(repr=False)
class Board:
    path: Path
    database: Any
    reader: Any  # a second database object on the file, for the before/after snapshots
    clock: FakeClock

    def __repr__(self) -> str:  # keeps Hypothesis's failing-case report short
        return f"<board {self.path}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def service(self, zone: str = "local") -> IncidentService:
        return incident_service(self.database, self.clock, actor=ACTOR, policy=POLICIES[zone])

    @contextlib.contextmanager
    def reread(self) -> Iterator[IncidentService]:
        """A new service on a newly opened database of the same file: only committed data."""
        database = open_database(self.path, now=NOW)
        try:
            yield incident_service(
                database, FakeClock(NOW), actor="reader", policy=POLICIES["local"]
            )
        finally:
            database.dispose()

    def _sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with contextlib.closing(sqlite3.connect(self.path)) as conn:
            return conn.execute(query, params).fetchall()

    def counts(self) -> tuple[int, int]:
        (row,) = self._sql(
            "SELECT (SELECT COUNT(*) FROM incident), (SELECT COUNT(*) FROM timeline_event)"
        )
        return row

    def snapshot(self, incident_id: int | None) -> Snapshot:
        if incident_id is None:
            return Snapshot(self.counts(), None, [], [], None, [], {})
        rows = self._sql("SELECT * FROM incident WHERE id = ?", incident_id)
        events = self._sql(
            "SELECT * FROM timeline_event WHERE incident_id = ? ORDER BY id", incident_id
        )
        drafts = self._sql("SELECT * FROM draft WHERE incident_id = ? ORDER BY field", incident_id)
        reader = incident_service(self.reader, FakeClock(NOW), actor="reader")
        return Snapshot(
            self.counts(),
            rows[0],
            events,
            drafts,
            reader.get(incident_id),
            reader.timeline(incident_id),
            reader.drafts(incident_id),
        )

    def fresh_incident(self, severity: str = "P2", zone: str = "local") -> Incident:
        return self.service(zone).declare(
            "Fuzz target", severity, impact="Checkout slow", commander="Bob Smith"
        )


@pytest.fixture
def board(tmp_path_factory):
    """One database per test function; each example works on incidents of its own."""
    path = tmp_path_factory.mktemp("fuzz") / "data" / "warroom.db"
    database = open_database(path, now=NOW)
    reader = open_database(path, now=NOW)
    try:
        yield Board(path, database, reader, FakeClock(NOW))
    finally:
        reader.dispose()
        database.dispose()


@dataclass
class Outcome:
    before: Snapshot
    result: Any
    error: ValidationError | None
    heard: list[EventKind]


def perform(
    board: Board,
    incident_id: int | None,
    verdicts: dict[str, bool | None] | None,
    call: Callable[..., Any],
    *args: Any,
    **kwargs: Any,
) -> Outcome:
    """Runs one call and checks (a) it returns or refuses clearly, (c) a refusal stores nothing."""
    service: IncidentService = call.__self__  # type: ignore[attr-defined]
    before = board.snapshot(incident_id)
    heard: list[ChangeSet] = []
    unsubscribe = service.subscribe(heard.append)
    try:
        result, error = attempt(call, *args, **kwargs)
    finally:
        unsubscribe()
    verdict = "accepted" if error is None else f"refused ({error.field})"
    hypothesis_event(f"{call.__name__}: {verdict}")
    if verdicts is not None:
        judge(verdicts, error)
    if error is not None:
        assert heard == [], "a refused call was announced"
        changed = board.snapshot(incident_id).changes_since(before)
        assert not changed, f"refused ({error.field}: {error.message}) but changed {changed}"
    return Outcome(before, result, error, heard)


def new_events(
    board: Board,
    outcome: Outcome,
    incident: Incident,
    drafts: dict[str, str] | None = None,
    moved: datetime | None = None,
) -> list[TimelineEvent]:
    """Reads back through a new service on a newly opened database: checks the incident (and
    its drafts, unchanged unless given) and returns the timeline events the call added.
    `moved`: a corrected key time, to which the events it dates may have moved."""
    with board.reread() as fresh:
        stored = fresh.get(incident.id)
        assert stored == incident
        assert fresh.drafts(incident.id) == (outcome.before.drafts if drafts is None else drafts)
        timeline = fresh.timeline(incident.id)
    assert_utc(stored)
    known = {event.id: event for event in outcome.before.timeline}
    for event in timeline:
        old = known.get(event.id)
        if old is not None and event != old:
            assert moved is not None and event.at == moved, (old, event)
            assert replace(event, at=old.at) == old
    added = [e for e in timeline if e.id not in known]
    for event in added:
        assert_utc(event)
        assert (event.recorded_at, event.actor, event.incident_id) == (NOW, ACTOR, incident.id)
    assert board.counts() == (outcome.before.counts[0], outcome.before.counts[1] + len(added))
    # One announcement per accepted call, naming the timeline when it gained rows.
    on_timeline = [c for c in outcome.heard if c.touches(incident.id, Part.TIMELINE)]
    assert len(on_timeline) == (1 if added else 0)
    return added


# -- declare ---------------------------------------------------------------------------------


def check_declare(
    board: Board,
    title: str,
    severity: Severity,
    impact: str,
    commander: str,
    started: datetime | None,
    is_drill: bool,
) -> None:
    service = board.service()
    verdicts = {
        "title": title_verdict(title),
        "impact": text_verdict(impact),
        "commander": text_verdict(commander, field="commander"),
        "impact_started_at": time_verdict(started),
    }
    outcome = perform(
        board,
        None,
        verdicts,
        service.declare,
        title,
        severity.value,
        impact=impact,
        impact_started_at=started,
        commander=commander,
        is_drill=is_drill,
    )
    if outcome.error is not None:
        return
    incident: Incident = outcome.result
    clean_title = " ".join(title.split())
    clean_commander = " ".join(commander.strip().split())
    expected_started = NOW if started is None else as_utc(started)
    assert expected_started is not None
    expected = Incident(
        id=incident.id,
        title=clean_title,
        severity=severity,
        status=Status.TRIAGE,
        impact=impact.strip(),
        declared_at=NOW,
        impact_started_at=expected_started,
        roles={Role.COMMANDER: clean_commander} if clean_commander else {},
        is_drill=is_drill,
    )
    assert incident == expected
    with board.reread() as fresh:
        stored = fresh.get(incident.id)
        events = fresh.timeline(incident.id)
    assert stored == expected
    assert_utc(stored)
    assert board.counts() == (outcome.before.counts[0] + 1, outcome.before.counts[1] + len(events))
    assert outcome.heard == [
        ChangeSet.of([(incident.id, Part.INCIDENT), (incident.id, Part.TIMELINE)])
    ]
    kinds = [EventKind.DECLARED] + ([EventKind.ROLE_ASSIGNED] if clean_commander else [])
    assert [event.kind for event in events] == kinds
    declared = events[0]
    assert (declared.at, declared.recorded_at, declared.actor) == (NOW, NOW, ACTOR)
    assert declared.text.endswith(f": {clean_title}")
    assert declared.data == {
        "severity": severity.value,
        "impact_started_at": expected_started.isoformat(),
        "is_drill": is_drill,
    }
    if clean_commander:
        assert events[1].data == {"role": "commander", "old": "", "new": clean_commander}


@FUZZ
@given(
    title=TITLES,
    severity=st.sampled_from(Severity),
    impact=TEXT,
    commander=TEXT,
    is_drill=st.booleans(),
)
@example(
    title=Txt("Checkout down"),
    severity=Severity.P1,
    impact=Txt(""),
    commander=Txt("\ud800"),
    is_drill=False,
)
@example(
    title=Txt(" ", MAX_TITLE, " "),
    severity=Severity.P0,
    impact=Txt(" ", MAX_TEXT, " "),
    commander=Txt(""),
    is_drill=True,
)
def test_declare_text(board, title, severity, impact, commander, is_drill):
    count_case("declare (text)")
    check_declare(board, title.value, severity, impact.value, commander.value, None, is_drill)


@FUZZ
@given(started=TIMES, severity=st.sampled_from(Severity))
@example(started=datetime.min.replace(tzinfo=timezone(timedelta(hours=14))), severity=Severity.P1)
@example(started=datetime.max.replace(tzinfo=timezone(-timedelta(hours=1))), severity=Severity.P1)
@example(started=NOW + CLOCK_SKEW, severity=Severity.P1)
def test_declare_impact_started(board, started, severity):
    count_case("declare (impact started)")
    check_declare(board, "Checkout down", severity, "", "", started, False)


# -- editing text ----------------------------------------------------------------------------


@FUZZ
@given(title=TITLES)
@example(title=Txt("\ud800"))
@example(title=Txt("", MAX_TITLE + 1))
def test_edit_title(board, title):
    count_case("edit_title")
    service = board.service()
    incident = board.fresh_incident()
    raw = title.value
    outcome = perform(
        board, incident.id, {"title": title_verdict(raw)}, service.edit_title, incident.id, raw
    )
    if outcome.error is not None:
        return
    clean = " ".join(raw.split())
    expected = replace(outcome.before.incident, title=clean)
    assert outcome.result == expected
    added = new_events(board, outcome, expected)
    if clean == incident.title:
        assert added == []
    else:
        (event,) = added
        assert event.kind is EventKind.FIELD_EDITED and event.at == NOW
        assert event.data == {"field": "title", "old": incident.title, "new": clean}
        assert clean in event.text


@FUZZ
@given(impact=TEXT)
@example(impact=Txt("", MAX_TEXT))
@example(impact=Txt("", MAX_TEXT + 1))
@example(impact=Txt("a\x00b"))
def test_edit_impact(board, impact):
    count_case("edit_impact")
    service = board.service()
    incident = board.fresh_incident()
    raw = impact.value
    outcome = perform(
        board, incident.id, {"impact": text_verdict(raw)}, service.edit_impact, incident.id, raw
    )
    if outcome.error is not None:
        return
    clean = raw.strip()
    expected = replace(outcome.before.incident, impact=clean)
    assert outcome.result == expected
    added = new_events(board, outcome, expected)
    if clean == incident.impact:
        assert added == []
    else:
        (event,) = added
        assert event.kind is EventKind.FIELD_EDITED and event.at == NOW
        assert event.data == {"field": "impact", "old": incident.impact, "new": clean}
        assert clean in event.text


@FUZZ
@given(role=st.sampled_from(Role), person=TEXT)
def test_assign_role(board, role, person):
    count_case("assign_role")
    service = board.service()
    incident = board.fresh_incident()
    raw = person.value
    outcome = perform(
        board,
        incident.id,
        {"person": text_verdict(raw, field="person")},
        service.assign_role,
        incident.id,
        role,
        raw,
    )
    if outcome.error is not None:
        return
    clean = " ".join(raw.split())
    roles = {r: name for r, name in incident.roles.items() if r is not role}
    if clean:
        roles[role] = clean
    expected = replace(outcome.before.incident, roles=roles)
    assert outcome.result == expected
    added = new_events(board, outcome, expected)
    old = incident.roles.get(role, "")
    if clean == old:
        assert added == []
    else:
        (event,) = added
        assert event.kind is EventKind.ROLE_ASSIGNED and event.at == NOW
        assert event.data == {"role": role.value, "old": old, "new": clean}
        assert clean in event.text


@FUZZ
@given(
    start=st.sampled_from(Severity),
    level=st.sampled_from(Severity),
    reason=TEXT,
    as_text=st.booleans(),
)
def test_change_severity_reason(board, start, level, reason, as_text):
    count_case("change_severity")
    service = board.service()
    incident = board.fresh_incident(start.value)
    raw = reason.value
    outcome = perform(
        board,
        incident.id,
        {"reason": text_verdict(raw, field="reason")},
        service.change_severity,
        incident.id,
        level.value.lower() if as_text else level,
        raw,
    )
    if outcome.error is not None:
        return
    clean = raw.strip()
    if level is start:
        expected = outcome.before.incident
    else:
        expected = replace(outcome.before.incident, severity=level, severity_changed_at=NOW)
    assert outcome.result == expected
    added = new_events(board, outcome, expected)
    if level is start:
        assert added == []
    else:
        (event,) = added
        assert event.kind is EventKind.SEVERITY_CHANGED and event.at == NOW
        assert event.data == {"old": start.value, "new": level.value, "reason": clean}
        assert clean in event.text


@FUZZ
@given(summary=TEXT)
def test_mark_update_sent(board, summary):
    count_case("mark_update_sent")
    service = board.service()
    incident = board.fresh_incident()
    raw = summary.value
    outcome = perform(
        board,
        incident.id,
        # An update must say what was said (or where it was posted): empty is refused.
        {"summary": text_verdict(raw, required=True, field="summary")},
        service.mark_update_sent,
        incident.id,
        raw,
    )
    if outcome.error is not None:
        return
    clean = raw.strip()
    expected = replace(outcome.before.incident, last_update_at=NOW)
    assert outcome.result == expected
    (event,) = new_events(board, outcome, expected)
    assert event.kind is EventKind.UPDATE_SENT and event.at == NOW
    assert event.data == {"summary": clean}
    assert event.text == f"Stakeholder update sent: {clean}"


@FUZZ
@given(start=st.sampled_from(Status), new=st.sampled_from(Status), note=TEXT)
def test_set_status_note(board, start, new, note):
    """Any stage to any stage, the note as the reason: the service does what the lifecycle
    rule (domain.lifecycle.move_stage) says, and a refusal stores nothing."""
    count_case("set_status")
    service = board.service()
    incident = board.fresh_incident()  # P2: the policy requires no post-mortem
    if start is not Status.TRIAGE:
        incident = service.set_status(incident.id, start, "the stage the case starts from")
    raw = note.value
    verdict = text_verdict(raw)
    facts = StageFacts(
        status=start,
        verified=False,
        mitigated_at=incident.mitigated_at,
        resolved_at=incident.resolved_at,
        impact_started_at=incident.impact_started_at,
        postmortem_published=False,
        postmortem_required=False,
    )
    try:
        move = move_stage(facts, new, raw.strip() if verdict is not False else "", NOW)
    except MoveRefused:
        move, rule_says_no = None, True
    else:
        rule_says_no = False
    verdicts: dict[str, bool | None] = {"note": verdict}
    if rule_says_no:
        verdicts["status"] = False if verdict else None
    outcome = perform(board, incident.id, verdicts, service.set_status, incident.id, new, raw)
    if outcome.error is not None:
        return
    clean = raw.strip()
    result: Incident = outcome.result
    assert result.status is new
    stamps = move.stamps if move is not None else {}
    # Recorded times are never erased or replaced; a move sets only those not set yet.
    assert result.mitigated_at == (incident.mitigated_at or stamps.get("mitigated_at"))
    assert result.resolved_at == (incident.resolved_at or stamps.get("resolved_at"))
    unchanged = ("mitigated_at", "resolved_at", "status", "resolution_recorded_at")
    assert replace(result, **{n: getattr(incident, n) for n in unchanged}) == incident
    added = new_events(board, outcome, result)
    if new is start:
        assert result == incident
        assert added == []
    else:
        (event,) = added
        assert event.kind is EventKind.STATUS_CHANGED and event.at == NOW
        assert (event.data["old"], event.data["new"]) == (start.value, new.value)
        if clean:
            assert event.text.endswith(f": {' '.join(clean.split())}")


@FUZZ
@given(field=st.sampled_from(["note", "impact"]), text=TEXT, earlier=st.booleans())
def test_save_draft(board, field, text, earlier):
    count_case("save_draft")
    service = board.service()
    incident = board.fresh_incident()
    if earlier:
        service.save_draft(incident.id, field, "An earlier draft")
    raw = text.value
    outcome = perform(
        board, incident.id, {field: text_verdict(raw)}, service.save_draft, incident.id, field, raw
    )
    if outcome.error is not None:
        return
    drafts = {name: saved for name, saved in outcome.before.drafts.items() if name != field}
    if raw.strip():
        drafts[field] = raw.strip()
    assert new_events(board, outcome, outcome.before.incident, drafts) == []


# -- notes -----------------------------------------------------------------------------------


def check_note(board: Board, text: str, at: datetime | None) -> None:
    service = board.service()
    incident = board.fresh_incident()
    verdicts = {"note": text_verdict(text, required=True), "at": time_verdict(at)}
    far = far_before(at, incident)
    # A time far before the incident is refused until confirmed, then judged as any other.
    first = {**verdicts, "at": False} if far else verdicts
    outcome = perform(board, incident.id, first, service.add_note, incident.id, text, at=at)
    if far and outcome.error is not None and outcome.error.field == "at":
        assert isinstance(outcome.error, NeedsConfirmation) or verdicts["at"] is not True
        outcome = perform(
            board, incident.id, verdicts, service.add_note, incident.id, text, at=at,
            confirmed=True,
        )  # fmt: skip
    elif not far:
        assert not isinstance(outcome.error, NeedsConfirmation), outcome.error
    if outcome.error is not None:
        return
    event: TimelineEvent = outcome.result
    expected = TimelineEvent(
        id=event.id,
        incident_id=incident.id,
        kind=EventKind.NOTE,
        at=NOW if at is None else as_utc(at),  # type: ignore[arg-type]
        recorded_at=NOW,
        actor=ACTOR,
        text=text.strip(),
        data={"backdated": at is not None},
    )
    assert event == expected
    assert new_events(board, outcome, outcome.before.incident) == [expected]


@FUZZ
@given(text=TEXT)
@example(text=Txt("\ud800"))
def test_add_note_text(board, text):
    count_case("add_note (text)")
    check_note(board, text.value, None)


@FUZZ
@given(at=TIMES)
@example(at=datetime.min.replace(tzinfo=timezone(timedelta(hours=14))))
@example(at=datetime(2026, 11, 22, 14, 0))
def test_add_note_time(board, at):
    count_case("add_note (at)")
    check_note(board, "Rolled back the deploy", at)


# -- key times -------------------------------------------------------------------------------


def orderly(times: dict[KeyTime, datetime | None]) -> bool:
    """Key times a user could believe: none in the future, and in a sensible order."""
    if any(t is not None and t > NOW + CLOCK_SKEW for t in times.values()):
        return False

    def before(a: KeyTime, b: KeyTime) -> bool:
        first, then = times[a], times[b]
        return first is None or then is None or first <= then

    return all(
        before(a, b)
        for a, b in [
            (KeyTime.IMPACT_STARTED, KeyTime.DETECTED),
            (KeyTime.IMPACT_STARTED, KeyTime.MITIGATED),
            (KeyTime.IMPACT_STARTED, KeyTime.RESOLVED),
            (KeyTime.DECLARED, KeyTime.ACKNOWLEDGED),
            (KeyTime.MITIGATED, KeyTime.RESOLVED),
        ]
    )


def assert_clocks_work(service: IncidentService, incident: Incident) -> None:
    """What the board shows for a stored incident can be computed (no crash on paint)."""
    clocks.response_clock(incident, service.policy, NOW)
    clocks.update_clock(incident, service.policy, NOW)
    clocks.elapsed(incident, NOW)
    clocks.next_deadline(incident, service.policy)


KEY_TIME_STEPS = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(KeyTime), st.one_of(st.none(), TIMES)),
        st.just(("acknowledge", None)),
    ),
    min_size=1,
    max_size=5,
)


@FUZZ
@given(
    steps=KEY_TIME_STEPS,
    severity=st.sampled_from(Severity),
    zone=st.sampled_from(sorted(POLICIES)),
)
@example(
    steps=[(KeyTime.DECLARED, NOW + CLOCK_SKEW), ("acknowledge", None)],
    severity=Severity.P1,
    zone="local",
)
def test_set_key_times(board, steps, severity, zone):
    """A run of key-time edits (and acknowledging) on one incident; P3 uses business days."""
    count_case("set_key_time")
    service = board.service(zone)
    incident = board.fresh_incident(severity.value, zone)
    for key, value in steps:
        if key == "acknowledge":
            # Refused if already acknowledged; declared in the tolerated skew after now, either
            # refused or acknowledged no earlier than declared.
            ok = incident.acknowledged_at is None and (incident.declared_at <= NOW or None)
            verdicts = {"acknowledged_at": ok}
            outcome = perform(board, incident.id, verdicts, service.acknowledge, incident.id)
            if outcome.error is None:
                incident = outcome.result
                assert NOW <= incident.acknowledged_at <= max(NOW, incident.declared_at)
                assert incident.response_due_at is not None
                assert orderly({k: incident.key_time(k) for k in KeyTime}), "acknowledged early"
                (event,) = new_events(board, outcome, incident)
                assert event.kind is EventKind.ACKNOWLEDGED
                assert_clocks_work(service, incident)
            continue
        key_times = {k: incident.key_time(k) for k in KeyTime}
        utc = None if value is None else as_utc(value)
        wanted = {**key_times, key: utc}
        required = key in (KeyTime.IMPACT_STARTED, KeyTime.DECLARED)
        verdict = (not required) if value is None else time_verdict(value)
        outcome = perform(board, incident.id, None, service.set_key_time, incident.id, key, value)
        error = outcome.error
        if isinstance(error, NeedsConfirmation):  # asked first, then judged as any other
            assert error.field == key.value and far_before(value, incident), error.message
            confirmed = (incident.id, key, value, True)
            outcome = perform(board, incident.id, None, service.set_key_time, *confirmed)
            error = outcome.error
        if error is not None:
            if verdict is False:
                assert error.field == key.value, (error.field, error.message)
            elif verdict is None and error.field == key.value:
                pass  # refused as too far in the past: acceptable
            else:  # a believable time that breaks the order with another key time
                assert not orderly(wanted), f"refused: {error.field}: {error.message}"
                assert error.field in set(KeyTime), (error.field, error.message)
            continue
        assert verdict is not False, f"accepted {value!r} for {key.value}"
        assert orderly(wanted), f"accepted {value!r} for {key.value}, out of order"
        result: Incident = outcome.result
        assert {k: result.key_time(k) for k in KeyTime} == wanted
        # The response deadline is derived from the facts: the one in force at declaration
        # (no severity change here), once acknowledged.
        policy = service.policy
        due = policy.for_severity(result.severity).respond_within.deadline(
            result.declared_at, policy.working_hours
        )
        assert result.response_due_at == (None if result.acknowledged_at is None else due)
        if key is KeyTime.RESOLVED:
            assert (result.resolution_recorded_at is None) == (utc is None)
        derived = {"response_due_at": result.response_due_at}
        derived["resolution_recorded_at"] = result.resolution_recorded_at
        assert replace(result, **{k.value: incident.key_time(k) for k in KeyTime}) == replace(
            incident, **derived
        )
        added = new_events(board, outcome, result, moved=utc)
        if key_times[key] == utc:
            assert added == []
        elif key is KeyTime.ACKNOWLEDGED and key_times[key] is None:
            (event,) = added  # typed in afterwards, it is the acknowledgement at its time
            assert event.kind is EventKind.ACKNOWLEDGED and event.at == utc
        else:
            (event,) = added
            assert event.kind is EventKind.TIME_EDITED and event.at == NOW
            old = key_times[key]
            assert event.data == {
                "key": key.value,
                "old": None if old is None else old.isoformat(),
                "new": None if utc is None else utc.isoformat(),
            }
        assert_clocks_work(service, result)
        incident = result


# Times in the tolerated clock skew: after "now", yet not "in the future".
SKEW_WINDOW = st.tuples(st.integers(0, CLOCK_SKEW // timedelta(microseconds=1)), ZONES).map(
    lambda p: (NOW + timedelta(microseconds=p[0])).astimezone(p[1])
)


@FUZZ
@given(
    key=st.sampled_from([KeyTime.DECLARED, KeyTime.IMPACT_STARTED]),
    moment=st.one_of(EDGE_OF_TIME, SKEW_WINDOW, TIMES),
    severity=st.sampled_from(Severity),
    zone=st.sampled_from(sorted(POLICIES)),
)
@example(
    key=KeyTime.DECLARED,
    moment=datetime.min.replace(tzinfo=UTC),
    severity=Severity.P3,
    zone="local",
)
@example(
    key=KeyTime.DECLARED,
    moment=datetime.min.replace(tzinfo=UTC),
    severity=Severity.P3,
    zone="America/New_York",
)
def test_edge_key_time_keeps_incident_usable(board, key, moment, severity, zone):
    """A time the service accepts (year 1, or inside the clock skew) must leave an incident
    whose clocks can be shown and whose next steps succeed with believable key times or are
    refused clearly."""
    count_case("set_key_time (edge of time)")
    service = board.service(zone)
    incident = board.fresh_incident(severity.value, zone)
    verdicts = {key.value: time_verdict(moment)}
    confirmed = (incident.id, key, moment, True)  # a time far before: the user said it is right
    outcome = perform(board, incident.id, verdicts, service.set_key_time, *confirmed)
    if outcome.error is not None:
        return
    result: Incident = outcome.result
    assert result.key_time(key) == as_utc(moment)
    new_events(board, outcome, result, moved=as_utc(moment))
    assert_clocks_work(service, result)
    for call, *args in (
        (service.acknowledge,),
        (service.mark_update_sent, "status page updated"),
        (service.set_status, Status.MITIGATED, "verified on the dashboard"),
    ):
        outcome = perform(board, incident.id, None, call, incident.id, *args)
        if outcome.error is None:
            times = {k: outcome.result.key_time(k) for k in KeyTime}
            assert orderly(times), f"{call.__name__} stored key times out of order: {times}"
            assert_clocks_work(service, outcome.result)
