"""The infer mode: a SavedModel whose `serving_default` signature generates audio with the fast algorithm.

| input | | output | |
|---|---|---|---|
| `n` int32 | clips | `audio` float32 [n, samples] | μ-law decoded, in [−1, 1] |
| `samples` int32 | samples per clip | `audio_int16` int16 [n, samples] | |
| `temperature` float32 | 0: the likeliest class | | |
| `seed` int32 | random stream | | |
| `category` int32 | conditioning id (ignored without) | | |

`wavenet.json` beside it records the sample rate, receptive field and the category names by id.
"""

from __future__ import annotations

import os

import keras
import tensorflow as tf

from wavegan.audio import mulaw
from wavegan.audio.pcm import quantize_int16
from wavegan.serve.export import write_archive
from wavenet.fast_generation import GraphFastGenerator

INFO_FILE = "wavenet.json"


def export(train_dir: str, checkpoint: str | None = None, export_dir: str | None = None) -> str:
    from wavenet.run import open_model

    model, run, step, _ = open_model(train_dir, checkpoint)
    graph = GraphFastGenerator(model)
    q, rf = model.quantization_channels, model.receptive_field

    def generate(n, samples, temperature, seed, category):
        first = tf.random.stateless_uniform([n], tf.stack([seed, -1]), 0, q, dtype=tf.int32)
        context = tf.concat([tf.fill([n, rf - 1], q // 2), first[:, None]], axis=1)
        ids = tf.fill([n], category) if model.gc_channels else None
        classes = graph.generate(context, samples, temperature, seed, ids)
        audio = mulaw.decode(classes, q)
        return {"audio": audio, "audio_int16": quantize_int16(audio)}

    archive = keras.export.ExportArchive()
    archive.track(model)
    specs = [tf.TensorSpec([], tf.int32, name="n"), tf.TensorSpec([], tf.int32, name="samples"),
             tf.TensorSpec([], tf.float32, name="temperature"), tf.TensorSpec([], tf.int32, name="seed"),
             tf.TensorSpec([], tf.int32, name="category")]
    archive.add_endpoint("serving_default", generate, input_signature=specs)
    info = {"model_type": "wavenet", "sample_rate": run.data.sample_rate, "receptive_field": rf, "step": step,
            "categories": run.model.gc_categories if run.model.gc_channels else []}
    return write_archive(archive, export_dir or os.path.join(train_dir, "infer", "saved_model"), info, INFO_FILE)
