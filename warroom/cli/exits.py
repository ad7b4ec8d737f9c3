"""The CLI's exit codes, a stable table scripts can rely on, and how an error is reported:
the human message on stderr, and with --json also a JSON object on stdout."""

from __future__ import annotations

import argparse
import json
import sys

from warroom.domain.safe_text import json_safe

EXIT_OK = 0  # done
EXIT_INVALID = 1  # bad input (a value the rules do not accept), or an unexpected failure
EXIT_USAGE = 2  # bad usage: an unknown option, a missing argument
EXIT_REFUSED = 3  # a rule said no, or the file is not a usable warroom database
EXIT_NOT_FOUND = 4  # an unknown incident, checklist item or artifact

KINDS = {
    EXIT_INVALID: "invalid",
    EXIT_USAGE: "usage",
    EXIT_REFUSED: "refused",
    EXIT_NOT_FOUND: "not-found",
}

TABLE = """exit codes:
  0  done
  1  bad input, or an unexpected failure (the message says why)
  2  bad usage (unknown option, missing argument)
  3  refused: a rule said no, or the file is not a usable warroom database
  4  not found: an unknown incident, checklist item or artifact
With --json, an error also prints {"error": {"code": N, "kind": "...", "message": "..."}}
on standard output; the message is on standard error either way."""


def wants_json(args: argparse.Namespace | None) -> bool:
    if args is None:
        return False
    if getattr(args, "verb", None) == "metrics":
        return getattr(args, "output", None) == "json"
    return getattr(args, "json", False) is True


def error_json(code: int, message: str) -> str:
    error = {"code": code, "kind": KINDS.get(code, "invalid"), "message": message}
    return json_safe(json.dumps({"error": error}, ensure_ascii=False))


def fail(args: argparse.Namespace | None, code: int, message: object) -> int:
    """Reports an error (stderr, and stdout as JSON with --json); returns `code`."""
    text = str(message)
    print(f"warroom: {text}", file=sys.stderr)
    if wants_json(args):
        print(error_json(code, text))
    return code
