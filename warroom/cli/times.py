"""Times given on the command line. No Qt, no storage: the parser and the verbs share it."""

from __future__ import annotations

import argparse
from datetime import datetime


def parse_when(text: str) -> datetime:
    """ISO 8601 with an offset; 'Z' is accepted. A time without an offset is refused, because
    a script's idea of local time is a guess. Raises argparse.ArgumentTypeError."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 time such as 2026-11-22T14:02:00+00:00"
        ) from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} has no UTC offset; add one, e.g. {text}+00:00 or {text}Z"
        )
    return moment
