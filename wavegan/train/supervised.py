"""The train mode of the likelihood baselines (WaveNet, frame GRU): one keras.Model, one optimiser, fit().

The same run machinery as the GANs: config.json, resume from the newest `model.ckpt-<step>` (model
and optimiser state, hence the step), timed checkpoints, TensorBoard scalars, the progress line,
SIGTERM/Ctrl-C saving the last step, a NaN guard, and a run that trained nothing failing.
"""

from __future__ import annotations

import os
from typing import Callable

import keras
import tensorflow as tf

from wavegan.config import RunConfig
from wavegan.train import callbacks as cbs
from wavegan.train import checkpoints, events, loop, validation


LOSS_NAMES = {"loss": "loss"}


def train_model(train_dir: str, run: RunConfig, model: keras.Model, optimizer: keras.optimizers.Optimizer,
                loss: keras.losses.Loss, dataset: tf.data.Dataset, print_fn: Callable[[str], None] = print,
                on_start: Callable[[], None] | None = None, evaluator: validation.Evaluator | None = None) -> int:
    """Trains `model` (already built) on `dataset` until killed or run.train.max_steps; returns the step.
    `on_start` runs once a step is about to be taken (the train mode writes the run's settings there).
    `evaluator` (a run with held-out data) is run every --train_valid_secs, keeping the best checkpoint."""
    os.makedirs(train_dir, exist_ok=True)
    model.compile(optimizer=optimizer, loss=loss, jit_compile=loop.resolve_jit(run.train.jit))
    optimizer.build(model.trainable_variables)
    loop.describe_parameters(model, print_fn)
    checkpoints.prepare_to_resume(train_dir)
    manager = checkpoints.supervised_manager(train_dir, model, optimizer, run.train.keep_checkpoints)
    resumed = checkpoints.restore_latest(manager)
    step = optimizer.iterations
    start = int(step.numpy())
    if resumed:
        print_fn(f"Resumed from {resumed} at step {start}")
    remaining = loop.remaining_steps(start, run.train.max_steps, print_fn)
    if remaining == 0:
        return start
    checkpoints.warn_if_disk_too_small(train_dir, checkpoints.variable_bytes(model, optimizer), run.train.keep_checkpoints)
    writer = events.file_writer(train_dir)
    callbacks = loop.guard_callbacks(step, print_fn, run.train.max_steps) + [
        cbs.TimedCheckpoint(manager, step, run.train.save_secs),
        cbs.ScalarSummaries(writer, step, run.train.summary_secs, LOSS_NAMES),
        cbs.Progress(step, print_fn=print_fn, names=LOSS_NAMES),
    ]
    if evaluator is not None:
        callbacks.append(validation.ValidationCallback(train_dir, manager, step, writer, evaluator, run.train.valid_secs,
                                                       run.train.summary_secs, run.train.stop_patience, print_fn))
    with checkpoints.storage_faults_stop_training(train_dir):
        if on_start is not None:
            on_start()
        loop.fit(model, dataset, remaining, callbacks, print_fn)
    return loop.check_stepped(start, int(step.numpy()))
