"""What the tool wrote in an output folder: claimed before writing, listed in the manifest, removed by --force.

A results folder may hold a person's own files next to the tool's (notes, a copy of the scenario, a folder of
keys), so ``--force`` must delete exactly what the tool wrote and nothing else. While a command writes into a
folder, a *ledger* is open on it; every file the tool writes there is *claimed* first, and the claim is saved in
the folder's ``manifest.json`` under ``outputs`` (relative paths) before the file is written, so even a run killed
mid-write leaves a manifest listing everything it may have started. Files written by worker processes (a
replication's tables) are claimed by the parent before the work is sent. :func:`remove_listed` is ``--force``:
it deletes the listed files (and each one's ``.NAME.partial``), then every folder that held them if it is left
empty; a folder holding anything else stays, with that thing in it.

A strict ledger (a folder the command prepared) refuses to claim a file that is already there but not listed:
the tool never overwrites a file it did not write. A lenient one (``report DIR`` adding ``report.html`` to a
finished run) claims what it writes without that check, and saves its list only into a manifest that keeps one.

:func:`write_atomically` is the one way results are written: to ``.NAME.partial``, flushed to disk, then renamed;
a failed write (a full disk) removes its ``.partial`` file rather than leave it filling the disk.
"""

from __future__ import annotations

import datetime as dt
import errno
import functools
import inspect
import json
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

MANIFEST_NAME = "manifest.json"
OUTPUTS_KEY = "outputs"
"""The manifest's list of files the tool wrote in the folder, as relative POSIX paths."""
PARTIAL = ".{name}.partial"
"""A file being written, renamed to ``name`` when whole."""


class RunDirectoryError(ValueError):
    """The output directory cannot be used as asked (exists and is not empty, locked, not a run to resume...)."""


def partial_of(path: Path) -> Path:
    return path.with_name(PARTIAL.format(name=path.name))


def absolute(path: str | Path) -> Path:
    """An absolute path without resolving symbolic links (the folder as the user named it)."""
    return Path(os.path.abspath(path))


def describe_failure(exc: BaseException) -> str:
    """One line about an exception, for a manifest or a message: an OSError says which file and why."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (Ctrl-C)"
    if isinstance(exc, OSError) and exc.strerror:
        name = errno.errorcode.get(exc.errno or 0, "")
        files = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
        return f"{files + ': ' if files else ''}{exc.strerror}{f' ({name})' if name else ''}"
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")


# ---------------------------------------------------------------------------------------------- the manifest's list
def read_json_object(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``; None if there is no such file or it is not a JSON object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def listed_outputs(manifest: dict[str, Any], where: Path) -> list[str]:
    """The manifest's ``outputs``, each checked to be a plain relative path inside the folder."""
    listed = manifest.get(OUTPUTS_KEY)
    if not isinstance(listed, list) or not all(isinstance(p, str) for p in listed):
        raise RunDirectoryError(f"{where}: '{OUTPUTS_KEY}' is not a list of file names (was it edited by hand?)")
    for name in listed:
        parts = PurePosixPath(name).parts
        if not parts or name.startswith("/") or ".." in parts or "\\" in name or ":" in parts[0]:
            raise RunDirectoryError(
                f"{where}: '{OUTPUTS_KEY}' lists {name!r}, which is not a file inside the folder "
                "(was it edited by hand?); nothing was deleted"
            )
    return listed


def write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    text = json.dumps(data, indent=2, sort_keys=False, default=str, allow_nan=True) + "\n"
    _replace_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


# ---------------------------------------------------------------------------------------------- ledgers
@dataclass
class Ledger:
    """The files the tool wrote (or is about to write) in one folder, kept in step with its manifest."""

    root: Path
    files: set[str] = field(default_factory=set)
    strict: bool = True
    owner: bool = True
    """The command that writes the run (not one adding a report to it): it marks how the run ended."""
    depth: int = 1

    def relative(self, path: Path) -> str | None:
        try:
            return absolute(path).relative_to(self.root).as_posix()
        except ValueError:
            return None

    def save(self) -> None:
        """Write the list into the manifest (a new manifest saying only that, if there is none and we may)."""
        path = self.root / MANIFEST_NAME
        data = read_json_object(path)
        if not self.strict and (data is None or OUTPUTS_KEY not in data):
            return  # a folder we were only asked to add a file to, whose manifest keeps no list (or is not ours)
        if data is None:
            if path.exists():
                return  # never replace a manifest we cannot read
            data = {"manifest_version": 1, "status": "running", "started": now_iso()}
        self.files.add(MANIFEST_NAME)
        data[OUTPUTS_KEY] = sorted(self.files)
        write_json_atomically(path, data)

    def record_end(self, exc: BaseException | None) -> None:
        """At the end: a failure (or Ctrl-C) in the manifest's status and ``error``; a bare list marked complete."""
        path = self.root / MANIFEST_NAME
        data = read_json_object(path)
        if data is None or data.get("status") != "running":
            return
        if exc is None:
            data["status"] = "complete"
        else:
            data["status"] = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
            data["error"] = describe_failure(exc)
        data["ended"] = now_iso()
        write_json_atomically(path, data)


