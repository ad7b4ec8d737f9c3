"""Fixtures for the pure rules: the shipped policy with its working hours in a chosen zone."""

from __future__ import annotations

from dataclasses import replace

import pytest

from warroom.domain.policy import load_policy_file
from warroom.system.paths import builtin_policy_file


@pytest.fixture
def policy_in_zone():
    """Builds the shipped policy with working hours in the given IANA zone."""

    def build(zone):
        builtin = load_policy_file(builtin_policy_file())
        return replace(builtin, working_hours=replace(builtin.working_hours, timezone=zone))

    return build


@pytest.fixture
def utc_policy(policy_in_zone):
    """The shipped policy, with working hours pinned to UTC instead of the machine's zone."""
    return policy_in_zone("UTC")
