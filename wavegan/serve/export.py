"""SavedModel export of a generator, loadable with plain TensorFlow (reference §8), and the output formats.

Signatures mirror the original's infer-graph tensors:

| signature | inputs | outputs |
|---|---|---|
| `serving_default` | `z` float32 [n, latent_dim] | `G_z` float32 [n, slice_len, channels], `G_z_int16` int16 |
| `samp_z` | `samp_z_n` int32 scalar | `z` float32 [samp_z_n, latent_dim], U(−1, 1) |
| `sample` | `samp_z_n` int32 scalar | `z`, `G_z`, `G_z_int16` for samp_z_n fresh latents |
| `flat` | `z`, `flat_pad` int32 scalar | `G_z_flat` float32 [n·(slice_len+flat_pad), channels], `G_z_flat_int16` |

`wavegan.json` beside `saved_model.pb` records sample rate, latent size, slice length and step.

A label-conditional generator (`classes` in wavegan.json, index = position) takes `label` int32 [n]
right after z in `serving_default` and `flat` (after samp_z_n in `sample`, n = samp_z_n), and has one
more signature, `mix`: `z`, `label_weights` float32 [n, classes] → `G_z`, `G_z_int16` for a weighted mix
of the class embeddings (a walk between classes).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Any, Callable

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from wavegan import storage
from wavegan.audio.pcm import quantize_int16
from wavegan.config import RunConfig
from wavegan.errors import StorageError, UserError
from wavegan.layers.conv import with_dtype
from wavegan.train.kind import GanKind
from wavegan.train.lock import exclusive

INFO_FILE = "wavegan.json"
# What the exported signatures compute in: float32 (the default, the layers as trained up to float
# rounding) or bfloat16 (opt-in, `infer --infer_precision bfloat16`; docs/benchmarks_log.md, docs/differences.md).
EXPORT_PRECISIONS = ("float32", "bfloat16")
EXPORT_SUBDIR = os.path.join("infer", "saved_model")


def flatten_clips(audio, pad: int):
    """[n, time, channels] → [n·(time+pad), channels]: each clip followed by `pad` zeros."""
    padded = ops.pad(audio, [[0, 0], [0, pad], [0, 0]])
    return ops.reshape(padded, (-1, ops.shape(audio)[2]))


def inference_forward(generator: keras.Model, fast: bool = True, precision: str = "float32") -> tuple[Callable, list]:
    """z → generator(z, training=False), and the layers that computes it (what an export tracks).

    With `fast`, the layers TensorFlow runs slowly take their faster inference forms where the
    generator offers them (`inference_upconvs`): same values up to float rounding, and the layers they
    replace are left out so that their weights are not stored twice. With `precision` "bfloat16" the
    upsampling layers compute in bfloat16 (oneDNN's AMX / AVX512-BF16 kernels where the CPU has them),
    which changes the outputs by bfloat16 rounding (docs/differences.md); inputs and outputs stay float32.
    """
    if precision not in EXPORT_PRECISIONS:
        raise UserError(f"The export precision must be one of {EXPORT_PRECISIONS}, not {precision!r}.")
    dtype = None if precision == "float32" else precision
    if dtype and not hasattr(generator, "inference_upconvs"):
        raise UserError(f"A {precision} export needs a generator with upsampling layers (WaveGAN or SpecGAN).")
    upconvs = []
    if fast and hasattr(generator, "inference_upconvs"):
        upconvs = generator.inference_upconvs(dtype)
    elif dtype:  # the layers as trained, in the precision asked for
        upconvs = [with_dtype(conv, dtype) for conv in generator.upconvs]
    swaps = [(old, new) for old, new in zip(generator.upconvs, upconvs) if new is not old] if upconvs else []
    if not swaps:
        return (lambda z, **given: generator(z, training=False, **given)), [generator]
    replaced = {id(old) for old, _ in swaps}
    used = [layer for layer in generator.layers if id(layer) not in replaced] + [new for _, new in swaps]
    return (lambda z, **given: generator(z, training=False, upconvs=upconvs, **given)), used


# Keras's ExportArchive stores every variable its endpoints use twice in the SavedModel's checkpoint (under
# `variables/` and `_all_variables/`, Keras 3.15): a d = 16 generator's 6.4 MB of variables make a 12.8 MB
# `variables/` folder. The disk-space check before training counts the export at that weight.
EXPORT_WEIGHT_COPIES = 2


def estimated_export_bytes(generator: keras.Model, precision: str = "float32") -> int:
    """What `export_generator` will write for the variables of `generator` (the graph adds a few hundred KB)."""
    if keras.backend.backend() == "tensorflow":
        _, used = inference_forward(generator, precision=precision)
    else:  # the export runs in a TensorFlow child; the layers as trained, a lower bound (d = 64: 76 of 89 MB)
        used = [generator]
    variables = {id(v): v for layer in used for v in layer.variables}.values()
    return EXPORT_WEIGHT_COPIES * sum(int(np.prod(v.shape, dtype=np.int64)) * tf.as_dtype(keras.backend.standardize_dtype(v.dtype)).size
                                      for v in variables)


def export_generator(generator: keras.Model, export_dir: str, info: dict[str, Any], renderer,
                     inference_forms: bool = True, precision: str = "float32") -> str:
    """Writes the SavedModel to a temporary folder, then swaps it in for any previous export.

    With `inference_forms` the signatures run the generator's faster inference layers (see
    `inference_forward`); without, the layers as trained (bench/generate.py compares the two).
    `precision` "bfloat16" makes the upsampling layers compute in bfloat16 (faster where the CPU has
    AMX, outputs within bfloat16 rounding); wavegan.json records it.

    `renderer` (wavegan.gan.Renderer) turns generator output into the exported audio outputs; its
    `extra_inputs` (SpecGAN: ngl) follow z in every signature.
    """
    latent_dim = int(info["latent_dim"])
    classes = list(info.get("classes") or [])
    # Conditional: the label is the first of the extra inputs, before the renderer's (SpecGAN: ngl).
    extra_specs = [tf.TensorSpec([None], tf.int32, name="label")] * bool(classes) + list(renderer.extra_inputs)
    archive = keras.export.ExportArchive()
    forward, used_layers = inference_forward(generator, fast=inference_forms, precision=precision)
    if precision != "float32":
        info = {**info, "precision": precision}
    for layer in used_layers:
        # Tracking the generator model makes TensorFlow trace its default signature, G(z) alone, which a
        # conditional generator refuses; the endpoints capture its variables anyway.
        if not (classes and layer is generator):
            archive.track(layer)

    def run_generator(z, extra):
        """G(z) (with the label first in `extra` when conditional) and the renderer's own extra inputs."""
        if classes:
            return forward(z, labels=extra[0]), extra[1:]
        return forward(z), extra

    def generate(z, *extra):
        generated, extra = run_generator(z, extra)
        return renderer.export_outputs(generated, *extra)

    def sample_latents(n):
        return tf.random.uniform(tf.stack([n, latent_dim]), -1.0, 1.0)

    def sample(samp_z_n, *extra):
        z = sample_latents(samp_z_n)
        return {"z": z, **generate(z, *extra)}

    def flat(z, flat_pad, *extra):
        generated, extra = run_generator(z, extra)
        audio = flatten_clips(renderer.to_audio(generated, *extra), flat_pad)
        return {"G_z_flat": audio, "G_z_flat_int16": quantize_int16(audio)}

    z_spec = tf.TensorSpec([None, latent_dim], tf.float32, name="z")
    n_spec = tf.TensorSpec([], tf.int32, name="samp_z_n")
    pad_spec = tf.TensorSpec([], tf.int32, name="flat_pad")
    archive.add_endpoint("serving_default", generate, input_signature=[z_spec, *extra_specs])
    archive.add_endpoint("samp_z", lambda samp_z_n: {"z": sample_latents(samp_z_n)}, input_signature=[n_spec])
    archive.add_endpoint("sample", sample, input_signature=[n_spec, *extra_specs])
    archive.add_endpoint("flat", flat, input_signature=[z_spec, pad_spec, *extra_specs])
    if classes:
        weights_spec = tf.TensorSpec([None, len(classes)], tf.float32, name="label_weights")
        archive.add_endpoint("mix", lambda z, label_weights, *extra: generate(z, label_weights, *extra),
                             input_signature=[z_spec, weights_spec, *extra_specs[1:]])

    return write_archive(archive, export_dir, info, INFO_FILE)


