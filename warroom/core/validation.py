"""Input checks shared by the GUI and the CLI; each failure names the field at fault."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from warroom.core.incident import KeyTime

MAX_TITLE = 200
MAX_TEXT = 1_000_000
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
        raise ValidationError("title", f"The title is too long (at most {MAX_TITLE} characters).")
    _no_nul("title", cleaned)
    return cleaned


def clean_text(field: str, text: str, label: str) -> str:
    text = str(text)
    if len(text) > MAX_TEXT:
        raise ValidationError(field, f"{label} is too long (at most {MAX_TEXT:,} characters).")
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
    return moment.strftime("%Y-%m-%d %H:%M")
