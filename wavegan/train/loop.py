"""What the adversarial and the supervised train loops share: the parameter listing, the XLA choice, fit()'s
epoch bookkeeping, the common callbacks, the start and end lines, and the check that a step was taken.

Both loops run Keras' fit() over an endless dataset; an "epoch" is only bookkeeping, `STEPS_PER_FIT_EPOCH`
steps long (shorter when --train_max_steps leaves fewer).
"""

from __future__ import annotations

import math
from typing import Callable

import keras
import numpy as np
import tensorflow as tf

from wavegan.errors import UserError
from wavegan.train import callbacks as cbs

STEPS_PER_FIT_EPOCH = 100  # fit() epochs are only bookkeeping here; the data never runs out
STARTED = "Training has started. Stop it with Ctrl-C or kill; rerun the same command to resume."


def describe_parameters(model: keras.Model, print_fn: Callable[[str], None] = print) -> int:
    """Prints every trainable variable with its shape and size, then the total (as the original)."""
    total = 0
    print_fn("-" * 80)
    print_fn(f"{model.name} vars")
    for var in model.trainable_variables:
        count = int(np.prod(var.shape))
        total += count
        print_fn(f"{var.path} ({', '.join(map(str, var.shape))}): {count:,}")
    print_fn(f"Total params: {total:,} ({total * 4 / 1024 / 1024:.2f} MB)")
    return total


def resolve_jit(setting: str) -> bool:
    """`auto` compiles with XLA only where a GPU is visible: on CPU XLA makes this model 4–55× slower."""
    if setting == "auto":
        return bool(tf.config.list_physical_devices("GPU"))
    return setting == "on"


def remaining_steps(start: int, max_steps: int | None, print_fn: Callable[[str], None]) -> int | None:
    """Steps left to --train_max_steps (None: run until killed); 0 after saying there is nothing to do."""
    if max_steps is None:
        return None
    remaining = max_steps - start
    if remaining <= 0:
        print_fn(f"Already at step {start} >= --train_max_steps {max_steps}: nothing to do.")
        return 0
    return remaining


def guard_callbacks(step, print_fn: Callable[[str], None], max_steps: int | None) -> list[keras.callbacks.Callback]:
    """The callbacks every run starts with, in order: the NaN guard first (nothing after it may save a
    diverged state), the stop at --train_max_steps, and the signal handler."""
    guards = [cbs.NanGuard(step)]
    if max_steps is not None:
        guards.append(cbs.StopAtStep(step, max_steps))
    return guards + [cbs.StopOnSignal(print_fn)]


def fit(model: keras.Model, dataset, remaining: int | None, callbacks: list, print_fn: Callable[[str], None]) -> None:
    """Says training has started and runs fit() until `remaining` steps are done (or forever)."""
    steps_per_epoch = STEPS_PER_FIT_EPOCH if remaining is None else min(STEPS_PER_FIT_EPOCH, remaining)
    epochs = 10**9 if remaining is None else math.ceil(remaining / steps_per_epoch)
    print_fn(STARTED)
    model.fit(dataset, epochs=epochs, steps_per_epoch=steps_per_epoch, callbacks=callbacks, verbose=0, shuffle=False)


def check_stepped(start: int, step: int) -> int:
    """The final step, after making sure the run trained at all."""
    if step == start:
        raise UserError("The data ran out before one step: none of the files could be decoded "
                        "(see the warnings above); check the files under --data_dir.")
    return step
