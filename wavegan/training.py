"""The train mode: models + pipeline + trainer + checkpoints + summaries, driven by fit().

Resuming is automatic: the newest `model.ckpt-<step>` in the train dir restores both models, both
optimisers (slots and iteration counts) and so the step. SpecGAN reuses `train` with its own
`GanKind` (models, spectrogram transform, Griffin-Lim rendering).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
from typing import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf

from wavegan import callbacks as cbs
from wavegan import checkpoints, data, distribute, export, labels, losses, precision
from wavegan.audio import AudioFileInfo
from wavegan.config import RunConfig, TrainConfig
from wavegan.errors import UserError
from wavegan.gan import GanKind
from wavegan.trainer import AdversarialTrainer

log = logging.getLogger("wavegan")

STEPS_PER_FIT_EPOCH = 100  # fit() epochs are only bookkeeping here; the data never runs out
SUMMARY_SHUFFLE_BUFFER = 256
PROBE_MAX_BATCH = 16  # --train_precision auto's probe: the run's batch up to this, ~a second at d=64 on a CPU


def export_checkpoint(generator: keras.Model, run: RunConfig, step: int, export_dir: str, kind: GanKind,
                      precision: str = "float32") -> str:
    """Exports the generator with wavegan.json recording what a user of the SavedModel needs to know,
    including the default of every extra signature input (SpecGAN: ngl)."""
    info = {"model_type": run.model_type, "latent_dim": run.model.latent_dim, "sample_rate": run.data.sample_rate,
            "slice_len": run.data.slice_len, "num_channels": run.data.num_channels, "step": step}
    info.update(zip((spec.name for spec in kind.renderer.extra_inputs), kind.renderer.defaults))
    if run.data.classes:  # the SavedModel's signatures then take a `label` beside z
        info["classes"] = list(run.data.classes)
    return export.export_generator(generator, export_dir, info, kind.renderer, precision=precision)


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


def resolve_jit(setting: str) -> bool:
    """`auto` compiles with XLA only where a GPU is visible: on CPU XLA makes this model 4–55× slower."""
    if setting == "auto":
        return bool(tf.config.list_physical_devices("GPU"))
    return setting == "on"


def make_checkpoint(trainer: AdversarialTrainer, train_dir: str,
                    keep: int = checkpoints.CHECKPOINTS_KEPT) -> tf.train.CheckpointManager:
    return checkpoints.make_manager(train_dir, keep, generator=trainer.generator, discriminator=trainer.discriminator,
                                    g_optimizer=trainer.g_optimizer, d_optimizer=trainer.d_optimizer)


def restore_latest(manager: tf.train.CheckpointManager) -> str | None:
    """Restores the newest checkpoint, if any, insisting that every variable of the run is found in it."""
    latest = manager.latest_checkpoint
    if latest:
        manager.checkpoint.restore(latest).assert_existing_objects_matched()
    return latest


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


def train(train_dir: str, run: RunConfig, files: Sequence[AudioFileInfo], kind: GanKind,
          print_fn: Callable[[str], None] = print, strategy: tf.distribute.Strategy | None = None,
          on_start: Callable[[], None] | None = None) -> int:
    """Trains until killed or `run.train.max_steps`; returns the final step.

    `on_start` runs once everything is ready and a step is about to be taken (the train mode writes
    the run's settings there, so a failed start or a run with nothing to do leaves none behind).

    Under `strategy` (see wavegan.distribute) the models and optimisers are mirrored on its replicas,
    every worker restores the same checkpoint, and only the chief writes checkpoints, summaries and
    the export.
    """
    strategy = strategy or tf.distribute.get_strategy()
    run = resolve_precision(run, kind, print_fn, strategy.num_replicas_in_sync)
    previous_policy = keras.config.dtype_policy()
    if run.train.precision == "mixed_float16" and not tf.config.list_physical_devices("GPU"):
        log.warning("--train_precision mixed_float16 without a GPU: TensorFlow has no fast float16 CPU kernels "
                    "(a d=16 iteration took over 5 minutes here); use float32 or mixed_bfloat16 on a CPU.")
    keras.config.set_dtype_policy(run.train.precision)  # layers take it when the models are built
    try:
        return _train(train_dir, run, files, kind, print_fn, strategy, on_start)
    finally:
        keras.config.set_dtype_policy(previous_policy)


def _train(train_dir: str, run: RunConfig, files: Sequence[AudioFileInfo], kind: GanKind,
           print_fn: Callable[[str], None], strategy: tf.distribute.Strategy,
           on_start: Callable[[], None] | None = None) -> int:
    chief = distribute.is_chief(strategy)
    replicas = strategy.num_replicas_in_sync
    if run.train.batch_size % replicas:
        raise UserError(f"--train_batch_size {run.train.batch_size} is the global batch and must divide evenly "
                        f"between the {replicas} replicas.")
    if chief:
        os.makedirs(train_dir, exist_ok=True)
    with strategy.scope():
        generator, discriminator = kind.build_generator(run), kind.build_discriminator(run)
        trainer = AdversarialTrainer(generator, discriminator, run.model.latent_dim, run.model.disc_nupdates)
        g_optimizer, d_optimizer = losses.make_optimizer(run.model.loss), losses.make_optimizer(run.model.loss)
        if run.train.precision == "mixed_float16":
            g_optimizer, d_optimizer = (keras.optimizers.LossScaleOptimizer(g_optimizer),
                                        keras.optimizers.LossScaleOptimizer(d_optimizer))
        trainer.compile(g_optimizer, d_optimizer, run.model.loss, jit_compile=resolve_jit(run.train.jit))
        trainer.build_for_training(kind.critic_input_shape(run))
    if replicas > 1:
        print_fn(f"Training on {distribute.describe(strategy)}: {run.train.batch_size // replicas} examples "
                 f"per replica, {run.train.batch_size} per step.")
    describe_parameters(generator, print_fn)
    describe_parameters(discriminator, print_fn)

    manager = make_checkpoint(trainer, train_dir, run.train.keep_checkpoints)
    if chief:
        for path in checkpoints.remove_partial_saves(train_dir):
            log.info("Removed %s, left by a save that was interrupted.", path)
    with strategy.scope():
        resumed = restore_latest(manager)
    step = trainer.step
    distribute.agreed_step(strategy, step)
    if resumed:
        print_fn(f"Resumed from {resumed} at step {int(step.numpy())}")
    max_steps = run.train.max_steps
    remaining = None if max_steps is None else max_steps - int(step.numpy())
    if remaining is not None and remaining <= 0:
        print_fn(f"Already at step {int(step.numpy())} >= --train_max_steps {max_steps}: nothing to do.")
        return int(step.numpy())

    batch = run.train.batch_size
    file_labels = labels.file_label_ids(files, run.data) if run.data.classes else None
    dataset = data.make_train_dataset(files, run.data, batch, run.model.disc_nupdates, kind.to_critic_input,
                                      labels=file_labels, balance=run.train.label_balance)
    export_dir = os.path.join(train_dir, export.EXPORT_SUBDIR)

    def refresh_export(path: str, saved_step: int) -> None:
        log.info("Exported step %d to %s", saved_step, export_checkpoint(generator, run, saved_step, export_dir, kind))

    if keras.backend.backend() != "tensorflow":
        refresh_export = export.SubprocessExporter(train_dir, export_dir)

    callbacks = [
        cbs.NanGuard(step),  # first: nothing after it may save a diverged state
        cbs.StopOnSignal(print_fn),
        cbs.Progress(step, print_fn=print_fn, examples_per_step=run.train.batch_size * run.model.disc_nupdates,
                     max_steps=max_steps),
    ]
    if chief:  # the other workers train the same weights and write nothing
        writer = tf.summary.create_file_writer(train_dir)
        # A second, lightly shuffled copy of the pipeline feeds the summaries' real clips, so the trainer
        # needs no extra outputs; a small buffer keeps its memory and start-up cost low.
        summary_examples = data.example_dataset(files, run.data, shuffle_buffer=SUMMARY_SHUFFLE_BUFFER,
                                                labels=file_labels)
        summary_real = data.batch_dataset(summary_examples, batch).as_numpy_iterator()
        callbacks[2:2] = [
            cbs.TimedCheckpoint(manager, step, run.train.save_secs, on_saved=refresh_export),
            cbs.AudioSummaries(writer, step, run.train.summary_secs, generator, run.model.latent_dim,
                               summary_real, run.data.sample_rate, kind, classes=run.data.classes)]
    if max_steps is not None:
        callbacks.insert(1, cbs.StopAtStep(step, max_steps))
    steps_per_epoch = STEPS_PER_FIT_EPOCH if remaining is None else min(STEPS_PER_FIT_EPOCH, remaining)
    epochs = 10**9 if remaining is None else math.ceil(remaining / steps_per_epoch)
    start = int(step.numpy())
    if on_start is not None:
        on_start()
    print_fn("Training has started. Stop it with Ctrl-C or kill; rerun the same command to resume.")
    try:
        trainer.fit(dataset, epochs=epochs, steps_per_epoch=steps_per_epoch, callbacks=callbacks,
                    verbose=0, shuffle=False)
    finally:
        if isinstance(refresh_export, export.SubprocessExporter):
            refresh_export.wait()
    if int(step.numpy()) == start:
        raise UserError("The data ran out before one step: none of the files could be decoded "
                        "(see the warnings above); check the files under --data_dir.")
    return int(step.numpy())
