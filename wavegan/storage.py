"""Storage faults as one sentence: a write that failed because its disk is full, read-only or not writable
by this user, with the disk, its free space and what to do; and the free-space arithmetic of a run.

The faults reach us as `OSError` (errno ENOSPC, EDQUOT, EROFS, EACCES, EPERM) from Python's own writes and
as TensorFlow errors (`ResourceExhaustedError`, `PermissionDeniedError`, ...) whose message carries the
C library's text (`<path>; No space left on device`). TensorFlow's `ResourceExhaustedError` also means
"out of accelerator memory"; only its disk messages count here. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import errno as errnos
import os
import re
import shutil

from wavegan.errors import StorageError

# errno → the C library's text, which TensorFlow's messages carry.
CAUSES = {errnos.ENOSPC: "No space left on device", errnos.EDQUOT: "Disk quota exceeded",
          errnos.EROFS: "Read-only file system", errnos.EACCES: "Permission denied",
          errnos.EPERM: "Operation not permitted"}
SPACE = (errnos.ENOSPC, errnos.EDQUOT)
KEEP_FLAG = "--train_keep_checkpoints"
_TF_PATH = re.compile(r"(?:^|\s|})(/?[^\s;{}]+); (?:" + "|".join(map(re.escape, CAUSES.values())) + ")")


def fault_errno(error: BaseException) -> int | None:
    """The storage cause of `error` (an errno in CAUSES), or None when it is something else."""
    if isinstance(error, StorageError):
        return error.errno
    if isinstance(error, OSError) and error.errno in CAUSES:
        return error.errno
    if isinstance(error, OSError) or type(error).__module__.startswith("tensorflow"):
        text = str(error)
        for number, phrase in CAUSES.items():
            if phrase in text:
                return number
    return None


def failed_path(error: BaseException) -> str | None:
    """The file or folder a failed write named, where the error says."""
    if isinstance(error, OSError) and error.filename:
        return os.fsdecode(error.filename)
    match = _TF_PATH.search(str(error))
    return match.group(1) if match else None


def existing_ancestor(path: str) -> str:
    path = os.path.abspath(path)
    while not os.path.exists(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    return path


def mount_point(path: str) -> str:
    path = existing_ancestor(path)
    while not os.path.ismount(path):
        path = os.path.dirname(path)
    return path


def free_bytes(path: str) -> int:
    """Bytes this user may still write on the disk holding `path` (or its nearest existing folder)."""
    return shutil.disk_usage(existing_ancestor(path)).free


def format_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" or n >= 100 else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def describe_disk(path: str) -> str:
    """'the disk mounted at /data has 1.2 MB free'."""
    try:
        return f"the disk mounted at {mount_point(path)} has {format_bytes(free_bytes(path))} free"
    except OSError:
        return f"the disk of {path} cannot be inspected"


def what_to_do(number: int, folder: str, space_hint: str = "free some space") -> str:
    """The fix for a fault: space, a read-only file system, or permission."""
    if number in SPACE:
        return space_hint
    if number == errnos.EROFS:
        return f"remount {mount_point(folder)} read-write or use a folder on another disk"
    return f"make {folder} writable for this user or use another folder"


def failure(error: BaseException, doing: str | None = None, path: str | None = None,
            advice: str | None = None) -> StorageError | None:
    """`error` as one sentence when it is a storage fault, else None. `doing` is what was being written
    ('saving ./train/model.ckpt-12'; by default 'writing' and the path the error names); `path` is where
    (the error's own path when not given); `advice` replaces the generic 'free some space, then rerun' (or
    its permission form)."""
    number = fault_errno(error)
    if number is None:
        return None
    if isinstance(error, StorageError):
        return error
    named = failed_path(error)
    where = path or named or "."
    doing = doing or (f"writing {named}" if named else "writing")
    fault = f"{CAUSES[number]} while {doing} ({describe_disk(where)})"
    folder = where if os.path.isdir(where) else os.path.dirname(os.path.abspath(where))
    return StorageError(f"{fault}: {advice or what_to_do(number, folder) + ', then rerun'}.", fault, number)


def remove_quietly(*paths: str) -> None:
    """Removes files or folders a failed write left; a path that is gone (or cannot go) is left alone."""
    for path in paths:
        try:
            shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.remove(path)
        except OSError:
            pass


def space_warning(folder: str, needed: int, what: str, flag: str = KEEP_FLAG) -> str | None:
    """A warning when the disk of `folder` has less free than `needed` bytes (described by `what`)."""
    try:
        free = free_bytes(folder)
    except OSError:
        return None
    if free >= needed:
        return None
    return (f"The disk of {folder} (mounted at {mount_point(folder)}) has {format_bytes(free)} free, but this run "
            f"will write about {format_bytes(needed)} more ({what}): free some space or keep fewer checkpoints "
            f"with {flag} (1 keeps only the newest); a save that finds the disk full stops the run and keeps "
            "the newest complete checkpoint.")
