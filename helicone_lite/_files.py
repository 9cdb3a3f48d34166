"""Private files and directories: 0700 directories, 0600 files, whatever the umask.

Everything helicone_lite keeps on disk (the store, the cache, rate-limit state, the cache
secret) holds prompts, answers or keys to them, so it is created readable by its owner only.
The mode is set explicitly after creation (``chmod``), because the umask can only take bits
away and a umask like ``0o277`` would otherwise leave a file the owner cannot write. SQLite
gives its ``-wal`` and ``-shm`` files the mode of the database file, so creating the database
file here first is enough for them.

A leaf module: it imports nothing of the package.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

__all__ = ["DIR_MODE", "FILE_MODE", "private_dir", "private_file", "read_secret"]

DIR_MODE = 0o700
FILE_MODE = 0o600
SECRET_BYTES = 32


def private_dir(path: Path | str) -> Path:
    """Create ``path`` (and missing parents) as 0700 directories; return it.

    Directories that already exist keep their mode (``home`` may be a directory the user
    chose), except that a directory created here is always exactly 0700.
    """
    path = Path(path)
    missing: list[Path] = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it: keep its mode
            directory.mkdir(mode=DIR_MODE)
            os.chmod(directory, DIR_MODE)
    return path


def private_file(path: Path | str) -> Path:
    """Create ``path`` as an empty 0600 file if it does not exist (its directory 0700).

    An existing file owned by this user is tightened to 0600 if group or others could read it
    (files made by older versions under a 022 umask). Returns ``path``.

    An existing file is never opened here, only stat'ed and chmod'ed by name: these files are
    SQLite databases, and closing *any* descriptor of a file drops every POSIX lock this
    process holds on it, so an ``open``/``close`` while another thread's connection is inside a
    transaction silently releases that transaction's lock (SQLite's "broken POSIX locks";
    seen as "disk I/O error" under concurrent writers). A file this call creates (``O_EXCL``)
    is new and empty: nobody can have locked it yet.
    """
    path = Path(path)
    private_dir(path.parent)
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | nofollow, FILE_MODE)
    except FileExistsError:
        info = os.lstat(path)
        if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) != FILE_MODE and _owned(info):
            os.chmod(path, FILE_MODE)
        return path
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) != FILE_MODE:  # the umask took bits away
            os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return path


def read_secret(path: Path | str) -> bytes:
    """The secret in ``path``, created (32 random bytes, 0600) if missing.

    Creation is atomic across processes: the bytes are written to a private temporary file
    that is then hard-linked into place, so a reader never sees a partial secret and two
    racing creators agree on one. ``ValueError`` if the file is not a usable secret.
    """
    path = Path(path)
    private_dir(path.parent)
    if not path.exists():
        _create_secret(path)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        info = os.fstat(fd)
        if stat.S_IMODE(info.st_mode) & 0o077 and _owned(info):
            os.fchmod(fd, FILE_MODE)
        data = os.read(fd, 4096)
    finally:
        os.close(fd)
    if len(data) < SECRET_BYTES:
        raise ValueError(f"{path} is not a helicone_lite secret (too short)")
    return data


def _create_secret(path: Path) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        os.write(fd, secrets.token_bytes(SECRET_BYTES))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process won the race: use its secret
    finally:
        os.unlink(temporary)


def _owned(info: os.stat_result) -> bool:
    getuid = getattr(os, "getuid", None)
    return getuid is None or info.st_uid == getuid()
