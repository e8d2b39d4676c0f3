"""SpecGAN's audio ↔ spectrogram transforms (reference §4.1–4.3), in TensorFlow (they run in tf.data and in
the exported graph; the models themselves use keras.ops only).

audio [b, 16384, 1] → STFT (256 / 128, periodic Hann, end-padded) → 128 × 129 → drop Nyquist →
ln(|X| + 1e-6) → per-bin standardisation with the dataset moments → ÷ 3 → clip [−1, 1] → [b, 128, 128, 1].
The inverse runs Griffin-Lim for `ngl` iterations exactly as the original: zero initial phase,
TensorFlow's default (unnormalised) Hann synthesis window, output cropped to 16384 samples.
"""

from __future__ import annotations

import os
from typing import Iterable

import numpy as np
import tensorflow as tf

from wavegan import storage
from wavegan.errors import UserError

SLICE_LEN = 16384
FRAME_LEN, FRAME_STEP, FFT_LEN = 256, 128, 256
N_BINS = FFT_LEN // 2 + 1  # 129 with the Nyquist bin
LOG_EPS = 1e-6
CLIP_STDS = 3.0
MOMENTS_FILE = "moments.npz"


def log_magnitude(audio: tf.Tensor) -> tf.Tensor:
    """[..., 16384, 1] → ln(|STFT| + 1e-6) of shape [..., 128 frames, 129 bins]."""
    stft = tf.signal.stft(audio[..., 0], FRAME_LEN, FRAME_STEP, FFT_LEN, pad_end=True)
    return tf.math.log(tf.abs(stft) + LOG_EPS)


def audio_to_spectrogram(audio: tf.Tensor, mean: np.ndarray, std: np.ndarray) -> tf.Tensor:
    """[..., 16384, 1] → normalised spectrogram [..., 128, 128, 1] in [−1, 1]."""
    log_mag = log_magnitude(audio)[..., :-1]
    normed = (log_mag - mean[:-1]) / std[:-1] / CLIP_STDS
    return tf.stop_gradient(tf.clip_by_value(normed, -1.0, 1.0)[..., None])


def _magnitude(spectrogram: tf.Tensor, mean: np.ndarray, std: np.ndarray) -> tf.Tensor:
    """Undo the normalisation; the dropped Nyquist bin comes back as 0, i.e. its mean log magnitude."""
    normed = tf.pad(spectrogram[..., 0], [[0, 0], [0, 0], [0, 1]])
    return tf.exp(normed * CLIP_STDS * std + mean)


def griffin_lim(magnitude: tf.Tensor, ngl: tf.Tensor | int) -> tf.Tensor:
    """[b, 128, 129] magnitude → [b, 16384, 1] audio after `ngl` Griffin-Lim iterations.

    The inverse STFT of 128 frames is (128 − 1)·128 + 256 = 16512 samples, whose STFT without end
    padding has 128 frames again.
    """
    target = tf.complex(magnitude, tf.zeros_like(magnitude))

    def iteration(i, estimate):
        signal = tf.signal.inverse_stft(estimate, FRAME_LEN, FRAME_STEP, FFT_LEN)
        rebuilt = tf.signal.stft(signal, FRAME_LEN, FRAME_STEP, FFT_LEN)
        phase = rebuilt / tf.cast(tf.maximum(tf.abs(rebuilt), 1e-8), tf.complex64)
        return i + 1, target * phase

    _, estimate = tf.while_loop(lambda i, _: i < ngl, iteration, (tf.constant(0), target))
    signal = tf.signal.inverse_stft(estimate, FRAME_LEN, FRAME_STEP, FFT_LEN)
    return signal[:, :SLICE_LEN, None]


def spectrogram_to_audio(spectrogram: tf.Tensor, mean: np.ndarray, std: np.ndarray, ngl: tf.Tensor | int) -> tf.Tensor:
    """Normalised spectrogram [b, 128, 128, 1] → audio [b, 16384, 1]."""
    return griffin_lim(_magnitude(tf.convert_to_tensor(spectrogram, tf.float32), mean, std), ngl)


def spectrogram_to_image(spectrogram: tf.Tensor) -> tf.Tensor:
    """[b, 128, 128, 1] in [−1, 1] → uint8 images, time left to right and low frequencies at the bottom."""
    pixels = tf.cast(tf.clip_by_value((spectrogram + 1.0) * 128.0, 0.0, 255.0), tf.uint8)
    return tf.image.rot90(pixels, k=1)


class Moments:
    """Per-frequency-bin mean and population standard deviation of ln(|X| + 1e-6), 129 bins."""

    def __init__(self, mean: np.ndarray, std: np.ndarray):
        self.mean = np.asarray(mean, np.float32)
        self.std = np.asarray(std, np.float32)

    @classmethod
    def from_frames(cls, batches: Iterable[np.ndarray]) -> "Moments":
        """Streams log-magnitude frames [..., 129] with float64 running sums (no frame is kept)."""
        count, total, squares = 0, np.zeros(N_BINS), np.zeros(N_BINS)
        for frames in batches:
            frames = np.asarray(frames, np.float64).reshape(-1, N_BINS)
            count += len(frames)
            total += frames.sum(axis=0)
            squares += np.square(frames).sum(axis=0)
        if count == 0:
            raise UserError("The moments pass saw no audio: check --data_dir and the slicing flags.")
        mean = total / count
        return cls(mean, np.sqrt(np.maximum(squares / count - np.square(mean), 0.0)))

    def save(self, path: str) -> None:
        tmp = path + ".tmp.npz"
        try:
            np.savez(tmp, mean=self.mean, std=self.std)
            os.replace(tmp, path)
        except OSError as e:
            storage.remove_quietly(tmp)
            raise storage.failure(e, f"writing the moments to {path}", path) or e

    @classmethod
    def load(cls, path: str) -> "Moments":
        hint = "compute them with `python train_specgan.py moments TRAIN_DIR --data_dir ... --data_moments_fp FILE`."
        if not path or not os.path.exists(path):
            raise UserError(f"No moments file at {path!r}: {hint}")
        try:
            with np.load(path, allow_pickle=False) as stored:
                moments = cls(stored["mean"], stored["std"])
        except (OSError, ValueError, KeyError) as e:
            raise UserError(f"{path} is not a moments file ({e}): {hint}") from e
        if moments.mean.shape != (N_BINS,) or moments.std.shape != (N_BINS,):
            raise UserError(f"{path} holds moments of shape {moments.mean.shape}, not ({N_BINS},): {hint}")
        if not np.all(moments.std > 0):
            raise UserError(f"{path} has a zero standard deviation in some bin (silent data?): {hint}")
        return moments

    def equals(self, other: "Moments") -> bool:
        return np.array_equal(self.mean, other.mean) and np.array_equal(self.std, other.std)
