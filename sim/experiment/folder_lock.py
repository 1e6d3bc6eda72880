"""One command at a time in an output folder: a lock file made with O_CREAT|O_EXCL, holding its pid and host.

Two runs writing into one folder delete and rename each other's files. So a command that writes into a folder
first creates ``DIR/.fjsim.lock`` exclusively (the operating system lets exactly one process create it), writes its
process id, host and command line into it, and removes it when it ends, whatever the ending. A second command finds
the lock and stops with a message naming the first.

A lock whose process is gone (same host, no such pid: the run was killed with SIGKILL, or the machine restarted)
is stale and is taken over. Taking over is itself guarded by a second exclusive file, ``.fjsim.lock.takeover``:
only the process that creates it may delete the stale lock, and only after reading it again and finding it
unchanged; the new lock is then made exclusively like any other, so two processes that both found the lock stale
cannot both end up holding it. A lock from another host cannot be checked, so it is reported, never taken over.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path
from types import TracebackType

from sim.experiment.owned_files import RunDirectoryError, now_iso

LOCK_NAME = ".fjsim.lock"
TAKEOVER_NAME = ".fjsim.lock.takeover"
LOCK_FILES = (LOCK_NAME, TAKEOVER_NAME)
"""Files of the lock, never results: an emptiness check and --force ignore them."""
BEING_WRITTEN_RETRIES = 20
BEING_WRITTEN_WAIT_SECONDS = 0.05
"""A lock file just created is empty until its holder writes it: look again this often before calling it unreadable."""


class FolderLockedError(RunDirectoryError):
    """Another command is writing into the folder."""


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine (one we may not signal exists too)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


class FolderLock:
    """``with FolderLock(folder):`` holds the folder's lock for the block (the folder must exist)."""

    def __init__(self, folder: str | Path, command: list[str] | None = None) -> None:
        self.path = Path(folder) / LOCK_NAME
        self.takeover = Path(folder) / TAKEOVER_NAME
        self.text = json.dumps(
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "started": now_iso(),
                "command": list(sys.argv if command is None else command),
            }
        )
        self.held = False

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()

    def acquire(self) -> None:
        for _ in range(3):  # a stale lock taken over, or one that vanished while we read it: try again
            if self._create():
                return
            holder = self._read_holder()
            if holder is None:
                continue
            if not self._stale(holder):
                raise FolderLockedError(self._busy_message(holder))
            self._take_over(holder)
        raise FolderLockedError(f"{self.path.parent} is locked by {self.path} and it could not be taken over")

    def release(self) -> None:
        """Remove the lock if it is still ours."""
        if not self.held:
            return
        self.held = False
        try:
            if self.path.read_text(encoding="utf-8") == self.text:
                self.path.unlink()
        except OSError:
            pass

    # ------------------------------------------------------------------------------------------ internals
    def _create(self) -> bool:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        try:
            os.write(fd, self.text.encode("utf-8"))
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            self.path.unlink(missing_ok=True)
            raise
        os.close(fd)
        self.held = True
        return True

    def _read_holder(self) -> dict | None:
        """The lock's contents; None if it has gone meanwhile. Empty for a while means it is being written."""
        for _ in range(BEING_WRITTEN_RETRIES):
            try:
                text = self.path.read_text(encoding="utf-8")
            except FileNotFoundError:
                return None
            if text:
                break
            time.sleep(BEING_WRITTEN_WAIT_SECONDS)
        try:
            holder = json.loads(text)
        except ValueError:
            holder = None
        if not isinstance(holder, dict):
            raise FolderLockedError(
                f"{self.path.parent} is locked by {self.path}, which cannot be read; if no command is writing there, "
                "delete that file"
            )
        holder["_text"] = text
        return holder

    def _stale(self, holder: dict) -> bool:
        pid = holder.get("pid")
        return holder.get("host") == socket.gethostname() and isinstance(pid, int) and not process_alive(pid)

    def _busy_message(self, holder: dict) -> str:
        command = holder.get("command")
        what = " ".join(str(c) for c in command) if isinstance(command, list) else "a command"
        return (
            f"{self.path.parent} is in use by another command (pid {holder.get('pid')} on {holder.get('host')}, "
            f"started {holder.get('started')}: {what}); wait for it to finish or choose another --out. If that "
            f"command has gone, delete {self.path}"
        )

    def _take_over(self, holder: dict) -> None:
        try:
            fd = os.open(self.takeover, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            raise FolderLockedError(
                f"{self.path.parent}: another command is taking over its stale lock; try again in a moment (if "
                f"none is, delete {self.takeover})"
            ) from None
        try:
            try:
                unchanged = self.path.read_text(encoding="utf-8") == holder["_text"]
            except FileNotFoundError:
                unchanged = False
            if unchanged:
                self.path.unlink()
        finally:
            os.close(fd)
            self.takeover.unlink(missing_ok=True)
