"""How a path is shown to the person who typed the command: relative to their working directory when it is inside
it (so a printed or recorded command can be typed again from there), else as given."""

from __future__ import annotations

import os
from pathlib import Path


def shown_path(path: str | Path) -> str:
    """``path`` relative to the working directory when it is inside it (POSIX separators), else unchanged."""
    try:
        resolved, here = Path(path).resolve(), Path.cwd().resolve()
        return Path(os.path.relpath(resolved, here)).as_posix() if resolved.is_relative_to(here) else str(path)
    except (ValueError, OSError):
        return str(path)
