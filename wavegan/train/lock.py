"""One writer per train dir: a train run holds `TRAIN_DIR/train.lock` for its lifetime.

The lock is the operating system's (`fcntl.flock`), so it dies with the process: a run killed with
SIGKILL, or a machine that rebooted, leaves a file but no lock, and the next run takes it without asking.
Linux's NFS client maps flock onto NFS byte-range locks, so a train dir on storage shared by several
machines is covered too. The holder writes its process id, host, start time and command into the file,
so that a second `train` is refused with one sentence naming the run that holds it. Where the file
system has no locks at all, the holder's record decides: a process that is gone (same host, and no
reboot since: the boot id) is stale.

Readers (preview, generate, infer, web, backup.py, ...) never take it: everything a trainer writes is
written under a temporary name and renamed when whole. `exclusive` is the same lock, waited for instead
of refused: two writers of one export folder (training and `infer`) take turns.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import fcntl
import json
import os
import socket
import sys
from typing import Iterator

from wavegan import storage
from wavegan.errors import UserError

LOCK_FILE = "train.lock"
NO_LOCKS = (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL)


def boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            return f.read().strip()
    except OSError:
        return ""


def holder_record() -> dict:
    return {"pid": os.getpid(), "host": socket.gethostname(), "boot": boot_id(),
            "started": datetime.datetime.now().isoformat(timespec="seconds"),
            "command": " ".join([os.path.basename(sys.argv[0] or "python"), *sys.argv[1:]])}


def read_record(path: str) -> dict:
    try:
        with open(path) as f:
            record = json.load(f)
        return record if isinstance(record, dict) else {}
    except (OSError, ValueError):
        return {}


def describe_holder(record: dict) -> str:
    if not record.get("pid"):
        return "another process (it has not written its name yet)"
    command = f" (`{record['command']}`)" if record.get("command") else ""
    return (f"process {record['pid']} on host {record.get('host', '?')}{command}, started "
            f"{record.get('started', 'at an unknown time')}")


def is_stale(record: dict) -> bool:
    """Without an OS lock: is the recorded holder surely gone? Yes for no record, for a pid of this host
    that no longer runs, or one from before this host's last reboot; a holder on another host cannot be
    checked, so it is not."""
    if not record.get("pid"):
        return True
    if record.get("host") != socket.gethostname():
        return False
    if record.get("boot") and record.get("boot") != boot_id():
        return True
    try:
        os.kill(int(record["pid"]), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError):
        return False
    return False


def lock_file(path: str, wait: bool) -> int | None:
    """An open descriptor of `path` (made if missing) holding its OS lock; None when another process holds
    it and `wait` is false. Raises OSError with an errno in NO_LOCKS where the file system has no locks.

    A holder removes the file while still holding it (`unlock_file`): whoever locked the removed file
    checks that the path still names it, and starts over if not."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        if same_file(path, fd):
            return fd
        os.close(fd)


def same_file(path: str, fd: int) -> bool:
    try:
        named, held = os.stat(path), os.fstat(fd)
        return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)
    except FileNotFoundError:
        return False


def unlock_file(path: str, fd: int) -> None:
    with contextlib.suppress(OSError):
        if same_file(path, fd):
            os.remove(path)
    os.close(fd)


class TrainDirLock:
    """`with TrainDirLock(train_dir):` the body runs as the train dir's one writer, or UserError at once."""

    def __init__(self, train_dir: str):
        self.train_dir = train_dir
        self.path = os.path.join(train_dir, LOCK_FILE)
        self.fd: int | None = None
        self.created_dir = False

    def refusal(self, record: dict) -> UserError:
        return UserError(f"{self.train_dir} is already being trained by {describe_holder(record)}: one run writes "
                         "a train dir at a time, so stop that run first (or choose another train_dir); preview, "
                         "generate, infer and backup.py may read it while it trains.")

    def acquire(self) -> "TrainDirLock":
        try:
            self.created_dir = not os.path.isdir(self.train_dir)
            os.makedirs(self.train_dir, exist_ok=True)
            try:
                self.fd = lock_file(self.path, wait=False)
            except OSError as e:
                if e.errno not in NO_LOCKS:
                    raise
                self.check_record()  # a file system without locks: the holder's record decides
                self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            if self.fd is None:
                raise self.refusal(read_record(self.path))
            record = json.dumps(holder_record()).encode()
            os.ftruncate(self.fd, 0)
            os.pwrite(self.fd, record, 0)
        except OSError as e:
            self.release()
            raise storage.failure(e, f"taking the lock {self.path}", self.path) or e
        except UserError:
            self.release()
            raise
        return self

    def check_record(self) -> None:
        record = read_record(self.path)
        if is_stale(record):
            return
        if record.get("host") != socket.gethostname():
            raise UserError(f"{self.train_dir} is marked as being trained by {describe_holder(record)}, and its file "
                            f"system has no locks to tell whether that run still lives: stop it first, or delete "
                            f"{self.path} if it is gone.")
        raise self.refusal(record)

    def release(self) -> None:
        """Lets go of the lock and removes its file; the train dir too when this run made it and left nothing
        else there (a start that failed)."""
        if self.fd is not None:
            unlock_file(self.path, self.fd)
            self.fd = None
        if self.created_dir:
            with contextlib.suppress(OSError):
                os.rmdir(self.train_dir)

    def __enter__(self) -> "TrainDirLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


@contextlib.contextmanager
def exclusive(path: str) -> Iterator[None]:
    """Holds the OS lock of the file `path`, waiting for any other holder: for writers that may meet but
    must take turns (training's export and `infer`). Where locks are not supported it goes on unlocked."""
    try:
        fd = lock_file(path, wait=True)
    except OSError as e:
        if e.errno not in NO_LOCKS:
            raise
        fd = None
    try:
        yield
    finally:
        if fd is not None:
            unlock_file(path, fd)
