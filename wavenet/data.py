"""The WaveNet's pieces (reference §B5) on top of the shared pipeline (wavegan/audio/pipeline.py).

Per file: silence trimmed by frame RMS, left-padded with receptive_field zeros, cut into pieces of
receptive_field + sample_size samples advancing by sample_size (so every real sample is a target
exactly once); the last piece is zero-padded at the end. With global conditioning each category has
its own stream of pieces and batches draw from them in proportion to their number of files.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Sequence

import numpy as np
import tensorflow as tf

from wavegan.audio import categories
from wavegan.audio import pipeline as data
from wavegan.audio import mulaw
from wavegan.audio.files import AudioFileInfo
from wavegan.config import DataConfig

TRIM_FRAME, TRIM_HOP = 2048, 512


def trim_silence(samples: tf.Tensor, threshold: float) -> tf.Tensor:
    """[n, 1] → the samples from the first to (excluding) the last 512-hop frame whose RMS exceeds
    `threshold` (frames of 2048, centred with zero padding, as librosa's RMS); ≤ 0.001 disables it."""
    if threshold <= 0.001:
        return samples
    x = samples[:, 0]
    n = tf.shape(x)[0]
    frame = tf.minimum(TRIM_FRAME, n)
    padded = tf.pad(x, [[frame // 2, frame // 2]])
    frames = tf.signal.frame(padded, frame, TRIM_HOP)
    rms = tf.sqrt(tf.reduce_mean(tf.square(frames), axis=1))
    # The loud frames in ascending order, then a 0 so that a clip without any gives start = end = 0.
    loud = tf.concat([tf.cast(tf.where(rms > threshold)[:, 0], tf.int32), [0]], 0)
    start, end = TRIM_HOP * loud[0], TRIM_HOP * tf.reduce_max(loud)
    return samples[start:tf.maximum(start, end)]


def pieces(samples: tf.Tensor, receptive_field: int, sample_size: int, silence_threshold: float) -> tf.Tensor:
    """[n, 1] → [pieces, receptive_field + sample_size, 1] (sample_size 0: the whole file, one piece)."""
    samples = trim_silence(samples, silence_threshold)
    n = tf.shape(samples)[0]
    padded = tf.concat([tf.zeros([receptive_field, 1]), samples], axis=0)
    if sample_size == 0:
        return padded[None][: tf.minimum(n, 1)]
    count = (n + sample_size - 1) // sample_size
    return tf.signal.frame(padded, receptive_field + sample_size, sample_size, pad_end=True, axis=0)[:count]


def piece_config(cfg: DataConfig, receptive_field: int, sample_size: int) -> DataConfig:
    """The shared DataConfig with the piece length as slice length (for the pipeline's file checks)."""
    length = receptive_field + (sample_size or 16384)
    return dataclasses.replace(cfg, slice_len=length, pad_end=True, first_slice=False, overlap_ratio=0.0)


def to_training_pair(batch: tf.Tensor, receptive_field: int, quantization_channels: int):
    """§4: inputs = all classes but the last, targets = the classes from receptive_field on."""
    classes = mulaw.encode(batch[..., 0], quantization_channels)
    return classes[:, :-1], classes[:, receptive_field:]


def make_dataset(files: Sequence[AudioFileInfo], cfg: DataConfig, model_cfg, batch_size: int,
                 training: bool = True) -> tf.data.Dataset:
    """Batches ((classes [B, T−1], ids [B]) or classes, targets [B, T − RF]) forever; with `training` off,
    every piece once, in the same order each time (the held-out batches; the last one may be smaller)."""
    rf = model_cfg.receptive_field
    cfg = piece_config(cfg, rf, model_cfg.sample_size)
    slicer = lambda samples: pieces(samples, rf, model_cfg.sample_size, model_cfg.silence_threshold)
    shuffle = max(4 * batch_size, 16)  # pieces can be 100k samples long: a small buffer

    def stream(subset: Sequence[AudioFileInfo]) -> tf.data.Dataset:
        return data.example_dataset(subset, cfg, shuffle=training, repeat=training, shuffle_buffer=shuffle,
                                    slicer=slicer)

    if model_cfg.gc_channels:
        names = model_cfg.gc_categories
        by_category = {}
        for f in files:
            name = categories.category_of(f.path, model_cfg.gc_source)
            by_category.setdefault(categories.category_id(name, names, model_cfg.gc_source), []).append(f)
        ids = sorted(by_category)
        streams = [stream(by_category[i]).map(lambda x, i=i: (x, tf.constant(i, tf.int32))) for i in ids]
        counts = np.array([len(by_category[i]) for i in ids], np.float64)
        if training:
            examples = tf.data.Dataset.sample_from_datasets(streams, weights=list(counts / counts.sum()))
        else:
            examples = streams[0]
            for more in streams[1:]:
                examples = examples.concatenate(more)

        def to_pair(x, i):
            inputs, targets = to_training_pair(x, rf, model_cfg.quantization_channels)
            return (inputs, i), targets
    else:
        examples = stream(files)
        to_pair = lambda x: to_training_pair(x, rf, model_cfg.quantization_channels)
    batches = examples.padded_batch(batch_size, drop_remainder=training) if model_cfg.sample_size == 0 \
        else examples.batch(batch_size, drop_remainder=training)
    return batches.map(to_pair, num_parallel_calls=tf.data.AUTOTUNE).prefetch(2)


def category_counts(files: Sequence[AudioFileInfo], source: str) -> Counter:
    return Counter(categories.category_of(f.path, source) for f in files)
