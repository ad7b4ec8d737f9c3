"""`warroom completion bash|zsh`: a completion script generated from the argparse parser by
shtab, so every verb and option added to the parser completes without more work. The script
is static: completing runs no Python."""

from __future__ import annotations

import argparse

SHELLS = ("bash", "zsh")

# shtab reads an action's `complete`: --data-dir completes folders (shtab.DIRECTORY's value,
# spelled out so building the parser does not import shtab).
DIRECTORY = {"bash": "_shtab_compgen_dirs", "zsh": "_files -/", "tcsh": "d"}


def completion_script(parser: argparse.ArgumentParser, shell: str) -> str:
    import shtab

    return str(shtab.complete(parser, shell=shell))
