"""Where n2g keeps its files: a cache (converted models, unpacked corpora) and a data dir.

- cache: `$N2G_CACHE_DIR`, else `$XDG_CACHE_HOME/n2g`, else `~/.cache/n2g`
- data:  `$N2G_DATA_DIR`, else `$XDG_DATA_HOME/n2g`, else `~/.local/share/n2g`

Both can be deleted at any time: everything in them is rebuilt on demand.
"""

from __future__ import annotations

import os
from pathlib import Path


def _base(env: str, xdg: str, fallback: str) -> Path:
    explicit = os.environ.get(env)
    if explicit:
        return Path(explicit).expanduser()
    xdg_dir = os.environ.get(xdg)
    if xdg_dir:
        return Path(xdg_dir).expanduser() / "n2g"
    return Path.home() / fallback / "n2g"


def cache_dir(override: Path | str | None = None) -> Path:
    """The cache root (not created here; writers create the subfolder they need)."""
    if override is not None:
        return Path(override).expanduser()
    return _base("N2G_CACHE_DIR", "XDG_CACHE_HOME", ".cache")


def data_dir(override: Path | str | None = None) -> Path:
    """The data root (default output folders of long runs)."""
    if override is not None:
        return Path(override).expanduser()
    return _base("N2G_DATA_DIR", "XDG_DATA_HOME", ".local/share")
