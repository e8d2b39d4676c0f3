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
