"""wavegan.callbacks without training: the progress line."""

import numpy as np

from wavegan import callbacks


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


def test_a_signal_is_acknowledged_while_a_step_is_still_running():
    """The main thread is inside TensorFlow for a whole step; the acknowledgement must not wait for it."""
    import os
    import signal
    import threading
    import time

    import tensorflow as tf

    lines = []
    stop = callbacks.StopOnSignal(print_fn=lambda line: lines.append((time.monotonic(), line)))

    @tf.function
    def long_step(x):  # a few seconds of work in one TensorFlow call, as a training step is
        return tf.while_loop(lambda i, y: i < 4000, lambda i, y: (i + 1, tf.tanh(y @ y) / 50.0), (0, x))[1]

    x = tf.random.stateless_uniform((256, 256), (0, 0))
    long_step(x)  # traced before timing
    stop.on_train_begin()
    try:
        stop.on_train_batch_begin(0)
        threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
        started = time.monotonic()
        long_step(x).numpy()
        step_ended = time.monotonic()
        stop.set_model(type("Model", (), {"stop_training": False})())
        stop.on_train_batch_end(0)
    finally:
        getattr(stop, "close", lambda: None)()  # (older StopOnSignal had none)
    assert step_ended - started > 1.0, "the step was too short to tell"
    acknowledged = [t for t, line in lines if line.startswith("SIGINT received")]
    assert len(acknowledged) == 1 and acknowledged[0] < step_ended, lines
    assert stop.received == "SIGINT" and stop.model.stop_training
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
