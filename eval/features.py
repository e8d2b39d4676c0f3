"""The classifier's input layer and the |D| similarity features (reference §9.2, §9.3) with keras.ops, so the
classifier runs on any backend. The log-mel transform itself is wavegan/audio/features.py's.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

# Their home is the library (training's validation uses them too); imported here for the classifier and |D|.
from wavegan.audio.features import CLIP_LEN, hz_to_mel, log_mel, mel_matrix  # noqa: F401


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
