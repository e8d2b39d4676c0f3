"""fit() callbacks of the train mode: timed checkpoints, TensorBoard summaries, progress, step limit,
graceful stop on SIGTERM/SIGINT.

All of them count in generator updates (`trainer.step`), which is what the original called a step.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from typing import Callable, Iterator

import keras
import numpy as np
import tensorflow as tf

from wavegan.errors import TrainingDiverged
from wavegan.train import checkpoints

log = logging.getLogger("wavegan")

# The original's summary names, plus the two WGAN-GP terms it did not log.
SCALAR_NAMES = {"d_loss": "D_loss", "g_loss": "G_loss", "gradient_penalty": "gradient_penalty",
                "wasserstein": "wasserstein"}


def scalar(value) -> float:
    """A logged loss as a float; multi-worker training logs them with shape [1] (see trainer_tf)."""
    return float(np.asarray(value).reshape(()))


class _Every:
    """True at most once per `seconds` of wall time (0: every time)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.last = time.monotonic()

    def due(self) -> bool:
        now = time.monotonic()
        if now - self.last >= self.seconds:
            self.last = now
            return True
        return False


class TimedCheckpoint(keras.callbacks.Callback):
    """Saves `model.ckpt-<step>` every `save_secs` and when training ends; the manager keeps the newest
    --train_keep_checkpoints.

    `on_saved(path, step)` runs after each save (the train mode refreshes the SavedModel export there).
    """

    def __init__(self, manager: tf.train.CheckpointManager, step: tf.Variable, save_secs: float,
                 on_saved: Callable[[str, int], None] | None = None):
        super().__init__()
        self.manager, self.step, self.timer = manager, step, _Every(save_secs)
        self.on_saved = on_saved
        self.saved_step = None

    def save(self) -> None:
        step = int(self.step.numpy())
        if step != self.saved_step:
            path = checkpoints.save(self.manager, step)  # a full disk: StorageError, temporaries removed
            self.saved_step = step
            log.info("Saved checkpoint %s", path)
            if self.on_saved is not None:
                self.on_saved(path, step)

    def on_train_begin(self, logs=None):
        self.saved_step = int(self.step.numpy()) if self.manager.latest_checkpoint else None

    def on_train_batch_end(self, batch, logs=None):
        if self.timer.due():
            self.save()

    def on_train_end(self, logs=None):
        self.save()


def rms(audio: np.ndarray) -> np.ndarray:
    """Per-example RMS of channel 0, as the original's x_rms/G_z_rms."""
    return np.sqrt(np.mean(np.square(audio[:, :, 0]), axis=1))


class ScalarSummaries(keras.callbacks.Callback):
    """Every `summary_secs` (and at the end): the named losses and steps/s as TensorBoard scalars; a
    subclass adds its own summaries in `write_more`."""

    def __init__(self, writer: tf.summary.SummaryWriter, step: tf.Variable, summary_secs: float,
                 names: dict[str, str]):
        super().__init__()
        self.writer, self.step, self.timer, self.names = writer, step, _Every(summary_secs), names
        self.last_logs, self.written_step, self.rate_mark = None, None, None

    def on_train_begin(self, logs=None):
        self.rate_mark = (time.monotonic(), int(self.step.numpy()))

    def on_train_batch_end(self, batch, logs=None):
        self.last_logs = logs
        if self.timer.due():
            self.write(logs)

    def on_train_end(self, logs=None):
        if self.last_logs is not None and self.written_step != int(self.step.numpy()):
            self.write(self.last_logs)
        self.writer.flush()

    def write(self, logs) -> None:
        step, now = int(self.step.numpy()), time.monotonic()
        then, then_step = self.rate_mark
        with self.writer.as_default(step=step):
            for key, name in self.names.items():
                if logs and key in logs:
                    tf.summary.scalar(name, scalar(logs[key]))
            if now > then and step > then_step:
                tf.summary.scalar("global_step/sec", (step - then_step) / (now - then))
            self.write_more(step)
        self.writer.flush()
        self.rate_mark, self.written_step = (now, step), step

    def write_more(self, step: int) -> None:
        """Summaries beyond the scalars, written inside the writer's scope at `step`."""


