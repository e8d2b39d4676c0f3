"""The GANs' train mode: models + pipeline + trainer + checkpoints + summaries, driven by fit().

Resuming is automatic: the newest `model.ckpt-<step>` in the train dir restores both models, both
optimisers (slots and iteration counts) and so the step. Both GANs train here, each through its own
`GanKind` (models, what the critic sees, how output becomes audio). The export at every checkpoint is
the caller's (`exporter`): this layer sits below the serving code and imports none of it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
from typing import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf

from wavegan import config
from wavegan.audio import labels
from wavegan.audio import pipeline as data
from wavegan.audio import split as splitting
from wavegan.audio.files import AudioFileInfo
from wavegan.config import RunConfig, TrainConfig
from wavegan.errors import UserError
from wavegan.train import callbacks as cbs
from wavegan.train import checkpoints, distribute, events, loop, precision, validation
from wavegan.train.lock import TrainDirLock
from wavegan.train.kind import GanKind
from wavegan.train.trainer import make_trainer

# (generator, run, kind) → what to call with (checkpoint prefix, step) after each save (the SavedModel
# refresh); it may have a `wait()` that the end of training calls, and `estimated_bytes` (one export's size,
# for the disk-space check before training).
Exporter = Callable[[keras.Model, RunConfig, GanKind], Callable[[str, int], None]]

log = logging.getLogger("wavegan")

SUMMARY_SHUFFLE_BUFFER = 256
PROBE_MAX_BATCH = 16  # --train_precision auto's probe: the run's batch up to this, ~a second at d=64 on a CPU


def make_strategy(train: TrainConfig) -> tf.distribute.Strategy:
    """The tf.distribute strategy of --train_strategy. On the JAX backend TensorFlow only feeds data and
    writes files: it gets no GPU (the trainer's), and tf.distribute has nothing to distribute."""
    if keras.backend.backend() == "tensorflow":
        return distribute.make_strategy(train.strategy)
    try:
        tf.config.set_visible_devices([], "GPU")
    except RuntimeError:  # TensorFlow already started (in a test, or a notebook): leave it as it is
        pass
    if train.strategy != "auto":
        raise UserError(f"--train_strategy {train.strategy} is TensorFlow's tf.distribute: drop it with "
                        "KERAS_BACKEND=jax, or train with the TensorFlow backend.")
    if train.jit == "off":
        raise UserError("KERAS_BACKEND=jax always compiles the train step with jax.jit: drop --train_jit off.")
    if train.precision == "mixed_float16":
        raise UserError("--train_precision mixed_float16 needs loss scaling, which the JAX train step lacks: "
                        "use float32, mixed_bfloat16 or auto with KERAS_BACKEND=jax.")
    return tf.distribute.get_strategy()


def resolve_precision(run: RunConfig, kind: GanKind, print_fn: Callable[[str], None] = print,
                      replicas: int = 1) -> RunConfig:
    """`--train_precision auto` → float32 or mixed_bfloat16, said in one line; a float32 run on hardware
    where bf16 is likely much faster says so once. Replicas must agree, so with several no CPU probe runs
    (each would time its own machine): only the GPUs' capability can pick bf16 there."""
    cpu_flags, gpus = precision.read_cpu_flags(), precision.gpu_capabilities()
    if run.train.precision == "float32":
        hint = precision.float32_hint(cpu_flags, gpus)
        if hint:
            print_fn(hint)
    if run.train.precision != "auto":
        return run
    # The probe times the run's own critic (its layers, channel counts and casts) at the run's batch: at
    # a batch of 4 per-call costs hide what bf16 gains (d=16: 1.1× against 1.3–1.9× at 16, this Xeon).
    batch = min(run.train.batch_size, PROBE_MAX_BATCH)
    probe_input = np.random.default_rng(0).uniform(-1, 1, (batch, *kind.critic_input_shape(run)))
    def probe() -> float:
        return precision.probe_speedup(lambda: kind.build_discriminator(run), probe_input.astype(np.float32))

    choice = precision.choose_precision(cpu_flags, gpus, probe=None if replicas > 1 else probe)
    print_fn(f"--train_precision auto: {choice.precision}, as {choice.reason}.")
    return dataclasses.replace(run, train=dataclasses.replace(run.train, precision=choice.precision))


def train_run(train_dir: str, run: RunConfig, make_kind: Callable[[bool], GanKind],
              on_start: Callable[[RunConfig, bool], None] | None = None, exporter: Exporter | None = None,
              print_fn: Callable[[str], None] = print,
              validation_tools: Callable[[RunConfig], validation.Tools] | None = None) -> int:
    """The train mode of both GANs: strategy, classes, files, the validation split, then `train`.

    `make_kind(chief)` builds the GanKind without writing anything; `on_start(run, chief)` writes the run's
    settings once training really starts (so a failed start, or a run with nothing to do, leaves none).
    `validation_tools(run)` gives the feature space and artifact envelope of a run with held-out data.
    """
    # First of all TensorFlow work: MultiWorkerMirroredStrategy configures collective ops at start-up.
    strategy = make_strategy(run.train)
    chief = distribute.is_chief(strategy)
    with TrainDirLock(train_dir) if chief else contextlib.nullcontext():  # one writer: the chief
        return _train_run(train_dir, run, make_kind, on_start, exporter, print_fn, strategy, chief,
                          validation_tools)


def _train_run(train_dir: str, run: RunConfig, make_kind: Callable[[bool], GanKind],
               on_start: Callable[[RunConfig, bool], None] | None, exporter: Exporter | None,
               print_fn: Callable[[str], None], strategy: tf.distribute.Strategy, chief: bool,
               validation_tools: Callable[[RunConfig], validation.Tools] | None) -> int:
    split = splitting.split_files(data.prepare_files(run.data, run.train.batch_size), run.data, train_dir)
    # --data_labels: the classes of the training files, listed, then saved and checked on resume
    run, files, file_labels = labels.label_files(run, split.train)
    valid = split.valid
    if run.data.classes:
        valid = [f for f in valid if labels.class_name(f.path, run.data.data_dir, run.data.labels) in run.data.classes]
    config.check_run_config(train_dir, run)
    kind = make_kind(chief)

    def started() -> None:
        if chief:
            split.record(train_dir)
        if on_start is not None:
            on_start(run, chief)

    tools = validation_tools(run) if valid and validation_tools is not None else None
    return train(train_dir, run, files, kind, print_fn, strategy=strategy, exporter=exporter, on_start=started,
                 file_labels=file_labels, valid=valid, tools=tools)


def train(train_dir: str, run: RunConfig, files: Sequence[AudioFileInfo], kind: GanKind,
          print_fn: Callable[[str], None] = print, strategy: tf.distribute.Strategy | None = None,
          on_start: Callable[[], None] | None = None, exporter: Exporter | None = None,
          file_labels: np.ndarray | None = None, valid: Sequence[AudioFileInfo] = (),
          tools: validation.Tools | None = None) -> int:
    """Trains until killed or `run.train.max_steps`; returns the final step.

    `on_start` runs once everything is ready and a step is about to be taken (the train mode writes
    the run's settings there, so a failed start or a run with nothing to do leaves none behind).

    Under `strategy` (see wavegan.train.distribute) the models and optimisers are mirrored on its replicas,
    every worker restores the same checkpoint, and only the chief writes checkpoints, summaries and
    the export. A conditional run needs `file_labels`, the class id of every file (`labels.label_files`).
    With `valid` (held-out files) the chief also validates (wavegan/train/validation.py).
    """
    strategy = strategy or tf.distribute.get_strategy()
    run = resolve_precision(run, kind, print_fn, strategy.num_replicas_in_sync)
    if run.train.precision == "mixed_float16" and not tf.config.list_physical_devices("GPU"):
        log.warning("--train_precision mixed_float16 without a GPU: TensorFlow has no fast float16 CPU kernels "
                    "(a d=16 iteration took over 5 minutes here); use float32 or mixed_bfloat16 on a CPU.")
    with precision.dtype_policy(run.train.precision):
        return _train(train_dir, run, files, kind, print_fn, strategy, on_start, exporter, file_labels, valid, tools)


def _train(train_dir: str, run: RunConfig, files: Sequence[AudioFileInfo], kind: GanKind,
           print_fn: Callable[[str], None], strategy: tf.distribute.Strategy,
           on_start: Callable[[], None] | None = None, exporter: Exporter | None = None,
           file_labels: np.ndarray | None = None, valid: Sequence[AudioFileInfo] = (),
           tools: validation.Tools | None = None) -> int:
    chief = distribute.is_chief(strategy)
    replicas = strategy.num_replicas_in_sync
    if run.train.batch_size % replicas:
        raise UserError(f"--train_batch_size {run.train.batch_size} is the global batch and must divide evenly "
                        f"between the {replicas} replicas.")
    if chief:
        os.makedirs(train_dir, exist_ok=True)
    jit = loop.resolve_jit(run.train.jit)
    with strategy.scope():
        trainer = make_trainer(run, kind, jit_compile=jit)
    generator, discriminator = trainer.generator, trainer.discriminator
    if replicas > 1:
        print_fn(f"Training on {distribute.describe(strategy)}: {run.train.batch_size // replicas} examples "
                 f"per replica, {run.train.batch_size} per step.")
    loop.describe_parameters(generator, print_fn)
    loop.describe_parameters(discriminator, print_fn)

    if chief:
        checkpoints.prepare_to_resume(train_dir)
    manager = checkpoints.adversarial_manager(trainer, train_dir, run.train.keep_checkpoints)
    with strategy.scope():
        resumed = checkpoints.restore_latest(manager)
    step = trainer.step
    distribute.agreed_step(strategy, step)
    if resumed:
        print_fn(f"Resumed from {resumed} at step {int(step.numpy())}")
    start = int(step.numpy())
    max_steps = run.train.max_steps
    remaining = loop.remaining_steps(start, max_steps, print_fn)
    if remaining == 0:
        return start

    batch = run.train.batch_size
    dataset = data.make_train_dataset(files, run.data, batch, run.model.disc_nupdates, kind.to_critic_input,
                                      labels=file_labels, balance=run.train.label_balance)
    on_saved = exporter(generator, run, kind) if exporter is not None and chief else None
    if chief:
        checkpoints.warn_if_disk_too_small(
            train_dir, checkpoints.variable_bytes(generator, discriminator, trainer.g_optimizer, trainer.d_optimizer),
            run.train.keep_checkpoints, getattr(on_saved, "estimated_bytes", checkpoints.variable_bytes(generator))
            if on_saved else 0)

    callbacks = loop.guard_callbacks(step, print_fn, max_steps)
    if chief:  # the other workers train the same weights and write nothing
        writer = events.file_writer(train_dir)
        # A second, lightly shuffled copy of the pipeline feeds the summaries' real clips, so the trainer
        # needs no extra outputs; a small buffer keeps its memory and start-up cost low.
        summary_examples = data.example_dataset(files, run.data, shuffle_buffer=SUMMARY_SHUFFLE_BUFFER,
                                                labels=file_labels)
        summary_real = data.batch_dataset(summary_examples, batch).as_numpy_iterator()
        callbacks += [
            cbs.TimedCheckpoint(manager, step, run.train.save_secs, on_saved=on_saved),
            cbs.AudioSummaries(writer, step, run.train.summary_secs, generator, run.model.latent_dim,
                               summary_real, run.data.sample_rate, kind, classes=run.data.classes)]
        if valid:
            callbacks.append(validation.gan_callback(train_dir, run, generator, discriminator, kind, files, valid,
                                                     manager, step, writer, tools, print_fn))
    callbacks.append(cbs.Progress(step, print_fn=print_fn, max_steps=max_steps,
                                  examples_per_step=run.train.batch_size * run.model.disc_nupdates))
    with checkpoints.storage_faults_stop_training(train_dir):
        if on_start is not None:
            on_start()
        try:
            loop.fit(trainer, dataset, remaining, callbacks, print_fn)
        finally:
            if hasattr(on_saved, "wait"):  # an export still running in another process
                on_saved.wait()
    return loop.check_stepped(start, int(step.numpy()))
