"""The one exception type for mistakes a user can fix (bad flag, empty folder, missing file).

The train scripts print its message as a single sentence instead of a traceback.
"""


class UserError(Exception):
    """A problem with the user's input; the message names the fix."""


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; raised before any checkpoint of that state is written."""
