"""WaveNet generation (reference §B7): N clips of any length, temperature, optional seed, naive or fast.

Both algorithms start from the same context and consume the same random numbers (one uniform draw per
clip and sample, turned into a class by inverse-CDF sampling), so from the same weights and seed they
produce the same samples. The naive one recomputes the whole receptive field for every sample.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
import tensorflow as tf
import threadpoolctl

from wavegan.audio import files as audio
from wavegan.audio import mulaw
from wavegan.errors import UserError
from wavenet.data import trim_silence
from wavenet.fast_generation import FastGenerator

SEED_TRIM_THRESHOLD = 0.1  # generate.py's fixed silence threshold for the seed (§7)


def sample_classes(logits: np.ndarray, temperature: float, uniforms: np.ndarray) -> np.ndarray:
    """p' ∝ softmax(logits / T), sampled by inverse CDF with one uniform per row; T = 0 takes the argmax."""
    if temperature == 0:
        return np.asarray(logits).argmax(axis=1).astype(np.int32)
    scaled = np.array(logits, np.float64)  # a copy, changed in place below
    if temperature != 1.0:  # x / 1 is x: skipping it changes no bit
        scaled /= temperature
    last = scaled.shape[1] - 1
    if len(scaled) == 1:  # fast generation at batch 1 takes µs per sample: one row, fewer numpy calls
        row = scaled[0]
        row -= row.max()
        cdf = np.cumsum(np.exp(row, out=row))
        # The row is non-decreasing: the count of entries below the threshold, by bisection.
        return np.array([min(int(np.searchsorted(cdf, uniforms[0] * cdf[-1])), last)], np.int32)
    scaled -= scaled.max(axis=1, keepdims=True)
    cdf = np.cumsum(np.exp(scaled, out=scaled), axis=1)
    chosen = (cdf < uniforms[:, None] * cdf[:, -1:]).sum(axis=1)
    return np.minimum(chosen, last).astype(np.int32)


def seed_classes(path: str, model, sample_rate: int) -> np.ndarray:
    """§7.3: the seed WAV decoded, trimmed at 0.1, μ-law encoded, its first receptive_field samples."""
    try:
        samples = audio.decode_audio(path, sample_rate, 1, normalize=False)[:, 0]
    except (audio.AudioDecodeError, OSError) as e:
        raise UserError(f"Cannot read --generate_wav_seed {path} ({audio.error_summary(e)}): pass a readable audio file.")
    samples = np.asarray(trim_silence(tf.constant(samples[:, None]), SEED_TRIM_THRESHOLD))[:, 0]
    if len(samples) == 0:
        raise UserError(f"--generate_wav_seed {path} is silent (no 2048-sample frame above RMS 0.1): pass a louder file.")
    return mulaw.encode_np(samples[:model.receptive_field], model.quantization_channels)


def initial_context(model, n: int, rng: np.random.Generator, seed: np.ndarray | None = None) -> np.ndarray:
    """[n, RF] classes the first prediction sees. Without a seed: silence and one random class (§7.3);
    a seed shorter than the receptive field is preceded by silence (the original's naive mode failed)."""
    rf, silence = model.receptive_field, model.quantization_channels // 2
    context = np.full((n, rf), silence, np.int32)
    if seed is None:
        context[:, -1] = rng.integers(0, model.quantization_channels, n)
    else:
        context[:, rf - len(seed):] = seed
    return context


class NaiveGenerator:
    """Runs the training network over the last receptive_field classes for every sample (§7.1)."""

    def __init__(self, model):
        self.model = model
        self._logits = tf.function(lambda inputs: model(inputs)[:, -1])

    def start(self, context: np.ndarray, ids: np.ndarray | None = None) -> None:
        """`context` [B, RF − 1]: the classes before the first step's input (as FastGenerator.start)."""
        self.history, self.ids = np.array(context, np.int32), ids

    def step(self, classes: np.ndarray) -> np.ndarray:
        window = np.concatenate([self.history, classes[:, None].astype(np.int32)], axis=1)
        self.history = window[:, 1:]
        return np.asarray(self._logits(self.model.example_inputs(window, self.ids)))


def generate(model, n: int, length: int, temperature: float = 1.0, seed: int | None = 0,
             wav_seed: np.ndarray | None = None, ids: np.ndarray | None = None, fast: bool = True,
             progress: Callable[[int], None] | None = None) -> np.ndarray:
    """n clips of `length` new classes [n, length] (the context is not included)."""
    if temperature < 0:
        raise UserError(f"--generate_temperature must be 0 or more, not {temperature}.")
    rng = np.random.default_rng(seed)
    context = initial_context(model, n, rng, wav_seed)
    generator = FastGenerator(model) if fast else NaiveGenerator(model)
    if model.gc_channels:
        ids = np.asarray(ids, np.int32)
    generator.start(context[:, :-1], ids)
    out = np.empty((n, length), np.int32)
    current = context[:, -1].copy()
    # One BLAS thread: each sample is hundreds of tiny products, where waking threads costs more than it
    # saves (7× slower per sample with OpenBLAS's default threads on this 2-core machine).
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        for i in range(length):
            logits = generator.step(current)
            current = sample_classes(logits, temperature, rng.random(n))
            out[:, i] = current
            if progress is not None:
                progress(i + 1)
    return out


def progress_printer(total: int, print_fn: Callable[[str], None] = print, every_secs: float = 10.0):
    """About once every `every_secs`: samples done and samples per second (per clip)."""
    start, last = time.monotonic(), [time.monotonic()]

    def report(done: int) -> None:
        now = time.monotonic()
        if now - last[0] >= every_secs or done == total:
            last[0] = now
            print_fn(f"sample {done}/{total}  {done / max(now - start, 1e-9):.0f} samples/s")

    return report
