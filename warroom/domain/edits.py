"""Two people editing one field at once (two laptops on a shared war room, or two windows):
a save carries the value its editor started from, and one based on a value that someone
else has since replaced is not applied silently. The editor sees the other value and
chooses; the choice goes on the timeline."""

from __future__ import annotations

from enum import StrEnum

from warroom.domain.validation import ValidationError


class Resolution(StrEnum):
    THEIRS = "theirs"  # keep the value saved meanwhile; this editor's is dropped (and kept
    # on the timeline, so nothing typed is lost)
    MINE = "mine"
    MERGED = "merged"


class EditConflict(ValidationError):
    """`mine` was typed over `base`, but `theirs` was saved meanwhile. Nothing was saved."""

    def __init__(self, field: str, label: str, base: str, theirs: str, mine: str) -> None:
        super().__init__(
            field,
            f"{label} was changed by someone else while you were editing it. "
            "Choose which version to keep.",
        )
        self.label = label
        self.base = base
        self.theirs = theirs
        self.mine = mine


def check_not_stale(field: str, label: str, based_on: str | None, stored: str, mine: str) -> None:
    """Raises EditConflict when the stored value moved on from `based_on` (what the editor
    showed when editing began) to something other than `mine`. `based_on` None: the caller
    does not say what it started from (a script): the save applies as before."""
    if based_on is not None and stored != based_on and mine != stored:
        raise EditConflict(field, label, based_on, stored, mine)


def merged_start(theirs: str, mine: str) -> str:
    """Where a merge by hand starts: both versions, theirs first."""
    if not theirs:
        return mine
    if not mine:
        return theirs
    return f"{theirs}\n\n{mine}"


def resolution_note(label: str, resolution: Resolution) -> str:
    """How the timeline says what the editor chose."""
    return {
        Resolution.THEIRS: f"{label}: kept the version saved meanwhile by someone else",
        Resolution.MINE: f"{label}: kept this version over the one saved meanwhile",
        Resolution.MERGED: f"{label}: merged with the version saved meanwhile",
    }[resolution]
