"""Text that cannot lie on a screen: control characters made visible.

A title or note can come from an alert hook, a paste or a hostile script. Printed raw, an
escape sequence (ESC[2J clears the terminal, ESC]0;...BEL retitles the window), a bare
carriage return or a backspace can overwrite what was printed before it, and a bidi control
(U+202E and friends) can reverse the order the following text is shown in. Every human-
readable output (the CLI's tables and messages, the Markdown exports) passes user text through
`visible`, which replaces each such character by an escape that shows what it was (`\\x1b`,
`\\r`, `\\u202e`); newline and tab are kept. JSON output stays exact: `json_safe` only turns
the same characters into JSON's own `\\u` escapes, which decode to the very same string.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

# C0 controls but tab (\x09) and newline (\x0a); DEL; C1 controls.
_C0_C1 = "\x00-\x08\x0b-\x1f\x7f-\x9f"
# Bidirectional controls: marks (LRM, RLM, ALM), embeddings and overrides (LRE, RLE, PDF,
# LRO, RLO) and isolates (LRI, RLI, FSI, PDI).
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# Lone surrogates: what a command line's undecodable bytes become (b"\xff" -> "\udcff");
# they cannot be written as UTF-8 at all.
_SURROGATES = "\ud800-\udfff"
CONTROL = re.compile(f"[{_C0_C1}{_BIDI}{_SURROGATES}]")
# The same characters, and line breaks too: for text that must stay on one line.
CONTROL_OR_NEWLINE = re.compile(f"[{_C0_C1}{_BIDI}{_SURROGATES}\n\t]")

_NAMED = {"\r": "\\r", "\n": "\\n", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: object) -> str:
    """`text` with every terminal or bidi control replaced by a visible escape; newline and
    tab are kept."""
    return CONTROL.sub(_escape, str(text))


def visible_line(text: object) -> str:
    """Like visible(), and newline and tab escaped too: for one cell or one line."""
    return CONTROL_OR_NEWLINE.sub(_escape, str(text))


def has_controls(text: str) -> bool:
    return CONTROL.search(text) is not None


def json_safe(encoded: str) -> str:
    """JSON text (from json.dumps with ensure_ascii=False) with the controls that json.dumps
    leaves raw (DEL, C1, bidi) written as \\u escapes. They can only occur inside strings, so
    the decoded value is unchanged."""
    return CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", encoded)


class VisibleStream:
    """A text stream that writes what it is given with every control made visible: the
    headless verbs print through it, so no message, table or argparse error can carry a raw
    escape to the terminal (JSON written through it is already escaped: json_safe)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(visible(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, encoding, isatty, buffer...
        return getattr(self._stream, name)


@contextmanager
def shown_safely() -> Iterator[None]:
    """Standard output and error pass through VisibleStream for the block."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = VisibleStream(out), VisibleStream(err)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err