class AudioSummaries(ScalarSummaries):
    """Every `summary_secs`: losses, RMS scalars and histograms, and a few real and generated clips.

    `real_batches` yields real audio batches [batch, time, channels] from the same pipeline as
    training. For a GAN whose critic sees something else (SpecGAN: spectrograms), `x` and `G_z` are
    what the renderer makes of the critic's input and the generator's output (Griffin-Lim audio), the
    raw real audio goes to `x_wav`, and images `x` / `G_z` are added.

    With `classes` (a conditional run) `real_batches` yields (audio, labels), `G_z` is generated for the
    real batch's labels, and the clips are also grouped by class: `G_z/<class>` for every class.
    """

    def __init__(self, writer: tf.summary.SummaryWriter, step: tf.Variable, summary_secs: float,
                 generator: keras.Model, latent_dim: int, real_batches: Iterator, sample_rate: int,
                 kind, max_outputs: int = 3, classes: list[str] | None = None):
        super().__init__(writer, step, summary_secs, SCALAR_NAMES)
        self.classes = list(classes or [])
        self.generator, self.latent_dim, self.real_batches = generator, latent_dim, real_batches
        self.sample_rate, self.max_outputs, self.kind = sample_rate, max_outputs, kind

    def write_more(self, step: int) -> None:
        renderer, real_wav = self.kind.renderer, next(self.real_batches)
        given = {}
        if self.classes:
            real_wav, real_labels = real_wav
            given = {"labels": np.asarray(real_labels)}
        real_wav = np.asarray(real_wav)
        z = np.random.uniform(-1.0, 1.0, (real_wav.shape[0], self.latent_dim)).astype(np.float32)
        # Batch statistics, as the original's summaries (they showed the training graph's G_z), without
        # moving the moving averages an extra time: the updated state of a stateless call is dropped.
        generated, _ = self.generator.stateless_call([v.value for v in self.generator.trainable_variables],
                                                     [v.value for v in self.generator.non_trainable_variables],
                                                     z, training=True, **given)
        fake = np.asarray(renderer.to_audio(generated, *renderer.defaults))
        images = {}
        if self.kind.to_critic_input is not None:
            critic_real = self.kind.to_critic_input(real_wav)
            real = np.asarray(renderer.to_audio(critic_real, *renderer.defaults))
            images = {"x": renderer.to_image(critic_real[: self.max_outputs]),
                      "G_z": renderer.to_image(generated[: self.max_outputs])}
        else:
            real = real_wav
        for name, batch in (("x", real), ("G_z", fake)):
            tf.summary.scalar(f"{name}_rms", float(np.mean(rms(batch))))
            tf.summary.histogram(f"{name}_rms_batch", rms(batch))
            tf.summary.audio(name, np.clip(batch[: self.max_outputs], -1.0, 1.0), self.sample_rate,
                             max_outputs=self.max_outputs)
        if images:
            tf.summary.audio("x_wav", real_wav[: self.max_outputs], self.sample_rate, max_outputs=self.max_outputs)
        if self.classes:
            self.write_by_class(z[: self.max_outputs])
        for name, image in images.items():
            if image is not None:
                tf.summary.image(name, image, max_outputs=self.max_outputs)

    def write_by_class(self, z: np.ndarray) -> None:
        """The same latents rendered as every class, one audio summary per class (inside the writer's scope)."""
        renderer = self.kind.renderer
        for index, name in enumerate(self.classes):
            labels = np.full(len(z), index, np.int32)
            audio = np.asarray(renderer.to_audio(self.generator(z, labels=labels, training=False), *renderer.defaults))
            tf.summary.audio(f"G_z/{name}", np.clip(audio, -1.0, 1.0), self.sample_rate, max_outputs=len(z))



def format_duration(seconds: float) -> str:
    """h:mm:ss (hours may pass 24)."""
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}"


class Progress(keras.callbacks.Callback):
    """One line every `every_secs`: step, seconds per step, examples per second (the real examples the
    critic reads: `examples_per_step` = batch × critic updates), the time left to `max_steps` when
    there is one, steps/s and the losses.

    The time left uses the mean rate since the first line, which leaves out the first step's tracing."""

    def __init__(self, step: tf.Variable, every_secs: float = 30.0, print_fn: Callable[[str], None] = print,
                 examples_per_step: int | None = None, max_steps: int | None = None,
                 names: dict[str, str] | None = None):
        super().__init__()
        self.step, self.timer, self.print_fn = step, _Every(every_secs), print_fn
        self.examples_per_step, self.max_steps = examples_per_step, max_steps
        self.names = SCALAR_NAMES if names is None else names  # logs key → printed name
        self.mark = self.first = None

    def on_train_begin(self, logs=None):
        self.mark = (time.monotonic(), int(self.step.numpy()))
        self.first = None
        self.timer.last = 0.0  # report the first step: it shows training has started

    def on_train_batch_end(self, batch, logs=None):
        if self.timer.due():
            self.report(logs)

    def on_train_end(self, logs=None):
        if int(self.step.numpy()) != self.mark[1]:
            self.report(logs)

    def report(self, logs) -> None:
        now, step = time.monotonic(), int(self.step.numpy())
        then, then_step = self.mark
        rate = (step - then_step) / (now - then) if now > then else 0.0
        parts = [f"step {step}" if self.max_steps is None else f"step {step}/{self.max_steps}"]
        if rate > 0:
            parts.append(f"{1 / rate:.2f} s/step")
            if self.examples_per_step:
                parts.append(f"{rate * self.examples_per_step:.1f} examples/s")
        if self.max_steps is not None:
            first_time, first_step = self.first or (then, then_step)
            mean_rate = (step - first_step) / (now - first_time) if step > first_step and now > first_time else rate
            if mean_rate > 0:
                parts.append(f"ETA {format_duration(max(0, self.max_steps - step) / mean_rate)}")
        parts.append(f"{rate:.3f} steps/s")
        losses = "  ".join(f"{name} {scalar(logs[key]):.4f}" for key, name in self.names.items()
                           if logs and key in logs)
        self.print_fn("  ".join(parts + ([losses] if losses else [])))
        self.mark = (now, step)
        self.first = self.first or (now, step)


