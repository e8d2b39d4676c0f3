"""How many slices a file yields (reference §6.2): the counting rules of the tf.data pipeline, without TensorFlow.

`wavegan/audio/pipeline.py` cuts the slices; these functions say how many it will cut, so that a folder
that cannot feed training is refused before any model is built, and a class without usable audio is named
(`wavegan/audio/labels.py`). Plain integers only, so that the modules above them load where TensorFlow is
not installed (the GPU kit's machines).
"""

from __future__ import annotations

from typing import Sequence

from wavegan.config import DataConfig


def count_slices(length: int, slice_len: int, hop: int, pad_end: bool, first_slice: bool) -> int:
    """Slices a file of `length` samples yields once any random offset has been removed."""
    if length <= 0:
        return 0
    if pad_end:
        n = -(-length // hop)
    else:
        n = 0 if length < slice_len else (length - slice_len) // hop + 1
    return min(n, 1) if first_slice else n


def _floor_sum(x: int, hop: int) -> int:
    """Σ_{t=0..x} ⌊t / hop⌋ (0 for x < 0)."""
    if x < 0:
        return 0
    q, r = divmod(x, hop)
    return hop * q * (q - 1) // 2 + q * (r + 1)


def expected_slices_per_epoch(lengths: Sequence[int], cfg: DataConfig) -> float:
    """Mean slices per pass over the files, exactly, over every random offset in [0, slice_len)."""
    if not cfg.random_offset:
        return float(sum(count_slices(n, cfg.slice_len, cfg.hop, cfg.pad_end, cfg.first_slice) for n in lengths))
    total, h = 0, cfg.hop
    for length in lengths:
        if cfg.pad_end:  # offset s < length gives ⌈(length − s) / hop⌉ = ⌊(length − s − 1) / hop⌋ + 1
            last = min(cfg.slice_len, length) - 1
            total += _floor_sum(length - 1, h) - _floor_sum(length - last - 2, h) + last + 1
        else:  # offset s ≤ length − slice_len gives ⌊(length − slice_len − s) / hop⌋ + 1
            room = length - cfg.slice_len
            last = min(cfg.slice_len - 1, room)
            if last >= 0:
                total += _floor_sum(room, h) - _floor_sum(room - last - 1, h) + last + 1
    return total / cfg.slice_len
