"""TensorBoard event files that say when their disk drops them.

TensorFlow's summary writer ignores a failed write (its events writer discards the error), so on a full
disk summaries vanish without a word, and on a read-only one creating the writer raises. Summaries are
not worth stopping a run that can still checkpoint: `file_writer` warns once and training goes on.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os

import tensorflow as tf

from wavegan import storage

log = logging.getLogger("wavegan")


def event_bytes(log_dir: str) -> int:
    return sum(os.path.getsize(p) for p in glob.glob(os.path.join(glob.escape(log_dir), "events.out.tfevents.*"))
               if os.path.isfile(p))


class CheckedWriter(tf.summary.SummaryWriter):
    """tf.summary's file writer that warns once when what it was given
    to write did not reach the disk: the event files did not grow at a flush after summaries were written."""

    def __init__(self, log_dir: str):
        self.log_dir, self.warned, self.pending = log_dir, False, False
        try:
            self.writer = tf.summary.create_file_writer(log_dir)
        except (tf.errors.OpError, OSError) as e:
            self.writer = tf.summary.create_noop_writer()
            self.warn(e)
        self.size = event_bytes(log_dir)

    def warn(self, error: BaseException | None = None) -> None:
        if self.warned:
            return
        self.warned = True
        number = storage.fault_errno(error) if error is not None else None
        cause = storage.CAUSES[number] if number else "the event file did not grow"
        log.warning("TensorBoard summaries in %s are not being written (%s; %s): training and its checkpoints go "
                    "on; free some space to have them back.", self.log_dir, cause, storage.describe_disk(self.log_dir))

    def set_as_default(self, step=None) -> None:
        self.writer.set_as_default(step)
        self.pending = True

    def init(self):
        return self.writer.init()

    @contextlib.contextmanager
    def as_default(self, step=None):
        with self.writer.as_default(step=step):
            yield self
        self.pending = True

    def flush(self) -> None:
        try:
            self.writer.flush()
        except (tf.errors.OpError, OSError) as e:
            self.warn(e)
            return
        if self.pending:
            size = event_bytes(self.log_dir)
            if size <= self.size:
                self.warn()
            self.size, self.pending = size, False

    def close(self) -> None:
        with contextlib.suppress(tf.errors.OpError, OSError):
            self.writer.close()


def file_writer(log_dir: str) -> CheckedWriter:
    return CheckedWriter(log_dir)
