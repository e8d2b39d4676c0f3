"""Log-mel features (reference §9.2, §9.3) with keras.ops, so the classifier runs on any backend.

The mel matrix follows TensorFlow's `linear_to_mel_weight_matrix` (HTK mel scale, triangular bands
between 40 and 7800 Hz, no weight for the DC bin), computed once in NumPy.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

CLIP_LEN = 16384


def hz_to_mel(hz):
    return 1127.0 * np.log1p(np.asarray(hz, np.float64) / 700.0)


def mel_matrix(num_mel: int = 128, num_bins: int = 513, sample_rate: int = 16000,
               lower_hz: float = 40.0, upper_hz: float = 7800.0) -> np.ndarray:
    """[num_bins, num_mel] triangular mel filterbank, as tf.signal.linear_to_mel_weight_matrix."""
    bins_mel = hz_to_mel(np.linspace(0.0, sample_rate / 2.0, num_bins)[1:])[:, None]
    edges = np.linspace(hz_to_mel(lower_hz), hz_to_mel(upper_hz), num_mel + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    weights = np.maximum(0.0, np.minimum((bins_mel - lower) / (center - lower), (upper - bins_mel) / (upper - center)))
    return np.pad(weights, [[1, 0], [0, 0]]).astype(np.float32)


def log_mel(audio, frame_len: int, frame_step: int = 128, num_mel: int = 128, sample_rate: int = 16000):
    """[batch, 16384] → ln(mel(|STFT|) + 1e-6), [batch, 128 frames, num_mel]: periodic Hann frames,
    the signal end-padded as tf.signal.stft(pad_end=True) does."""
    frames = -(-CLIP_LEN // frame_step)
    audio = ops.pad(audio, [[0, 0], [0, (frames - 1) * frame_step + frame_len - CLIP_LEN]])
    real, imag = ops.stft(audio, frame_len, frame_step, frame_len, window="hann", center=False)
    magnitude = ops.sqrt(real * real + imag * imag)
    mel = ops.matmul(magnitude, mel_matrix(num_mel, frame_len // 2 + 1, sample_rate))
    return ops.log(mel + 1e-6)


@keras.saving.register_keras_serializable(package="wavegan_eval")
class LogMel(keras.layers.Layer):
    """The classifier's input features: 1024-sample frames every 128 → [batch, 128, 128] (reference §9.2)."""

    def __init__(self, frame_len: int = 1024, **kwargs):
        # float32 whatever the global policy: the STFT has no bfloat16 kernel, and these are fixed features.
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.frame_len = frame_len

    def call(self, audio):
        return ops.stop_gradient(log_mel(audio, self.frame_len))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 128, 128)

    def get_config(self):
        return {**super().get_config(), "frame_len": self.frame_len}


def fix_length(audio: np.ndarray, length: int = CLIP_LEN) -> np.ndarray:
    """Truncates or zero-pads the last axis to `length` (the original's --fix_length)."""
    audio = audio[..., :length]
    return np.pad(audio, [(0, 0)] * (audio.ndim - 1) + [(0, length - audio.shape[-1])])


# The original's similarity features read 16-bit WAVs without scaling them (reference §9.3, §11.14).
INT16_SCALE = 32768.0


def similarity_features(audio: np.ndarray, batch: int = 256) -> np.ndarray:
    """|D| features (reference §9.3): 2048-sample frames, 128 mel bands, flattened to 16384 values per clip.

    Audio is float in [−1, 1] and is scaled to the int16 range first, as the original computed them.
    The scale is not a constant shift of ln(mel + 1e-6): silent and zero-padded frames sit on the 1e-6
    floor at either scale, so the distances differ, not just by an offset.
    """
    out = [ops.convert_to_numpy(log_mel(fix_length(audio[i:i + batch]) * INT16_SCALE, 2048)).reshape(-1, 128 * 128)
           for i in range(0, len(audio), batch)]
    return np.concatenate(out).astype(np.float32)
