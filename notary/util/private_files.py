"""What only the service's user may read: the data dir (0700) and the SQLite database with
its -wal and -shm (0600). The database holds the metadata of every document and the salts
that keep it private; the data dir holds the keys and the local chain.

Directories this creates are 0700 whatever the umask. A data dir that already exists is
the operator's: one others may enter is left as it is and named once in a warning (it may
be shared on purpose, e.g. with a backup user); other existing directories are left alone.
A database file is ours: one others could read is tightened to 0600. SQLite creates -wal
and -shm with the database's own mode, so a database created here (empty, 0600, before
SQLite first opens it) gives 0600 ones too.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
from pathlib import Path

log = logging.getLogger("notary.files")

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
_warned: set[Path] = set()
_lock = threading.Lock()


def private_dir(path: Path, *, data_dir: bool = False) -> Path:
    """`path`, created 0700 (and any missing parent) if it does not exist; an existing
    data dir that others may enter is left as it is, with a warning once per process."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:  # another process made it meanwhile: theirs decides
            continue
        os.chmod(directory, PRIVATE_DIR)  # exactly 0700, whatever the umask took away
    if data_dir and not missing:
        _warn_if_open(path)
    return path


def private_database(path: Path) -> None:
    """Before SQLite opens `path`: its directory made private if missing, the file created
    empty with 0600 if missing, and it and its -wal, -shm and -journal made 0600 if others
    could read them."""
    if not path.parent.exists():
        private_dir(path.parent)
    # Never open an existing database here: closing any descriptor of a file drops every
    # POSIX lock this process holds on it, the locks of SQLite's open connections included,
    # and another process could then write while one of ours believes it holds the lock.
    # O_EXCL opens only a file this call creates, which no connection can have open yet.
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        pass
    except OSError:
        return  # a read-only place, or no right to create: SQLite will say so when it opens
    for file in (path, *(Path(f"{path}{suffix}") for suffix in SQLITE_COMPANIONS)):
        _tighten(file)


def _tighten(file: Path) -> None:
    try:
        current = stat.S_IMODE(file.stat().st_mode)
        if current & 0o077:
            os.chmod(file, current & ~0o077)
    except FileNotFoundError:
        pass
    except PermissionError:  # not our file: nothing to do here, but say so
        log.warning("%s can be read by other users and is not ours to change", file)


def _warn_if_open(path: Path) -> None:
    try:
        current = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return
    if not current & 0o077:
        return
    with _lock:
        resolved = path.resolve()
        if resolved in _warned:
            return
        _warned.add(resolved)
    log.warning(
        "%s (mode %o) lets other users in; it holds keys and the database's private "
        "data: chmod 700 %s",
        path,
        current,
        path,
    )
