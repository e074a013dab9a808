"""The installed package's version (``fleetpbx --version``, ``fleetpbx_build_info``)."""

from __future__ import annotations

from importlib import metadata

DISTRIBUTION = "fleetpbx"
UNKNOWN = "0+unknown"  # run from a source tree that was never installed


def version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return UNKNOWN