_OPEN: dict[Path, Ledger] = {}
"""The ledgers open in this process, by absolute folder."""


@contextmanager
def ledger(out: str | Path, *, strict: bool = True, owner: bool = True) -> Iterator[Ledger]:
    """Keep a ledger of ``out`` while the block runs (re-entrant: an inner one for the same folder is the outer).

    It starts from the manifest's list (a resumed run keeps what it wrote before). When the outermost block for
    the folder ends, an ``owner`` (the command writing the run) records in the manifest how: a failure with its
    message, rather than staying at "running". One that only adds a file (a report) leaves the status alone.
    """
    root = absolute(out)
    if root in _OPEN:
        _OPEN[root].depth += 1
        try:
            yield _OPEN[root]
        finally:
            _OPEN[root].depth -= 1
        return
    manifest = read_json_object(root / MANIFEST_NAME)
    files = set(listed_outputs(manifest, root / MANIFEST_NAME)) if manifest and OUTPUTS_KEY in manifest else set()
    opened = _OPEN[root] = Ledger(root, files, strict, owner)
    try:
        yield opened
    except BaseException as exc:
        if owner:
            with suppress(OSError):  # a full disk may refuse this too; the message to the user still says why
                opened.record_end(exc)
        raise
    else:
        if owner:
            opened.record_end(None)
    finally:
        del _OPEN[root]


def writes_into(parameter: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Keep a ledger of the folder named by the function's argument ``parameter`` while it runs (an experiment that
    writes into its ``out``)."""

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(function)

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with ledger(signature.bind(*args, **kwargs).arguments[parameter]):
                return function(*args, **kwargs)

        return wrapper

    return decorate


def claim(paths: Iterable[str | Path], *, save_into: Path | None = None) -> None:
    """Record ``paths`` in every open ledger whose folder holds them, and save each list, before they are written.

    A strict ledger refuses a path that is already there and not in its list. ``save_into`` names a manifest
    being written now, which carries the list itself (so it is not saved into that one twice).
    """
    paths = [absolute(p) for p in paths]
    for opened in list(_OPEN.values()):
        new = []
        for path in paths:
            name = opened.relative(path)
            if name is None or name in opened.files:
                continue
            if opened.strict and (path.exists() or path.is_symlink()):
                raise RunDirectoryError(
                    f"{path} is in the way: it is not a file this tool wrote there (the folder's manifest does not "
                    "list it), so it is not overwritten; move it elsewhere and run again"
                )
            new.append(name)
        if new:
            opened.files.update(new)
            if save_into is None or absolute(save_into) != opened.root / MANIFEST_NAME:
                opened.save()


def outputs_for_manifest(path: Path) -> list[str] | None:
    """The list a manifest being written at ``path`` should carry (None when no ledger is open on its folder)."""
    opened = _OPEN.get(absolute(path).parent)
    return None if opened is None else sorted(opened.files)


# ---------------------------------------------------------------------------------------------- writing
def _replace_atomically(path: Path, write: Callable[[Path], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_of(path)
    try:
        write(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Claim ``path``, write it to a temporary sibling, flush it to disk, then rename it over the final name.

    A failed write removes the temporary file, so a full disk is not kept full by what could not be written.
    """
    claim([path])
    _replace_atomically(Path(path), write)


# ---------------------------------------------------------------------------------------------- --force
@dataclass
class Removal:
    removed: list[Path]
    kept: list[Path]
    """What is left in the folder (not the tool's): every file, and every empty folder."""


def listed_in(out: str | Path) -> list[str] | None:
    """The files ``out/manifest.json`` lists as the tool's; None when the folder has no manifest of this tool."""
    manifest_path = Path(out) / MANIFEST_NAME
    manifest = read_json_object(manifest_path)
    if manifest is None or OUTPUTS_KEY not in manifest:
        return None
    return listed_outputs(manifest, manifest_path)


def remove_listed(out: str | Path, listed: list[str], ignore: Iterable[str] = ()) -> Removal:
    """Delete the ``listed`` files of ``out`` (see :func:`listed_in`), then the folders they leave empty.

    A listed name reached through a link out of the folder is left alone. Names in ``ignore`` (the folder's lock)
    are neither removed nor reported as kept.
    """
    out = Path(out)
    ignored = set(ignore)
    inside = os.path.realpath(out)
    removed: list[Path] = []
    folders: set[Path] = set()
    for name in sorted(listed, key=lambda n: n == MANIFEST_NAME):  # the list goes last, so a stop can continue
        path = out / name
        if os.path.commonpath([inside, os.path.realpath(path.parent)]) != inside:
            continue  # a folder on the way is a link out of the folder: what it leads to is not ours
        for target in (partial_of(path), path):
            if target.is_symlink() or target.is_file():
                target.unlink()
                removed.append(target)
        parent = path.parent
        while parent != out and out in parent.parents:
            folders.add(parent)
            parent = parent.parent
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        with suppress(OSError):  # not empty (or not there): it holds something that is not ours
            folder.rmdir()
            removed.append(folder)
    kept = sorted(p for p in out.rglob("*") if p.name not in ignored and (p.is_file() or not any(p.iterdir())))
    return Removal(removed, kept)
