"""Float audio in [−1, 1] → 16-bit PCM, as the original's exported `G_z_int16` (reference §8); keras.ops."""

from __future__ import annotations

from keras import ops


def quantize_int16(audio):
    """x·32767, clipped to ±32767, truncated toward zero (the original's G_z_int16)."""
    return ops.cast(ops.clip(audio * 32767.0, -32767.0, 32767.0), "int16")
