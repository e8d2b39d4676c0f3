"""The μ-law codec of the WaveNet baseline (reference §B1), in keras.ops (any backend) and numpy.

Encode: clip to [−1, 1], compand with μ = Q − 1, round half up into classes 0 … μ. Decode: the
inverse companding of each class's centre, exactly ±1 at the two ends. Decode → encode is the identity.
"""

from __future__ import annotations

import numpy as np
from keras import ops


def encode(audio, quantization_channels: int = 256):
    """Float audio (any shape) → int32 classes in [0, Q − 1]."""
    mu = float(quantization_channels - 1)
    x = ops.clip(ops.convert_to_tensor(audio, "float32"), -1.0, 1.0)
    companded = ops.sign(x) * ops.log1p(mu * ops.abs(x)) / np.log1p(mu)
    return ops.cast((companded + 1.0) / 2.0 * mu + 0.5, "int32")


def decode(classes, quantization_channels: int = 256):
    """int classes → float32 audio in [−1, 1]."""
    mu = float(quantization_channels - 1)
    y = 2.0 * ops.cast(classes, "float32") / mu - 1.0
    return ops.sign(y) * (ops.power(1.0 + mu, ops.abs(y)) - 1.0) / mu


def encode_np(audio: np.ndarray, quantization_channels: int = 256) -> np.ndarray:
    """numpy twin of `encode`, for generation seeds and outputs (no tensors involved)."""
    mu = float(quantization_channels - 1)
    x = np.clip(np.asarray(audio, np.float64), -1.0, 1.0)
    companded = np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu)
    return ((companded + 1.0) / 2.0 * mu + 0.5).astype(np.int32)


def decode_np(classes: np.ndarray, quantization_channels: int = 256) -> np.ndarray:
    mu = float(quantization_channels - 1)
    y = 2.0 * np.asarray(classes, np.float64) / mu - 1.0
    return (np.sign(y) * ((1.0 + mu) ** np.abs(y) - 1.0) / mu).astype(np.float32)
