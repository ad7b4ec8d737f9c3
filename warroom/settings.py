"""The policy in force: the user's copy in the config dir if it is valid, else the built-in."""

from __future__ import annotations

import logging

from warroom.core.policy import Policy, PolicyError, load_policy_file
from warroom.paths import AppPaths, builtin_policy_file

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
