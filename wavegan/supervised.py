"""The train mode of the likelihood baselines (WaveNet, frame GRU): one keras.Model, one optimiser, fit().

The same run machinery as the GANs: config.json, resume from the newest `model.ckpt-<step>` (model
and optimiser state, hence the step), timed checkpoints, TensorBoard scalars, the progress line,
SIGTERM/Ctrl-C saving the last step, a NaN guard, and a run that trained nothing failing.
"""

from __future__ import annotations

import logging
import math
import os
from typing import Callable

import keras
import tensorflow as tf

from wavegan import callbacks as cbs
from wavegan import checkpoints
from wavegan.config import RunConfig
from wavegan.errors import UserError
from wavegan.training import STEPS_PER_FIT_EPOCH, describe_parameters, resolve_jit

log = logging.getLogger("wavegan")

# The model is saved under the key the GANs use for theirs, so checkpoints.restore_generator reads it.
MODEL_KEY = "generator"
LOSS_NAMES = {"loss": "loss"}


def make_manager(train_dir: str, model: keras.Model, optimizer: keras.optimizers.Optimizer) -> tf.train.CheckpointManager:
    return checkpoints.make_manager(train_dir, **{MODEL_KEY: model}, optimizer=optimizer)


def restore_model(model: keras.Model, checkpoint: str) -> None:
    checkpoints.restore_generator(model, checkpoint)


def train_model(train_dir: str, run: RunConfig, model: keras.Model, optimizer: keras.optimizers.Optimizer,
                loss: keras.losses.Loss, dataset: tf.data.Dataset, print_fn: Callable[[str], None] = print) -> int:
    """Trains `model` (already built) on `dataset` until killed or run.train.max_steps; returns the step."""
    os.makedirs(train_dir, exist_ok=True)
    model.compile(optimizer=optimizer, loss=loss, jit_compile=resolve_jit(run.train.jit))
    optimizer.build(model.trainable_variables)
    describe_parameters(model, print_fn)
    manager = make_manager(train_dir, model, optimizer)
    for path in checkpoints.remove_partial_saves(train_dir):
        log.info("Removed %s, left by a save that was interrupted.", path)
    if manager.latest_checkpoint:
        manager.checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
    step = optimizer.iterations
    start = int(step.numpy())
    if manager.latest_checkpoint:
        print_fn(f"Resumed from {manager.latest_checkpoint} at step {start}")
    max_steps = run.train.max_steps
    remaining = None if max_steps is None else max_steps - start
    if remaining is not None and remaining <= 0:
        print_fn(f"Already at step {start} >= --train_max_steps {max_steps}: nothing to do.")
        return start
    writer = tf.summary.create_file_writer(train_dir)
    callbacks = [
        cbs.NanGuard(step),  # first: nothing after it may save a diverged state
        cbs.StopOnSignal(print_fn),
        cbs.TimedCheckpoint(manager, step, run.train.save_secs),
        cbs.ScalarSummaries(writer, step, run.train.summary_secs, LOSS_NAMES),
        cbs.Progress(step, print_fn=print_fn, names=LOSS_NAMES),
    ]
    if max_steps is not None:
        callbacks.insert(1, cbs.StopAtStep(step, max_steps))
    steps_per_epoch = STEPS_PER_FIT_EPOCH if remaining is None else min(STEPS_PER_FIT_EPOCH, remaining)
    epochs = 10**9 if remaining is None else math.ceil(remaining / steps_per_epoch)
    print_fn("Training has started. Stop it with Ctrl-C or kill; rerun the same command to resume.")
    model.fit(dataset, epochs=epochs, steps_per_epoch=steps_per_epoch, callbacks=callbacks, verbose=0,
              shuffle=False)
    if int(step.numpy()) == start:
        raise UserError("The data ran out before one step: none of the files could be decoded "
                        "(see the warnings above); check the files under --data_dir.")
    return int(step.numpy())


def load_model(source: str, build: Callable[[RunConfig], keras.Model], model_type: str,
               checkpoint: str | None = None) -> tuple[keras.Model, RunConfig, int, str]:
    """Rebuilds a run's model from config.json and restores its weights: (model, run, step, checkpoint).
    `source` is a train dir or a checkpoint prefix inside one; a run of another model type is refused."""
    from wavegan.config import load_run_config

    if not os.path.isdir(source):
        checkpoint, source = source, os.path.dirname(source) or "."
    run = load_run_config(source)
    if run.model_type != model_type:
        raise UserError(f"{source} holds a {run.model_type} run: use train_{run.model_type}.py for it.")
    path = checkpoints.resolve_checkpoint(source, checkpoint)
    model = build(run)
    restore_model(model, path)
    return model, run, checkpoints.checkpoint_step(path), path
