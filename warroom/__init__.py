"""warroom: the incident commander's desk."""

from __future__ import annotations

import functools
import sys


def __getattr__(name: str) -> str:
    # Looked up on first use, so that importing warroom does not load importlib.metadata.
    if name == "__version__":
        return version()
    raise AttributeError(f"module 'warroom' has no attribute {name!r}")


@functools.cache
def version() -> str:
    """The version in pyproject.toml, its one home: read from the installed package's
    metadata, or in the frozen bundle (which carries none) from _version.py, which
    packaging/warroom.spec writes from pyproject.toml at each build."""
    if getattr(sys, "frozen", False):
        from warroom._version import VERSION

        return VERSION
    from importlib.metadata import version as installed_version

    return installed_version("warroom")
