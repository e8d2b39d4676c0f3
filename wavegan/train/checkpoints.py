"""Where a run's checkpoints live and how to read them back (train, preview, infer, generate).

A checkpoint is `model.ckpt-<step>.{index,data-*}` written by tf.train.Checkpoint. TensorFlow writes
the data to temporary names and updates the `checkpoint` state file (atomically) only once a save is
complete, so the newest checkpoint it names is always whole, even after a kill mid-save.

Both backends write the same files. The JAX backend's variables are not TensorFlow objects, so there
`model_checkpoint` checkpoints TensorFlow shadows of them laid out as the TensorFlow backend's variables
are (`ShadowCheckpoint`): a run written by one backend resumes under the other.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import time
from typing import Callable

import keras
import numpy as np
import tensorflow as tf

from wavegan.config import RunConfig, load_run_config
from wavegan.errors import UserError

CHECKPOINT_NAME = "model.ckpt"
CHECKPOINTS_KEPT = 5


def variables_by_path(model: keras.Model) -> dict[str, keras.Variable]:
    """Every variable of a model (batch-norm statistics included) keyed by its Keras path, e.g. G/upconv_0/kernel.

    Checkpoints are keyed this way rather than by handing the model to tf.train.Checkpoint: Keras 3's
    TensorFlow object graph does not descend into layers held in Python lists, so such a checkpoint
    silently misses most of the model.
    """
    # Random-number state (phase shuffle's seed generators) is not model state, and its paths carry a
    # process-wide counter: leave it out, as the original kept no RNG state either.
    variables = [v for v in model.variables if not v.path.endswith("seed_generator_state")]
    by_path = {v.path: v for v in variables}
    if len(by_path) != len(variables):
        raise ValueError(f"{model.name} has several variables with the same path")
    return by_path


def model_checkpoint(**parts) -> tf.train.Checkpoint:
    """A tf.train.Checkpoint of models (by variable path) and optimisers (as trackables)."""
    if keras.backend.backend() != "tensorflow":
        return ShadowCheckpoint(**parts)
    return tf.train.Checkpoint(**{name: variables_by_path(part) if isinstance(part, keras.Model) else part
                                  for name, part in parts.items()})


def _shadow(variable: keras.Variable) -> tf.Variable:
    # Counters are int64 on TensorFlow but int32 on JAX without x64: the files keep TensorFlow's type.
    dtype = tf.int64 if "int" in str(variable.dtype) else tf.as_dtype(variable.dtype)
    return tf.Variable(tf.zeros(variable.shape, dtype), trainable=False)


def _optimizer_shadow(optimizer: keras.optimizers.Optimizer) -> tuple[tf.Module, list]:
    """Keras' TensorFlow optimiser checkpoints itself as `_iterations`, `_learning_rate` and
    `_variables/<i>` (`optimizer.variables` in order, those two included): the shadow repeats that graph."""
    variables = list(optimizer.variables)
    shadows = [_shadow(v) for v in variables]
    module = tf.Module()
    module._variables = shadows
    for name in ("_iterations", "_learning_rate"):
        index = next((i for i, v in enumerate(variables) if v is getattr(optimizer, name, None)), None)
        if index is not None:
            setattr(module, name, shadows[index])
    return module, list(zip(variables, shadows))


class ShadowCheckpoint(tf.train.Checkpoint):
    """`model_checkpoint` for variables TensorFlow cannot track (the JAX backend's).

    Each variable has a tf.Variable shadow, arranged as `model_checkpoint` arranges TensorFlow-backend
    models and optimisers, so the files are the same. Writing copies the live values into the shadows
    first; restoring copies the restored values back.
    """

    def __init__(self, **parts):
        pairs, shadow_parts = [], {}
        for name, part in parts.items():
            if isinstance(part, keras.Model):
                by_path = variables_by_path(part)
                shadow_parts[name] = {path: _shadow(v) for path, v in by_path.items()}
                pairs += [(by_path[path], shadow) for path, shadow in shadow_parts[name].items()]
            else:
                shadow_parts[name], optimizer_pairs = _optimizer_shadow(part)
                pairs += optimizer_pairs
        super().__init__(**shadow_parts)
        object.__setattr__(self, "_pairs", pairs)  # bypasses dependency tracking: not checkpoint content

    def _write(self, *args, **kwargs):  # under save(), write() and CheckpointManager.save()
        for variable, shadow in self._pairs:
            shadow.assign(np.asarray(keras.ops.convert_to_numpy(variable.value)).astype(shadow.dtype.as_numpy_dtype))
        return super()._write(*args, **kwargs)

    def restore(self, *args, **kwargs):
        status = super().restore(*args, **kwargs)  # existing variables are assigned at once, in eager mode
        for variable, shadow in self._pairs:
            variable.assign(shadow.numpy().astype(keras.backend.standardize_dtype(variable.value.dtype)))
        return status


def make_manager(train_dir: str, max_to_keep: int = CHECKPOINTS_KEPT, **parts) -> tf.train.CheckpointManager:
    return tf.train.CheckpointManager(model_checkpoint(**parts), train_dir, max_to_keep=max_to_keep,
                                      checkpoint_name=CHECKPOINT_NAME)


def adversarial_manager(trainer: keras.Model, train_dir: str,
                        keep: int = CHECKPOINTS_KEPT) -> tf.train.CheckpointManager:
    """The GANs' manager: both models (by variable path) and both optimisers."""
    return make_manager(train_dir, keep, generator=trainer.generator, discriminator=trainer.discriminator,
                        g_optimizer=trainer.g_optimizer, d_optimizer=trainer.d_optimizer)


# The baselines' model is saved under the key the GANs use for their generator, so `restore_generator`
# reads both.
SUPERVISED_MODEL_KEY = "generator"


def supervised_manager(train_dir: str, model: keras.Model, optimizer: keras.optimizers.Optimizer,
                       keep: int = CHECKPOINTS_KEPT) -> tf.train.CheckpointManager:
    """The likelihood baselines' manager: their one model and its optimiser."""
    return make_manager(train_dir, keep, **{SUPERVISED_MODEL_KEY: model}, optimizer=optimizer)


def restore_latest(manager: tf.train.CheckpointManager) -> str | None:
    """Restores the newest checkpoint, if any, insisting that every variable of the run is found in it."""
    latest = manager.latest_checkpoint
    if latest:
        try:
            manager.checkpoint.restore(latest).assert_existing_objects_matched()
        except AssertionError as e:
            # A train dir that holds a generator alone (tools/make_demo_model.py, models/drums) has nothing
            # to resume the critic and the optimisers from.
            raise UserError(f"{latest} does not hold every model and optimiser this run trains (it may be a "
                            "generator alone, as models/drums): train in a new folder.") from e
    return latest


def restore_generator(generator: keras.Model, checkpoint: str) -> None:
    """Restores only the generator's variables (no optimiser) from a training checkpoint."""
    model_checkpoint(generator=generator).restore(checkpoint).expect_partial().assert_existing_objects_matched()


def checkpoint_step(path: str) -> int:
    match = re.search(r"-(\d+)$", path)
    if not match:
        raise UserError(f"{path} is not a checkpoint prefix like {CHECKPOINT_NAME}-1234.")
    return int(match.group(1))


def latest_checkpoint(train_dir: str) -> str | None:
    return tf.train.latest_checkpoint(train_dir)


def remove_partial_saves(train_dir: str) -> list[str]:
    """Deletes the temporary folders a save killed half-way leaves behind; returns what it removed."""
    removed = []
    for path in glob.glob(os.path.join(train_dir, f"{CHECKPOINT_NAME}-*_temp*")):
        shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else os.remove(path)
        removed.append(path)
    return removed


def watch(train_dir: str, handle: Callable[[str], None], poll_secs: float = 1.0, once: bool = False,
          print_fn: Callable[[str], None] = print) -> None:
    """Calls handle(prefix) each time a newer checkpoint appears, until killed (or once, for the newest)."""
    done = None
    while True:
        latest = latest_checkpoint(train_dir)
        if latest and latest != done:
            handle(latest)
            done = latest
        if once:
            if not latest:
                print_fn(f"No checkpoint in {train_dir} yet.")
            return
        time.sleep(poll_secs)


def resolve_checkpoint(train_dir: str, checkpoint: str | None = None) -> str:
    """The given checkpoint prefix, or the newest complete one in train_dir."""
    if checkpoint:
        if not tf.io.gfile.exists(checkpoint + ".index"):
            raise UserError(f"No checkpoint at {checkpoint} (expected {checkpoint}.index): "
                            "pass a prefix such as train/model.ckpt-1234.")
        return checkpoint
    latest = latest_checkpoint(train_dir)
    if not latest:
        raise UserError(f"No checkpoint in {train_dir} yet: train first, or wait for the first save.")
    return latest


def load_generator(train_dir: str, build_generator: Callable[[RunConfig], keras.Model],
                   checkpoint: str | None = None) -> tuple[keras.Model, RunConfig, int]:
    """Rebuilds the run's generator from config.json and restores its weights (no optimiser)."""
    run = load_run_config(train_dir)
    path = resolve_checkpoint(train_dir, checkpoint)
    generator = build_generator(run)
    generator.build((None, run.model.latent_dim))
    restore_generator(generator, path)
    return generator, run, checkpoint_step(path)


def load_model(source: str, build: Callable[[RunConfig], keras.Model], model_type: str,
               checkpoint: str | None = None) -> tuple[keras.Model, RunConfig, int, str]:
    """Rebuilds a run's model from config.json and restores its weights: (model, run, step, checkpoint).
    `source` is a train dir or a checkpoint prefix inside one; a run of another model type is refused."""
    if not os.path.isdir(source):
        checkpoint, source = source, os.path.dirname(source) or "."
    run = load_run_config(source)
    if run.model_type != model_type:
        raise UserError(f"{source} holds a {run.model_type} run: use train_{run.model_type}.py for it.")
    path = resolve_checkpoint(source, checkpoint)
    model = build(run)
    restore_generator(model, path)
    return model, run, checkpoint_step(path), path
