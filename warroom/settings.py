"""The policy and playbooks in force: the user's files in the config dir where they are
valid, the built-in ones otherwise."""

from __future__ import annotations

import logging

from warroom.core.playbook import Playbook, PlaybookError, load_playbook_file
from warroom.core.policy import Policy, PolicyError, load_policy_file
from warroom.paths import AppPaths, builtin_playbook_file, builtin_policy_file

log = logging.getLogger("warroom.settings")


def load_policy(paths: AppPaths) -> tuple[Policy, list[str]]:
    """Returns the policy and any warnings a user should see; never raises for a bad
    override, which falls back to the built-in policy."""
    builtin = load_policy_file(builtin_policy_file())
    override = paths.user_policy
    if not override.exists():
        return builtin, []
    try:
        return load_policy_file(override), []
    except PolicyError as exc:
        message = f"The policy file {exc.source} has a problem at “{exc.key}”: {exc.problem}"
        log.warning("%s; using the built-in policy", message)
        return builtin, [message + "\nThe built-in policy is in force until it is fixed."]


def load_playbooks(paths: AppPaths) -> tuple[list[Playbook], list[str]]:
    """The built-in playbook first, then each valid team playbook from the config dir, by
    file name. A malformed file is left out with a warning naming the file and the key."""
    builtin = load_playbook_file(builtin_playbook_file())
    playbooks, warnings = [builtin], []
    folder = paths.user_playbooks
    files = sorted(folder.glob("*.toml")) if folder.is_dir() else []
    for path in files:
        try:
            playbook = load_playbook_file(path, fallback=builtin)
        except PlaybookError as exc:
            message = f"The playbook {exc.source} has a problem at “{exc.key}”: {exc.problem}"
            log.warning("%s; it is not offered", message)
            warnings.append(message + ". It is left out until it is fixed.")
            continue
        if any(p.name == playbook.name for p in playbooks):
            warnings.append(
                f"The playbook {path} is named “{playbook.name}” like another one; "
                "it is left out until it has a name of its own."
            )
            continue
        playbooks.append(playbook)
    return playbooks, warnings