def write_archive(archive: keras.export.ExportArchive, export_dir: str, info: dict[str, Any], info_file: str) -> str:
    """Writes the SavedModel and its info JSON to a temporary folder, then swaps it in for any previous one.

    Two writers of one export folder (training's export and `infer`) take turns (an OS lock beside it). A
    write that fails for space or permission leaves the previous export and no temporary folder, and
    raises StorageError."""
    export_dir = os.path.abspath(export_dir)
    staging, retired = export_dir + ".staging", export_dir + ".retired"
    try:
        os.makedirs(os.path.dirname(export_dir), exist_ok=True)
        with exclusive(export_dir + ".lock"):
            for leftover in (staging, retired):
                shutil.rmtree(leftover, ignore_errors=True)
            archive.write_out(staging, verbose=False)
            with open(os.path.join(staging, info_file), "w") as f:
                json.dump(info, f, indent=2, sort_keys=True)
            if os.path.exists(export_dir):
                os.rename(export_dir, retired)
            os.rename(staging, export_dir)
            shutil.rmtree(retired, ignore_errors=True)
    except (tf.errors.OpError, OSError) as e:
        if storage.fault_errno(e) is None:
            raise
        storage.remove_quietly(staging)
        if os.path.exists(retired) and not os.path.exists(export_dir):
            os.rename(retired, export_dir)
        raise storage.failure(e, f"writing the SavedModel export {export_dir}", os.path.dirname(export_dir)) from None
    return export_dir


