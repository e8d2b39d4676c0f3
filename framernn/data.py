"""Sequences of frames on top of the shared pipeline (wavegan/audio/pipeline.py): each file is cut into
non-overlapping windows of seq_len + 1 frames (a random start offset per epoch, the zero-padded tail
kept), each window reshaped to frames; inputs are frames 0 … n−2, targets frames 1 … n−1."""

from __future__ import annotations

import dataclasses
from typing import Sequence

import tensorflow as tf

from wavegan.audio import pipeline as data
from wavegan.audio.files import AudioFileInfo
from wavegan.config import DataConfig


def sequence_config(cfg: DataConfig, model_cfg) -> DataConfig:
    """The shared DataConfig with one window per slice (hop = window: frames never overlap)."""
    return dataclasses.replace(cfg, slice_len=model_cfg.window, overlap_ratio=0.0)


def to_frames(batch: tf.Tensor, frame_size: int) -> tf.Tensor:
    """[B, (n)·F, 1] → [B, n, F]."""
    return tf.reshape(batch, [tf.shape(batch)[0], -1, frame_size])


def make_dataset(files: Sequence[AudioFileInfo], cfg: DataConfig, model_cfg, batch_size: int,
                 training: bool = True) -> tf.data.Dataset:
    """(input frames [B, seq_len, F], target frames [B, seq_len, F]) forever; with `training` off, every
    window of every file once, cut from the file's start, in the same order each time (the held-out batches;
    the last one may be smaller)."""
    seq_cfg = sequence_config(cfg, model_cfg)
    if training:
        examples = data.example_dataset(files, seq_cfg)
    else:
        examples = data.example_dataset(files, seq_cfg, shuffle=False, repeat=False,
                                        slicer=lambda samples: data.frame_audio(samples, tf.constant(0), seq_cfg))
    frame = model_cfg.frame_size

    def to_pair(batch):
        frames = to_frames(batch, frame)
        return frames[:, :-1], frames[:, 1:]

    return examples.batch(batch_size, drop_remainder=training).map(to_pair, num_parallel_calls=tf.data.AUTOTUNE).prefetch(2)
