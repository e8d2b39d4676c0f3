"""wavegan.train.callbacks: the progress line, the acknowledgement of a signal during a step, the audio
summaries on batch statistics."""

import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from tests import helpers
from wavegan.models import WaveGANGenerator
from wavegan.models.kind import wavegan_gan
from wavegan.train import callbacks


class FakeStep:
    def __init__(self):
        self.value = 0

    def numpy(self):
        return np.int64(self.value)


def test_progress_line_gives_seconds_per_step_examples_per_second_and_time_left(monkeypatch):
    clock = {"now": 1000.0}
    monkeypatch.setattr(callbacks.time, "monotonic", lambda: clock["now"])
    step, lines = FakeStep(), []
    progress = callbacks.Progress(step, every_secs=0, print_fn=lines.append, examples_per_step=64 * 5,
                                  max_steps=100)
    progress.on_train_begin()
    clock["now"] += 50.0  # the first step also traces the graph
    step.value = 1
    progress.on_train_batch_end(0, {"d_loss": np.float32(-1.5)})
    clock["now"] += 60.0  # then two steps of 30 s
    step.value = 3
    progress.on_train_batch_end(2, {"d_loss": np.float32(-1.25)})
    assert lines[0].startswith("step 1/100  50.00 s/step  6.4 examples/s  ETA 1:22:30  0.020 steps/s")
    # 97 steps left at the rate since the first line (30 s/step): 48 min 30 s.
    assert lines[1] == "step 3/100  30.00 s/step  10.7 examples/s  ETA 0:48:30  0.033 steps/s  D_loss -1.2500"


def test_progress_line_without_a_step_limit_has_no_eta(monkeypatch):
    clock = {"now": 0.0}
    monkeypatch.setattr(callbacks.time, "monotonic", lambda: clock["now"])
    step, lines = FakeStep(), []
    progress = callbacks.Progress(step, every_secs=0, print_fn=lines.append, examples_per_step=16)
    progress.on_train_begin()
    clock["now"], step.value = 4.0, 2
    progress.on_train_batch_end(1, {})
    assert lines == ["step 2  2.00 s/step  8.0 examples/s  0.500 steps/s"]
    assert callbacks.format_duration(3 * 3600 + 4 * 60 + 5.4) == "3:04:05"


@pytest.mark.slow
def test_a_signal_is_acknowledged_while_a_step_is_still_running():
    """Inside fit() the main thread is in TensorFlow for a whole step (a minute at the paper's size on a
    CPU) and Python's handler runs only after it: the acknowledgement must not wait for the step."""
    import os
    import signal
    import subprocess
    import threading
    import time

    import keras
    import tensorflow as tf

    class LongStep(keras.Model):
        def __init__(self):
            super().__init__()
            # How many products a step makes: set after the first step so that one lasts ~3 s on any machine.
            self.work = tf.Variable(4000, trainable=False)

        def train_step(self, *data):  # a few seconds of work in one step
            data = tf.nest.flatten(data)[0]
            y = tf.while_loop(lambda i, y: i < self.work, lambda i, y: (i + 1, tf.tanh(y @ y) / 50.0), (0, data))[1]
            return {"value": tf.reduce_mean(y)}

    lines, times = [], {}

    class Clock(keras.callbacks.Callback):
        """Signals during the second step: the first one traces (Python), the second runs in TensorFlow."""

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
            times[f"epoch {epoch}"] = time.monotonic()

        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:  # the first step (tracing included) calibrates the second: about 3 s of work
                elapsed = time.monotonic() - times["epoch 0"]
                self.model.work.assign(int(4000 * max(1.0, 3.0 / max(elapsed, 1e-3))))

        def on_train_batch_begin(self, batch, logs=None):
            if self.epoch == 1:
                times["begin"] = time.monotonic()
                threading.Timer(0.3, subprocess.run, (["kill", "-INT", str(os.getpid())],)).start()

        def on_train_batch_end(self, batch, logs=None):
            if self.epoch == 1:
                times["end"] = time.monotonic()

    # What fit() must leave behind: the handler in place before it (a shell's background job starts with
    # SIGINT ignored, an interactive run with Python's default).
    handler_before = signal.getsignal(signal.SIGINT)
    stop = callbacks.StopOnSignal(print_fn=lambda line: lines.append((time.monotonic(), line)))
    model = LongStep()
    model.compile(run_eagerly=False)
    x = tf.random.stateless_uniform((1, 256, 256), (0, 0))
    try:
        model.fit(x, epochs=3, steps_per_epoch=1, verbose=0, callbacks=[stop, Clock()])
    finally:
        getattr(stop, "close", lambda: None)()  # (older StopOnSignal had none)
    assert times["end"] - times["begin"] > 1.0, "the step was too short to tell"
    acknowledged = [t for t, line in lines if line.startswith("SIGINT received")]
    assert len(acknowledged) == 1 and acknowledged[0] < times["end"], (lines, times)
    assert stop.received == "SIGINT" and model.stop_training  # and training stopped after that step
    assert signal.getsignal(signal.SIGINT) is handler_before


def test_summaries_render_g_z_on_batch_statistics_without_moving_the_averages(tmp_path):
    g = WaveGANGenerator(dim=2, batchnorm=True)
    g.build((None, 100))
    for layer in [g.z_project_bn] + [bn for bn in g.upconv_bns if bn is not None]:
        layer.moving_mean.assign(np.full(layer.moving_mean.shape, 5.0, np.float32))  # inference mode ≠ training
    moving = [v.numpy().copy() for v in g.non_trainable_variables]
    writer = tf.summary.create_file_writer(str(tmp_path))
    real = iter([np.zeros((4, 16384, 1), np.float32)])
    summaries = callbacks.AudioSummaries(writer, tf.Variable(7, dtype=tf.int64), 0, g, 100, real, 16000,
                                         wavegan_gan())
    summaries.on_train_begin()
    np.random.seed(0)
    summaries.write({"d_loss": 1.0})
    np.random.seed(0)
    z = np.random.uniform(-1.0, 1.0, (4, 100)).astype(np.float32)
    for before, v in zip(moving, g.non_trainable_variables):
        np.testing.assert_array_equal(before, v.numpy())
    train_rms = np.mean(callbacks.rms(ops.convert_to_numpy(g(z, training=True))))
    infer_rms = np.mean(callbacks.rms(ops.convert_to_numpy(g(z, training=False))))
    assert abs(train_rms - infer_rms) > 0.1 * train_rms
    (value,) = [v for step, v in helpers._summary_values(str(tmp_path)) if v.tag == "G_z_rms"]
    assert float(tf.make_ndarray(value.tensor)) == pytest.approx(train_rms, rel=1e-5)
