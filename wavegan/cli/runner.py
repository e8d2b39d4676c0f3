"""How every script starts and ends: `run(model, doc)` parses the flags, sets up the console before
TensorFlow loads, turns the flags into values, runs the mode through the shared dispatch, and reports a
user's mistake in one sentence instead of a traceback.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import sys
import threading
from typing import Callable, Sequence

from absl import flags

from wavegan import registry, storage
from wavegan.cli import flags as cli_flags
from wavegan.errors import TrainingDiverged, UserError
from wavegan.registry import Settings

# As the user started us, before quiet_tensorflow() sets a default.
_USER_TF_LOG_LEVEL = os.environ.get("TF_CPP_MIN_LOG_LEVEL")


def parse_positionals(argv: Sequence[str], modes: Sequence[str]) -> tuple[str, str]:
    """`script MODE TRAIN_DIR [flags]` → (mode, train_dir)."""
    args = list(argv[1:])
    if len(args) != 2 or args[0] not in modes:
        raise UserError(f"usage: {os.path.basename(argv[0])} {{{','.join(modes)}}} TRAIN_DIR [--flags]; "
                        f"got {' '.join(args) or 'nothing'}.")
    return args[0], args[1]


# TensorFlow's C++ start-up lines. absl prints them before anything can initialise its logging, so
# TF_CPP_MIN_LOG_LEVEL does not hide them; one is an E(rror) line that is only a notice.
TF_CHATTER = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|I\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] .*"
    r"|E\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] oneDNN supports DT_STRING only on platforms with AVX-512.*"
    r"|To enable the following instructions: .* in other operations, rebuild TensorFlow .*")


def setup_logging() -> None:
    """Our messages go to stderr as plain lines. TensorFlow's and absl's start-up chatter is hidden
    unless `--verbosity 0` (or more) or TF_CPP_MIN_LOG_LEVEL=0/1 asks for it; warnings stay. Call it
    after flag parsing and before TensorFlow is imported."""
    logger = logging.getLogger("wavegan")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    from absl import logging as absl_logging

    verbose = flags.FLAGS.is_parsed() and flags.FLAGS["verbosity"].present and flags.FLAGS.verbosity >= 0
    if not verbose:
        absl_logging.set_verbosity(absl_logging.WARNING)  # TensorFlow's Python-side INFO lines
    if verbose or _USER_TF_LOG_LEVEL in ("0", "1"):
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = _USER_TF_LOG_LEVEL or "0"
    else:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = _USER_TF_LOG_LEVEL or "2"
        filter_stderr(TF_CHATTER)


_stderr_filter: dict = {}


def filter_stderr(pattern: re.Pattern) -> None:
    """Passes this process's stderr (file descriptor 2, where C++ libraries write too) through a thread
    that drops the lines matching `pattern`; everything else reaches the real stderr unchanged."""
    if _stderr_filter or not hasattr(os, "pipe"):
        return
    sys.stderr.flush()
    real = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)

    def pump() -> None:
        with os.fdopen(read_end, "rb") as lines:
            for line in lines:
                try:
                    if not pattern.fullmatch(line.decode("utf-8", "replace").rstrip("\r\n")):
                        os.write(real, line)
                except OSError:
                    pass

    thread = threading.Thread(target=pump, name="stderr-filter", daemon=True)
    thread.start()
    _stderr_filter.update(real=real, thread=thread)
    atexit.register(restore_stderr)


def restore_stderr() -> None:
    """Puts the real stderr back and waits for the filter to pass on what was written before."""
    if not _stderr_filter:
        return
    sys.stderr.flush()
    os.dup2(_stderr_filter["real"], 2)  # closes the pipe's last write end: the pump reads to its end
    _stderr_filter["thread"].join(timeout=5)
    _stderr_filter.clear()


def quiet_tensorflow() -> None:
    """Call before importing TensorFlow."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def run(model: str, doc: str) -> None:
    """A script's whole life: `SCRIPT MODE TRAIN_DIR [--flags]` for the model kind registered as `model`.

    The script has defined its flags (wavegan.cli.flags) before calling this. Flags are parsed (with this
    project's --help), the console is set up before TensorFlow loads, the flag values become `Settings`,
    and the kind's mode runs (wavegan.cli.modes); a user's mistake ends in one sentence and exit status 2.
    """
    quiet_tensorflow()
    kind = registry.get(model)

    @report_user_errors
    def main(argv: Sequence[str]) -> None:
        setup_logging()
        mode, train_dir = parse_positionals(argv, kind.modes)
        from wavegan.cli import modes  # after flag parsing and logging: TensorFlow may load from here on

        modes.run_mode(kind, mode, train_dir, settings_from_flags())

    run_script(main, doc, kind.modes, model)


def settings_from_flags(flag_values: flags.FlagValues | None = None) -> Settings:
    """The parsed flags as values: one attribute per flag of the script, `given` (those set on the command
    line) and `flag_values` (all of them by name, for args.txt)."""
    values = cli_flags.flag_values(flag_values)
    return Settings(**values, given=cli_flags.given_flags(flag_values), flag_values=values)


def run_script(main: Callable[[Sequence[str]], None], doc: str, modes: Sequence[str], model: str = "") -> None:
    """absl's app.run with this project's --help, then `exit_now` with main's exit status."""
    from absl import app

    try:
        app.run(main, flags_parser=cli_flags.flags_parser(doc, modes, model))
        status = 0
    except SystemExit as e:
        status = e.code
    if isinstance(status, str):
        sys.stderr.write(status + "\n")
    exit_now(status if isinstance(status, int) else (0 if status is None else 1))


def exit_now(status: int) -> None:
    """Ends the process once its output is out, skipping the interpreter's teardown: after training,
    Python's final garbage collection of TensorFlow's traced graphs (the train step, the export's
    signatures) took 10–60 s with nothing written and nothing left to write (checkpoints, exports and
    summaries are flushed when they are written)."""
    sys.stdout.flush()
    sys.stderr.flush()
    restore_stderr()
    os._exit(status)


def report_user_errors(main: Callable[[Sequence[str]], None]) -> Callable[[Sequence[str]], None]:
    """Wraps an absl main so user mistakes end with one sentence and exit status 2, not a traceback; a flag
    the script declared unused (`declare_unused_flags`) is such a mistake, caught before main runs, and so
    is a write that fails for space or permission (wavegan.storage), wherever it happens."""

    def wrapped(argv: Sequence[str]) -> None:
        try:
            cli_flags.refuse_unused_flags()
            main(argv)
        except UserError as e:
            sys.stderr.write(f"error: {e}\n")
            sys.exit(2)
        except TrainingDiverged as e:
            sys.stderr.write(f"error: training diverged: {e}; the last good checkpoint is kept. "
                             "Lower the learning rate or check the data, then resume.\n")
            sys.exit(3)
        except KeyboardInterrupt:
            sys.stderr.write("Interrupted; rerun the same command to resume from the last checkpoint.\n")
            sys.exit(130)
        except Exception as e:  # a write no site words itself (a full or read-only disk) is a user's to fix too
            failure = storage.failure(e)
            if failure is None:
                raise
            sys.stderr.write(f"error: {failure}\n")
            sys.exit(2)

    return wrapped
