"""wavegan.audio.slicing: how many slices a file of a given length yields (the pipeline's own output is held
against these counts in test_pipeline.py)."""

import pytest

from wavegan.audio.slicing import count_slices

S = 16384


@pytest.mark.parametrize("length,pad_end,first,hop,expected", [
    (0, True, False, S, 0), (100, False, False, S, 0), (100, True, False, S, 1), (S, False, False, S, 1),
    (S + 1, False, False, S, 1), (S + 1, True, False, S, 2), (3 * S, True, True, S, 1),
    (2 * S, False, False, S // 2, 3), (2 * S, True, False, S // 2, 4),
])
def test_count_slices(length, pad_end, first, hop, expected):
    assert count_slices(length, S, hop, pad_end, first) == expected
