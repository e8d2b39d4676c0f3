"""framernn.models: the frame GRU's shapes and parameter count, its step, the harness."""

import numpy as np
import tensorflow as tf

from framernn.models import FrameRNN
from tests.harness import run_layer_test


def test_shapes_and_parameter_count():
    model = FrameRNN(frame_size=40, units=16, layers=2).build_for()
    assert model(np.zeros((3, 7, 40), np.float32)).shape == (3, 7, 40)
    # GRU (reset after): 3·(in·u + u·u + 2u) per layer, then a linear Dense u → F.
    expected = 3 * (40 * 16 + 16 * 16 + 2 * 16) + 3 * (16 * 16 + 16 * 16 + 2 * 16) + (16 * 40 + 40)
    assert sum(int(np.prod(v.shape)) for v in model.trainable_variables) == expected
    assert len(model.grus) == 2


def test_step_with_carried_state_equals_the_whole_sequence():
    tf.keras.utils.set_random_seed(0)
    model = FrameRNN(frame_size=8, units=6).build_for()
    frames = np.random.default_rng(0).normal(size=(2, 5, 8)).astype(np.float32)
    whole = np.asarray(model(frames))
    first, states = model.step(frames[:, :3], model.zero_states(2))
    rest, _ = model.step(frames[:, 3:], states)
    np.testing.assert_allclose(np.concatenate([first, rest], axis=1), whole, atol=1e-5)


def test_frame_rnn_in_the_harness():
    run_layer_test(FrameRNN, dict(frame_size=8, units=4, layers=2), input_shape=(2, 3, 8),
                   expected_output_shape=(2, 3, 8))