def read_export_info(export_dir: str) -> dict[str, Any]:
    path = os.path.join(export_dir, INFO_FILE)
    with open(path) as f:
        return json.load(f)


STORAGE_FAULT_STATUS = 4  # export_child's exit status when the export's disk failed (StorageError)


class SubprocessExporter:
    """Refreshes a run's export from its checkpoints in a TensorFlow-backend subprocess, one at a time,
    while training goes on. For the JAX backend: the SavedModel's signatures are TensorFlow graphs
    (tf.random, SpecGAN's Griffin-Lim), which a JAX-backend generator cannot be traced into; the
    checkpoint files are the same for both backends, so TensorFlow rebuilds the generator from them.

    The child runs in its own session (a Ctrl-C meant for training does not cut an export short) and
    on the CPU (the accelerator stays with the trainer).
    """

    def __init__(self, train_dir: str, export_dir: str, precision: str = "float32"):
        self.train_dir, self.export_dir, self.precision = train_dir, export_dir, precision
        self.proc: subprocess.Popen | None = None
        self.errors = None

    def __call__(self, checkpoint: str, step: int) -> None:
        self.wait()
        repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = dict(os.environ, KERAS_BACKEND="tensorflow", CUDA_VISIBLE_DEVICES="",
                   TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
                   PYTHONPATH=os.pathsep.join(filter(None, [repo, os.environ.get("PYTHONPATH")])))
        self.errors = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen([sys.executable, "-m", "wavegan.cli.export_child", self.train_dir, checkpoint,
                                      self.export_dir, self.precision], stdout=subprocess.DEVNULL,
                                     stderr=self.errors, env=env, start_new_session=True)

    def wait(self, warn: bool = True) -> str | None:
        """Waits for the export under way, if any; returns why it failed (None: it did not). A failure is
        logged (`warn`), not raised: the checkpoint it came from is whole, and `infer` exports it again;
        but one for space or permission raises StorageError, as the in-process export does."""
        if self.proc is None:
            return None
        failure = None
        status = self.proc.wait()
        if status != 0:
            self.errors.seek(0)
            failure = (self.errors.read().strip().splitlines() or ["no output"])[-1]
            if status == STORAGE_FAULT_STATUS:
                self.errors.close()
                self.proc = None
                fault = failure.removeprefix("error: ")
                number = storage.fault_errno(OSError(fault))
                fix = storage.what_to_do(number, os.path.dirname(os.path.abspath(self.export_dir)))
                raise StorageError(f"{fault}: {fix}, then rerun.", fault, number)
            if warn:
                logging.getLogger("wavegan").warning("Exporting %s failed (%s); run the infer mode to retry.",
                                                     self.proc.args[4], failure)
        self.errors.close()
        self.proc = None
        return failure


def export_checkpoint(generator: keras.Model, run: RunConfig, step: int, export_dir: str, kind: GanKind,
                      precision: str = "float32") -> str:
    """Exports the generator with wavegan.json recording what a user of the SavedModel needs to know,
    including the default of every extra signature input (SpecGAN: ngl)."""
    info = {"model_type": run.model_type, "latent_dim": run.model.latent_dim, "sample_rate": run.data.sample_rate,
            "slice_len": run.data.slice_len, "num_channels": run.data.num_channels, "step": step}
    info.update(zip((spec.name for spec in kind.renderer.extra_inputs), kind.renderer.defaults))
    if run.data.classes:  # the SavedModel's signatures then take a `label` beside z
        info["classes"] = list(run.data.classes)
    return export_generator(generator, export_dir, info, kind.renderer, precision=precision)


def checkpoint_exporter(train_dir: str) -> Callable:
    """The GAN train loop's `exporter`: after each checkpoint, TRAIN_DIR/infer/saved_model is refreshed, in
    this process on the TensorFlow backend, in a TensorFlow subprocess on the others (`SubprocessExporter`).
    What it returns for a run carries `estimated_bytes`, the size of one export."""
    export_dir = os.path.join(train_dir, EXPORT_SUBDIR)

    def for_run(generator: keras.Model, run: RunConfig, kind: GanKind) -> Callable[[str, int], None]:
        if keras.backend.backend() != "tensorflow":
            refresh = SubprocessExporter(train_dir, export_dir)
        else:
            def refresh(path: str, step: int) -> None:
                logging.getLogger("wavegan").info("Exported step %d to %s", step,
                                                  export_checkpoint(generator, run, step, export_dir, kind))

        # What the disk-space check before training counts for the export.
        refresh.estimated_bytes = estimated_export_bytes(generator)
        return refresh

    return for_run
