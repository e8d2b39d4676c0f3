"""wavegan.layers.phase_shuffle: every shift against reference §3.4 written out, the random draw, the harness."""

import numpy as np
import pytest
from keras import ops

from tests.harness import run_layer_test
from wavegan.layers import PhaseShuffle


def reference_phase_shuffle(x: np.ndarray, phi: int) -> np.ndarray:
    """reference §3.4 literally: reflect-pad max(φ,0) left and max(−φ,0) right, keep L from index padR."""
    pad_l, pad_r = max(phi, 0), max(-phi, 0)
    padded = np.pad(x, [(0, 0), (pad_l, pad_r), (0, 0)], mode="reflect")
    return padded[:, pad_r:pad_r + x.shape[1]]


def test_spec_example():
    x = np.arange(1, 8, dtype=np.float32).reshape(1, 7, 1)
    out = ops.convert_to_numpy(PhaseShuffle(3).shift(x, 3))
    np.testing.assert_array_equal(out[0, :, 0], [4, 3, 2, 1, 2, 3, 4])
    out = ops.convert_to_numpy(PhaseShuffle(3).shift(x, -3))
    np.testing.assert_array_equal(out[0, :, 0], [4, 5, 6, 7, 6, 5, 4])


@pytest.mark.parametrize("rad", [1, 2, 5])
def test_every_shift_matches_reference(rad):
    x = np.random.default_rng(0).normal(size=(3, 50, 4)).astype(np.float32)
    layer = PhaseShuffle(rad)
    for phi in range(-rad, rad + 1):
        np.testing.assert_allclose(ops.convert_to_numpy(layer.shift(x, phi)), reference_phase_shuffle(x, phi))


def test_random_shifts_cover_exactly_the_radius_and_are_shared_by_the_batch():
    rad = 2
    x = np.random.default_rng(1).normal(size=(4, 32, 2)).astype(np.float32)
    candidates = {phi: reference_phase_shuffle(x, phi) for phi in range(-rad - 2, rad + 3)}
    layer = PhaseShuffle(rad, seed=3)
    counts = {}
    for _ in range(400):
        out = ops.convert_to_numpy(layer(x, training=True))
        # One φ for the whole batch: the output equals one reference entirely.
        matches = [phi for phi, ref in candidates.items() if np.allclose(out, ref)]
        assert len(matches) == 1
        counts[matches[0]] = counts.get(matches[0], 0) + 1
    assert sorted(counts) == list(range(-rad, rad + 1))
    assert min(counts.values()) > 400 / (2 * rad + 1) * 0.6  # roughly uniform


def test_inactive_outside_training_and_at_radius_zero():
    x = np.random.default_rng(2).normal(size=(2, 16, 1)).astype(np.float32)
    np.testing.assert_array_equal(ops.convert_to_numpy(PhaseShuffle(2)(x, training=False)), x)
    np.testing.assert_array_equal(ops.convert_to_numpy(PhaseShuffle(0)(x, training=True)), x)


def test_phase_shuffle_in_the_harness():
    layer = run_layer_test(PhaseShuffle, dict(rad=4, seed=7, name="ps"), input_shape=(2, 16, 3),
                           expected_output_shape=(2, 16, 3))
    clone = PhaseShuffle.from_config(layer.get_config())
    assert (clone.rad, clone.seed, clone.name) == (4, 7, "ps")
    with pytest.raises(ValueError):
        PhaseShuffle(-1)
