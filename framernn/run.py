"""train_framernn.py's modes: train (MSE on the next frame), generate (seed with real frames, feed the
predictions back, cut the seed off) and infer (a SavedModel)."""

from __future__ import annotations

import logging
import math
from typing import Callable

import keras
import numpy as np
import tensorflow as tf

from framernn.data import make_dataset, sequence_config
from framernn.models import FrameRNN
from wavegan.audio import files as audio
from wavegan.audio import pipeline as data
from wavegan.audio import split as splitting
from wavegan.train import checkpoints, supervised, validation
from wavegan.config import RunConfig
from wavegan.errors import UserError
from wavegan.audio.pcm import quantize_int16
from wavegan.serve.generate import numbered_wav_writer

log = logging.getLogger("wavegan")


def build_model(run: RunConfig) -> FrameRNN:
    cfg = run.model
    return FrameRNN(cfg.frame_size, cfg.units, cfg.layers, name="framernn").build_for()


def make_optimizer(cfg) -> keras.optimizers.Optimizer:
    """The post leaves it open (reference §B10.3): Adam, gradients clipped to norm `clipnorm` (0: not clipped)."""
    return keras.optimizers.Adam(cfg.learning_rate, clipnorm=cfg.clipnorm or None)


def make_loss() -> keras.losses.Loss:
    """reference §B10.1: mean squared error of prediction − target, averaged over the sequence (and over the
    frame's samples and the batch)."""
    return keras.losses.MeanSquaredError()


def train(train_dir: str, run: RunConfig, print_fn: Callable[[str], None] = print, on_start=None) -> int:
    from wavegan import config

    run.data = sequence_config(run.data, run.model)
    split = splitting.split_files(data.prepare_files(run.data, run.train.batch_size), run.data, train_dir)
    files = split.train
    config.save_run_config(train_dir, run)
    model = build_model(run)
    dataset = make_dataset(files, run.data, run.model, run.train.batch_size)
    loss = make_loss()
    evaluator = None
    if split.valid:  # the held-out MSE of the next frame over the first --train_valid_n held-out sequences
        batches = math.ceil(run.train.valid_n / run.train.batch_size)
        held_out = make_dataset(split.valid, run.data, run.model, run.train.batch_size, training=False).take(batches)
        evaluator = validation.HeldOutLoss(model, lambda: held_out, loss, "mse")
    return supervised.train_model(train_dir, run, model, make_optimizer(run.model), loss, dataset, print_fn,
                                  split.recording(train_dir, on_start), evaluator)


def open_model(source: str, checkpoint: str | None = None):
    return checkpoints.load_model(source, build_model, "framernn", checkpoint)


def seed_frames(run: RunConfig, n: int, frames: int, rng: np.random.Generator, wav_seed: str | None = None) -> np.ndarray:
    """[n, frames, F]: the first `frames` frames of `wav_seed`, or of n files drawn from the training data."""
    size = run.model.frame_size
    if wav_seed:
        paths = [wav_seed] * n
    else:
        found = audio.find_audio_files(run.data.data_dir)
        paths = [found[i] for i in rng.integers(0, len(found), n)]
    seeds = np.zeros((n, frames * size), np.float32)
    for i, path in enumerate(paths):
        try:
            samples = audio.decode_audio(path, run.data.sample_rate, 1, run.data.normalize)[: frames * size, 0]
        except (audio.AudioDecodeError, OSError) as e:
            if wav_seed:
                raise UserError(f"Cannot read --generate_wav_seed {path} ({audio.error_summary(e)}): pass an audio file.")
            log.warning("Seed file %s unreadable (%s): a silent seed instead.", path, audio.error_summary(e))
            continue
        seeds[i, : len(samples)] = samples
    return seeds.reshape(n, frames, size)


def continue_frames(model: FrameRNN, seeds, count):
    """Runs the GRUs over the seed frames, then feeds each predicted frame back as the next input
    (state carried, one new frame per step); returns the `count` new frames [n, count, F].

    A tf.while_loop, so that the exported SavedModel runs the same code (framernn/export.py)."""
    seeds = tf.convert_to_tensor(seeds, tf.float32)
    prediction, states = model.step(seeds, model.zero_states(tf.shape(seeds)[0]))
    frames = tf.TensorArray(tf.float32, size=count, element_shape=[None, model.frame_size])
    frames = frames.write(0, prediction[:, -1])

    def body(i, frame, states, frames):
        prediction, states = model.step(frame[:, None], states)
        return i + 1, prediction[:, -1], states, frames.write(i, prediction[:, -1])

    _, _, _, frames = tf.while_loop(lambda i, *_: i < count, body, (tf.constant(1), prediction[:, -1], states, frames))
    return tf.transpose(frames.stack(), [1, 0, 2])


def generate_clips(model: FrameRNN, run: RunConfig, n: int, samples: int, seed: int = 0, seed_frame_count: int = 2,
                   wav_seed: str | None = None, batch_size: int = 64,
                   on_batch: Callable[[int, np.ndarray], None] | None = None) -> np.ndarray:
    """n float clips [n, samples] continuing real seed frames (which are not part of the output)."""
    if n < 1 or samples < 1 or batch_size < 1 or seed_frame_count < 1:
        raise UserError("--generate_n, --generate_samples, --generate_batch_size and --generate_seed_frames "
                        "must be at least 1.")
    size = run.model.frame_size
    count = -(-samples // size)
    rng = np.random.default_rng(seed)
    clips = []
    for start in range(0, n, batch_size):
        seeds = seed_frames(run, min(batch_size, n - start), seed_frame_count, rng, wav_seed)
        audio_batch = np.clip(np.asarray(continue_frames(model, seeds, count)).reshape(len(seeds), -1)[:, :samples],
                              -1.0, 1.0)
        if on_batch:
            on_batch(start, audio_batch)
        clips.append(audio_batch)
    return np.concatenate(clips)


def generate(source: str, out_dir: str | None, n: int, samples: int, seed: int, seed_frame_count: int,
             wav_seed: str | None, batch_size: int, print_fn: Callable[[str], None] = print) -> list[str]:
    model, run, step, path = open_model(source)
    out_dir, paths, write = numbered_wav_writer(source, out_dir, run.data.sample_rate, n, print_fn)
    print_fn(f"Generating {n} clips of {samples} samples from {path} (step {step}), each continuing "
             f"{seed_frame_count} real frame(s) of {run.model.frame_size} samples")
    generate_clips(model, run, n, samples, seed, seed_frame_count, wav_seed, batch_size, on_batch=write)
    return paths


def clips_for_scoring(source: str, n: int, seed: int, samples: int = 16384) -> np.ndarray:
    """eval.score --model: n clips, each continuing two real frames of a random training file."""
    model, run, _, _ = open_model(source)
    clips = generate_clips(model, run, n, samples, seed=seed)
    return np.asarray(quantize_int16(clips)).astype(np.float32) / 32768.0  # as the written WAVs decode