class StopAtStep(keras.callbacks.Callback):
    """Ends fit() once the generator has made `max_steps` updates in total (across resumes)."""

    def __init__(self, step: tf.Variable, max_steps: int):
        super().__init__()
        self.step, self.max_steps = step, max_steps

    def on_train_batch_end(self, batch, logs=None):
        if int(self.step.numpy()) >= self.max_steps:
            self.model.stop_training = True


class StopOnSignal(keras.callbacks.Callback):
    """SIGTERM or SIGINT (Ctrl-C) ends training after the current step, so the checkpoint written when
    training ends holds that step (a scheduler's kill or `timeout` loses nothing). A second signal
    stops at once.

    Python runs signal handlers in the main thread, which is inside TensorFlow for a whole step (a
    minute at the paper's size on a CPU). So the signal is also written to a pipe (signal.set_wakeup_fd)
    that a thread of ours watches: it says at once what is being waited for, and ends the process on the
    second signal, as a checkpoint is safe to interrupt."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self, print_fn: Callable[[str], None] = print):
        super().__init__()
        self.print_fn = print_fn
        self.previous: dict = {}
        self.received = None
        self.step_started = self.last_step_secs = None
        self._wakeup = None  # (read fd, write fd, previous wakeup fd)
        self._count = 0

    def _message(self, name: str) -> str:
        now = time.monotonic()
        timing = []
        if self.step_started is not None:
            timing.append(f"running for {now - self.step_started:.0f} s")
        if self.last_step_secs is not None:
            timing.append(f"the last took {self.last_step_secs:.0f} s")
        timing = f" ({'; '.join(timing)})" if timing else ""
        return (f"{name} received: finishing the current step{timing}, then saving a checkpoint and exporting "
                "the generator (send it again to stop at once).")

    def _handle(self, signum, frame):
        self.received = signal.Signals(signum).name
        for sig, handler in self.previous.items():  # the next signal gets the old behaviour
            signal.signal(sig, handler)
        if self._wakeup is None:  # nobody has said it yet
            self.print_fn(self._message(self.received))

    def _watch(self, read_fd: int) -> None:
        while True:
            try:
                data = os.read(read_fd, 64)
            except OSError:
                return
            if not data:
                return
            for signum in data:
                if signum not in [int(s) for s in self.SIGNALS]:
                    continue
                self._count += 1
                name = signal.Signals(signum).name
                if self._count == 1:
                    self.print_fn(self._message(name))
                    sys.stdout.flush()
                else:
                    self.print_fn(f"{name} received again: stopping now; the newest complete checkpoint is kept.")
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os._exit(128 + signum)

    def on_train_begin(self, logs=None):
        if threading.current_thread() is not threading.main_thread():  # handlers can only be set there
            return
        self.previous = {sig: signal.signal(sig, self._handle) for sig in self.SIGNALS}
        read_fd, write_fd = os.pipe()
        os.set_blocking(write_fd, False)
        try:
            previous = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        except ValueError:
            os.close(read_fd), os.close(write_fd)
            return
        self._wakeup = (read_fd, write_fd, previous)
        threading.Thread(target=self._watch, args=(read_fd,), name="signal-watch", daemon=True).start()

    def on_train_batch_begin(self, batch, logs=None):
        self.step_started = time.monotonic()

    def on_train_batch_end(self, batch, logs=None):
        if self.step_started is not None:
            self.last_step_secs = time.monotonic() - self.step_started
        self.step_started = None
        if self.received:
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.received is None:
            for sig, handler in self.previous.items():
                signal.signal(sig, handler)
        if self._count == 0:  # after a first signal, keep watching for a second during the final save
            self.close()

    def close(self) -> None:
        """Gives signals back to Python alone and ends the watcher."""
        if self._wakeup is not None:
            read_fd, write_fd, previous = self._wakeup
            signal.set_wakeup_fd(previous)
            os.close(write_fd)  # the watcher reads the end of its pipe and returns
            self._wakeup = None


class NanGuard(keras.callbacks.Callback):
    """Stops training at the first non-finite loss. Listed first, so no later callback saves that state."""

    def __init__(self, step: tf.Variable):
        super().__init__()
        self.step = step

    def on_train_batch_end(self, batch, logs=None):
        bad = sorted(k for k, v in (logs or {}).items() if not np.isfinite(scalar(v)))
        if bad:
            raise TrainingDiverged(f"{', '.join(bad)} became non-finite at step {int(self.step.numpy())}")
