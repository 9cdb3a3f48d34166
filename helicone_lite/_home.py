"""Where helicone_lite keeps its files: ``HELICONE_LITE_HOME`` or the user's data directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["default_home"]


def default_home() -> Path:
    """``$HELICONE_LITE_HOME``, else the platform's per-user data directory + ``helicone-lite``."""
    explicit = os.environ.get("HELICONE_LITE_HOME")
    if explicit:
        return Path(explicit).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "helicone-lite"
