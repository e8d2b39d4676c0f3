"""Log-mel features with keras.ops (reference §9.2, §9.3), and the per-clip log-mel statistics that the
validation distance uses where no classifier is given.

The mel matrix follows TensorFlow's `linear_to_mel_weight_matrix` (HTK mel scale, triangular bands
between 40 and 7800 Hz, no weight for the DC bin), computed once in NumPy. The one home of these: the
digit classifier's input layer (wavegan/evaluation/classifier.py), the |D| features (eval/features.py) and
training's held-out distance (wavegan/train/validation.py) are all built on them.
"""

from __future__ import annotations

import numpy as np
from keras import ops

CLIP_LEN = 16384
MEL_LOWER_HZ, MEL_UPPER_HZ = 40.0, 7800.0
# Log-mel statistics: 1024-sample frames every 256 samples, 64 bands → their mean and std over time, 128 values.
STATS_FRAME, STATS_HOP, STATS_MELS = 1024, 256, 64


def fix_length(audio: np.ndarray, length: int = CLIP_LEN) -> np.ndarray:
    """Truncates or zero-pads the last axis to `length` (the original's --fix_length)."""
    audio = audio[..., :length]
    return np.pad(audio, [(0, 0)] * (audio.ndim - 1) + [(0, length - audio.shape[-1])])


def hz_to_mel(hz):
    return 1127.0 * np.log1p(np.asarray(hz, np.float64) / 700.0)


def mel_matrix(num_mel: int = 128, num_bins: int = 513, sample_rate: int = 16000,
               lower_hz: float = MEL_LOWER_HZ, upper_hz: float = MEL_UPPER_HZ) -> np.ndarray:
    """[num_bins, num_mel] triangular mel filterbank, as tf.signal.linear_to_mel_weight_matrix."""
    bins_mel = hz_to_mel(np.linspace(0.0, sample_rate / 2.0, num_bins)[1:])[:, None]
    edges = np.linspace(hz_to_mel(lower_hz), hz_to_mel(upper_hz), num_mel + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    weights = np.maximum(0.0, np.minimum((bins_mel - lower) / (center - lower), (upper - bins_mel) / (upper - center)))
    return np.pad(weights, [[1, 0], [0, 0]]).astype(np.float32)


def log_mel(audio, frame_len: int, frame_step: int = 128, num_mel: int = 128, sample_rate: int = 16000,
            clip_len: int = CLIP_LEN, upper_hz: float = MEL_UPPER_HZ):
    """[batch, clip_len] → ln(mel(|STFT|) + 1e-6), [batch, ⌈clip_len / frame_step⌉ frames, num_mel]: periodic
    Hann frames, the signal end-padded as tf.signal.stft(pad_end=True) does."""
    frames = -(-clip_len // frame_step)
    audio = ops.pad(audio, [[0, 0], [0, (frames - 1) * frame_step + frame_len - clip_len]])
    real, imag = ops.stft(audio, frame_len, frame_step, frame_len, window="hann", center=False)
    magnitude = ops.sqrt(real * real + imag * imag)
    mel = ops.matmul(magnitude, mel_matrix(num_mel, frame_len // 2 + 1, sample_rate, upper_hz=upper_hz))
    return ops.log(mel + 1e-6)


def logmel_statistics(clips: np.ndarray, sample_rate: int = 16000, batch: int = 64) -> np.ndarray:
    """Float clips [n, samples] → [n, 128]: the mean and the standard deviation over time of each of 64
    log-mel bands (1024-sample frames every 256 samples; bands up to 7800 Hz, or 0.4875 × the rate below
    16 kHz). A feature space that needs no labels and no trained network, in which a Fréchet distance
    compares the spectral balance and the dynamics of two sets of clips."""
    clips = np.asarray(clips, np.float32)
    upper = min(MEL_UPPER_HZ, MEL_UPPER_HZ / 16000.0 * sample_rate)
    out = []
    for start in range(0, len(clips), batch):
        mel = np.asarray(ops.convert_to_numpy(log_mel(clips[start:start + batch], STATS_FRAME, STATS_HOP, STATS_MELS,
                                                      sample_rate, clips.shape[1], upper)), np.float64)
        out.append(np.concatenate([mel.mean(axis=1), mel.std(axis=1)], axis=1))
    return np.concatenate(out) if out else np.zeros((0, 2 * STATS_MELS))
