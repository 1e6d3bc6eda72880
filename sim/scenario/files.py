"""Which files a scenario may read: regular files of bounded size, inside the folders ``extends`` may reach.

A scenario file may come from someone else. Reading it must not hang (a named pipe waits for a writer for ever),
exhaust memory (/dev/zero never ends) or reach files the user did not mean to share: ``extends`` may read only
files inside the *scenario roots*:

- the folder of the file the user named, and its subfolders;
- the nearest folder above it called ``scenarios``, so ``scenarios/calibration/x.yaml`` may extend
  ``../baseline.yaml`` from wherever it is run;
- the current working directory, and its subfolders;
- folders the user names: ``--allow-root DIR`` on the command line (:func:`allowing_roots`), or the environment
  variable ``FJSIM_SCENARIO_ROOTS`` (folders separated by ``os.pathsep``).

Paths are compared after symbolic links are resolved, so a link inside a root that points outside it is outside.
And a problem in a file the user did not name (one reached through ``extends``) is reported without the values
the file holds (:func:`withhold`).
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

ROOTS_VARIABLE = "FJSIM_SCENARIO_ROOTS"
"""Environment variable naming further folders that ``extends`` may read from (separated by ``os.pathsep``)."""

SCENARIOS_FOLDER = "scenarios"
"""The conventional name of a folder of scenarios: the nearest one above a named file is one of its roots."""

_named_roots: ContextVar[tuple[str, ...]] = ContextVar("named_roots", default=())


@contextmanager
def allowing_roots(folders: Iterable[str | Path]) -> Iterator[None]:
    """Within the block, ``extends`` may also read from these folders (the command line's ``--allow-root``)."""
    token = _named_roots.set(_named_roots.get() + tuple(str(f) for f in folders))
    try:
        yield
    finally:
        _named_roots.reset(token)


def _real(path: str | Path) -> str:
    return os.path.realpath(os.path.abspath(path))


def scenario_roots(named: str | Path, roots: Iterable[str | Path] = ()) -> list[str]:
    """The folders a scenario named by the user may read through ``extends``, symbolic links resolved."""
    folder = _real(os.path.dirname(os.path.abspath(named)))
    found = [folder]
    for above in [Path(folder), *Path(folder).parents]:
        if above.name == SCENARIOS_FOLDER:
            found.append(str(above))
            break
    found.append(_real(os.getcwd()))
    from_environment = [f for f in os.environ.get(ROOTS_VARIABLE, "").split(os.pathsep) if f.strip()]
    found += [_real(f) for f in [*roots, *_named_roots.get(), *from_environment]]
    return list(dict.fromkeys(found))


def inside(path: str | Path, roots: Iterable[str]) -> bool:
    """Whether ``path``, symbolic links resolved, is one of ``roots`` or inside one."""
    real = _real(path)
    return any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


_NOT_REGULAR = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))


def not_a_file(file: str) -> str | None:
    """Why ``file`` cannot be read as a scenario (missing, a directory, a pipe or device, a loop of links), or None.

    Checked before the file is opened: reading a named pipe waits for a writer for ever, and a device such as
    /dev/zero never ends.
    """
    try:
        mode = os.stat(file).st_mode
    except FileNotFoundError:
        return "file not found"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a loop of symbolic links, not a scenario file"
        return f"cannot read the file: {exc.strerror or exc}"
    if stat.S_ISDIR(mode):
        return "this is a directory, not a scenario file"
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _NOT_REGULAR if test(mode)), "a special file")
        return f"this is {kind}, not a regular file: a scenario is a file"
    return None


def read_bytes(file: str, max_bytes: int) -> bytes | str:
    """The file's bytes, or why they were not read: at most max_bytes + 1 bytes are ever read."""
    problem = not_a_file(file)
    if problem:
        return problem
    too_big = f"scenario files are limited to {max_bytes} bytes"
    try:
        size = os.stat(file).st_size
        if size > max_bytes:
            return f"the file is {size} bytes; {too_big}"
        # Opened without blocking and checked again: a file swapped for a pipe since the check must not hang.
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
        with open(os.open(file, flags), "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return "this is not a regular file: a scenario is a file"
            raw = handle.read(max_bytes + 1)
    except OSError as exc:
        return f"cannot read the file: {exc.strerror or exc}"
    if len(raw) > max_bytes:
        return f"the file is more than {max_bytes} bytes; {too_big}"
    return raw


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_GOT = re.compile(r" \(got .*\)$")
WITHHELD = "values from a file reached through extends are not shown: validate it by name to see them"


def withhold(message: str, shown: set[str]) -> str:
    """A problem's message without the values it quotes, for a file the user did not name.

    ``(got ...)`` is dropped and a quoted value becomes ``'…'``, unless it is a word in ``shown`` (the keys of the
    problem's path, the schema's own keys and choices): a scenario that extends a file of secrets must not print
    them, while "unknown key 'x'" still names the key.
    """
    hidden = _QUOTED.sub(lambda m: m.group(0) if m.group(0)[1:-1] in shown else "'…'", _GOT.sub("", message))
    return hidden if hidden == message else f"{hidden} ({WITHHELD})"
