"""The infer mode: a SavedModel whose `serving_default` signature continues seed frames.

Inputs `seeds` float32 [n, k, frame_size] (real audio frames) and `samples` int32; outputs `audio`
float32 [n, samples] in [−1, 1] (the seed not included) and `audio_int16`. `framernn.json` beside it
records the sample rate and frame size.
"""

from __future__ import annotations

import os

import keras
import tensorflow as tf

from framernn.run import continue_frames, open_model
from wavegan.audio.pcm import quantize_int16
from wavegan.serve.export import write_archive

INFO_FILE = "framernn.json"


def export(train_dir: str, checkpoint: str | None = None, export_dir: str | None = None) -> str:
    model, run, step, _ = open_model(train_dir, checkpoint)
    size = run.model.frame_size

    def generate(seeds, samples):
        frames = continue_frames(model, seeds, (samples + size - 1) // size)
        audio = tf.clip_by_value(tf.reshape(frames, [tf.shape(seeds)[0], -1])[:, :samples], -1.0, 1.0)
        return {"audio": audio, "audio_int16": quantize_int16(audio)}

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serving_default", generate, input_signature=[
        tf.TensorSpec([None, None, size], tf.float32, name="seeds"), tf.TensorSpec([], tf.int32, name="samples")])
    info = {"model_type": "framernn", "sample_rate": run.data.sample_rate, "frame_size": size, "step": step}
    return write_archive(archive, export_dir or os.path.join(train_dir, "infer", "saved_model"), info, INFO_FILE)
