"""The exception types for what a user can fix (bad flag, empty folder, missing file, full disk).

The train scripts print their message as a single sentence instead of a traceback.
"""


class UserError(Exception):
    """A problem with the user's input; the message names the fix."""


class StorageError(UserError):
    """A write failed because its disk is full, read-only or not writable by this user (wavegan/storage.py).

    `fault` is the part that says what failed, why, and the disk with its free space; the message adds what
    to do. `errno` is the cause (ENOSPC, EDQUOT, EROFS, EACCES, EPERM), so a caller that knows more (the
    train loop: where a rerun resumes) can say it with the same fault.
    """

    def __init__(self, message: str, fault: str = "", errno: int | None = None):
        super().__init__(message)
        self.fault = fault or message
        self.errno = errno


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; raised before any checkpoint of that state is written."""
