"""Input checks shared by the GUI and the CLI; each failure names the field at fault."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from warroom.domain.incident import KeyTime
from warroom.domain.timefmt import utc_minute


@dataclass(frozen=True)
class TextLimit:
    noun: str  # "A name": how the message names the field
    most: int  # characters, after surrounding whitespace is removed


# -- every text field's limit, in one place ------------------------------------------------------
# Long texts (notes, impact, messages, snippets, post-mortem sections) take up to a million
# characters: a pasted log excerpt fits, and tests/reliability writes a 999,000-character
# note. One-line texts take up to 10,000, names and titles 200.
MAX_TITLE = 200
MAX_NAME = 200
MAX_LINE = 10_000
MAX_TEXT = 1_000_000

TITLE = TextLimit("A title", MAX_TITLE)
NAME = TextLimit("A name", MAX_NAME)
LONG_TEXT = TextLimit("A text", MAX_TEXT)
LIMITS: dict[str, TextLimit] = {
    "title": TITLE,
    "name": NAME,
    "commander": NAME,
    "person": NAME,
    "applied_by": NAME,
    "owner": NAME,
    "authors": TextLimit("A list of authors", 2_000),
    "reason": TextLimit("A reason", MAX_LINE),
    "override_reason": TextLimit("A reason", MAX_LINE),
    "preserve_reason": TextLimit("A reason", MAX_LINE),
    "summary": TextLimit("An update summary", MAX_LINE),
    "description": TextLimit("A description", MAX_LINE),
    "reference": TextLimit("A reference", MAX_LINE),
    "link": TextLimit("A link", MAX_LINE),
    "action": TextLimit("An action", MAX_LINE),
    "expected_effect": TextLimit("An expected effect", MAX_LINE),
    "detail": TextLimit("A verification", MAX_LINE),
    "note": TextLimit("A note", MAX_TEXT),
    "impact": TextLimit("An impact summary", MAX_TEXT),
    "message": TextLimit("A message", MAX_TEXT),
    "text": LONG_TEXT,
}


def limit_of(field: str) -> TextLimit:
    """The limit of a text field; any field not named above is a long text."""
    return LIMITS.get(field, LONG_TEXT)


def too_long(field: str, length: int, limit: TextLimit | None = None) -> ValidationError:
    limit = limit or limit_of(field)
    return ValidationError(
        field, f"{limit.noun} can be at most {limit.most:,} characters; this one has {length:,}."
    )


# Clocks on laptops drift; "the future" starts a little after now.
CLOCK_SKEW = timedelta(seconds=60)
# Earlier times are typing mistakes, and too close to the calendar's edge for the clock
# arithmetic (working hours in a far-off zone can step outside year 1).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


class ValidationError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def clean_title(title: str) -> str:
    cleaned = " ".join(str(title).split())
    if not cleaned:
        raise ValidationError("title", "A title is required: say what is broken, in a few words.")
    if len(cleaned) > MAX_TITLE:
        raise too_long("title", len(cleaned), TITLE)
    _no_nul("title", cleaned)
    return cleaned


def clean_text(field: str, text: str, label: str) -> str:
    """`text` without surrounding whitespace, refused (naming `field`) when it is longer than
    the field's limit (LIMITS) or holds what cannot be stored. `label` is for other checks."""
    text = str(text)
    limit = limit_of(field)
    if len(text) > limit.most:
        length = len(text.strip())
        if length > limit.most:
            raise too_long(field, length, limit)
    _no_nul(field, text)
    return text.strip()


def _no_nul(field: str, text: str) -> None:
    # SQLite and PostgreSQL text cannot round-trip NUL reliably; refuse it openly.
    if "\x00" in text:
        raise ValidationError(field, "The text contains a NUL character, which cannot be stored.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates (e.g. from a bad paste or a broken script) are not valid text.
        raise ValidationError(
            field, "The text contains invalid characters (unpaired surrogates)."
        ) from None


def aware_utc(field: str, moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError(field, f"{field}: a time zone is required (got a naive time).")
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise ValidationError(
            field, f"{field}: {moment.isoformat()} is outside the dates that can be stored."
        ) from None
    if moment < EARLIEST:
        raise ValidationError(field, f"{field}: times before the year 2000 are not accepted.")
    return moment


def not_in_future(field: str, label: str, moment: datetime, now: datetime) -> None:
    if moment > now + CLOCK_SKEW:
        raise ValidationError(field, f"{label} cannot be in the future.")


def check_key_times(times: dict[KeyTime, datetime | None], now: datetime) -> None:
    """Key timestamps must be in the past and in a believable order."""
    for key, moment in times.items():
        if moment is not None:
            not_in_future(key.value, key.label, moment, now)
    started = times.get(KeyTime.IMPACT_STARTED)
    if started is None:
        return
    for key in (KeyTime.DETECTED, KeyTime.MITIGATED, KeyTime.RESOLVED):
        moment = times.get(key)
        if moment is not None and moment < started:
            raise ValidationError(
                key.value, f"{key.label} cannot be before impact started ({_hm(started)} UTC)."
            )
    declared = times.get(KeyTime.DECLARED)
    acknowledged = times.get(KeyTime.ACKNOWLEDGED)
    if declared is not None and acknowledged is not None and acknowledged < declared:
        raise ValidationError(
            KeyTime.ACKNOWLEDGED.value, "Acknowledged cannot be before the incident was declared."
        )
    mitigated, resolved = times.get(KeyTime.MITIGATED), times.get(KeyTime.RESOLVED)
    if mitigated is not None and resolved is not None and resolved < mitigated:
        raise ValidationError(KeyTime.RESOLVED.value, "Resolved cannot be before mitigated.")


def _hm(moment: datetime) -> str:
    return utc_minute(moment, zone=False)


# -- times far from the incident ------------------------------------------------------------------
# A note or key time more than this before the incident's own dates is most likely a typo
# (2001 for 2026): possible, so it is not refused outright, but it needs a confirmation.
FAR_BEFORE = timedelta(days=1)


class NeedsConfirmation(ValidationError):
    """Possible, but most likely a mistake: refused unless the user confirms it (the GUI
    asks; the CLI needs --force). Nothing was saved."""


def incident_dates(impact_started: datetime, declared: datetime) -> str:
    return (
        f"this incident's impact started {_hm(impact_started)} UTC and it was declared "
        f"{_hm(declared)} UTC"
    )


def check_near_incident(
    field: str,
    label: str,
    moment: datetime,
    now: datetime,
    impact_started: datetime,
    declared: datetime,
    confirmed: bool = False,
) -> None:
    """A time given for a note or a key time: one in the future is refused, one more than a
    day before the incident's dates needs `confirmed`. Either message names those dates
    (formatted only then: every note passes through here)."""
    if moment > now + CLOCK_SKEW:
        dates = incident_dates(impact_started, declared)
        raise ValidationError(
            field,
            f"{label} ({_hm(moment)} UTC) is in the future: it is {_hm(now)} UTC now, and {dates}.",
        )
    if not confirmed and moment < min(impact_started, declared) - FAR_BEFORE:
        dates = incident_dates(impact_started, declared)
        raise NeedsConfirmation(
            field,
            f"{label} ({_hm(moment)} UTC) is more than a day before this incident: {dates}. "
            "Is the date right?",
        )
