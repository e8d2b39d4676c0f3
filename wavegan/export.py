"""SavedModel export of a generator, loadable with plain TensorFlow (SPEC §8), and the output formats.

Signatures mirror the original's infer-graph tensors:

| signature | inputs | outputs |
|---|---|---|
| `serving_default` | `z` float32 [n, latent_dim] | `G_z` float32 [n, slice_len, channels], `G_z_int16` int16 |
| `samp_z` | `samp_z_n` int32 scalar | `z` float32 [samp_z_n, latent_dim], U(−1, 1) |
| `sample` | `samp_z_n` int32 scalar | `z`, `G_z`, `G_z_int16` for samp_z_n fresh latents |
| `flat` | `z`, `flat_pad` int32 scalar | `G_z_flat` float32 [n·(slice_len+flat_pad), channels], `G_z_flat_int16` |

`wavegan.json` beside `saved_model.pb` records sample rate, latent size, slice length and step.
"""

from __future__ import annotations

import json
import os
import shutil
from typing import Any

import keras
import tensorflow as tf
from keras import ops

INFO_FILE = "wavegan.json"
EXPORT_SUBDIR = os.path.join("infer", "saved_model")


def quantize_int16(audio):
    """x·32767, clipped to ±32767, truncated toward zero (the original's G_z_int16)."""
    return ops.cast(ops.clip(audio * 32767.0, -32767.0, 32767.0), "int16")


def flatten_clips(audio, pad: int):
    """[n, time, channels] → [n·(time+pad), channels]: each clip followed by `pad` zeros."""
    padded = ops.pad(audio, [[0, 0], [0, pad], [0, 0]])
    return ops.reshape(padded, (-1, ops.shape(audio)[2]))


def export_generator(generator: keras.Model, export_dir: str, info: dict[str, Any], renderer) -> str:
    """Writes the SavedModel to a temporary folder, then swaps it in for any previous export.

    `renderer` (wavegan.gan.Renderer) turns generator output into the exported audio outputs; its
    `extra_inputs` (SpecGAN: ngl) follow z in every signature.
    """
    latent_dim = int(info["latent_dim"])
    extra_specs = list(renderer.extra_inputs)
    archive = keras.export.ExportArchive()
    archive.track(generator)

    def generate(z, *extra):
        return renderer.export_outputs(generator(z, training=False), *extra)

    def sample_latents(n):
        return tf.random.uniform(tf.stack([n, latent_dim]), -1.0, 1.0)

    def sample(samp_z_n, *extra):
        z = sample_latents(samp_z_n)
        return {"z": z, **generate(z, *extra)}

    def flat(z, flat_pad, *extra):
        audio = flatten_clips(renderer.to_audio(generator(z, training=False), *extra), flat_pad)
        return {"G_z_flat": audio, "G_z_flat_int16": quantize_int16(audio)}

    z_spec = tf.TensorSpec([None, latent_dim], tf.float32, name="z")
    n_spec = tf.TensorSpec([], tf.int32, name="samp_z_n")
    pad_spec = tf.TensorSpec([], tf.int32, name="flat_pad")
    archive.add_endpoint("serving_default", generate, input_signature=[z_spec, *extra_specs])
    archive.add_endpoint("samp_z", lambda samp_z_n: {"z": sample_latents(samp_z_n)}, input_signature=[n_spec])
    archive.add_endpoint("sample", sample, input_signature=[n_spec, *extra_specs])
    archive.add_endpoint("flat", flat, input_signature=[z_spec, pad_spec, *extra_specs])

    return write_archive(archive, export_dir, info, INFO_FILE)


def write_archive(archive: keras.export.ExportArchive, export_dir: str, info: dict[str, Any], info_file: str) -> str:
    """Writes the SavedModel and its info JSON to a temporary folder, then swaps it in for any previous one."""
    export_dir = os.path.abspath(export_dir)
    staging, retired = export_dir + ".staging", export_dir + ".retired"
    for leftover in (staging, retired):
        shutil.rmtree(leftover, ignore_errors=True)
    archive.write_out(staging, verbose=False)
    with open(os.path.join(staging, info_file), "w") as f:
        json.dump(info, f, indent=2, sort_keys=True)
    if os.path.exists(export_dir):
        os.rename(export_dir, retired)
    os.rename(staging, export_dir)
    shutil.rmtree(retired, ignore_errors=True)
    return export_dir


def read_export_info(export_dir: str) -> dict[str, Any]:
    path = os.path.join(export_dir, INFO_FILE)
    with open(path) as f:
        return json.load(f)
