"""wavegan.layers.activations: the critic's LeakyReLU, its derivatives and their cost in the penalty's double
backward."""

import numpy as np
import tensorflow as tf
from keras import ops

from wavegan.layers import leaky_relu, leaky_relu_mask


def _penalty_derivatives(activation, dtype="float32"):
    """y, dy/dx and d/dkernel ‖dy/dx‖² of y = sum(activation(conv(x))²) in a traced graph: the penalty's
    double backward."""
    x = tf.constant(np.random.default_rng(0).normal(size=(4, 32, 3)).astype(np.float32), dtype)
    kernel = tf.Variable(np.random.default_rng(1).normal(size=(5, 3, 2)).astype(np.float32), dtype=dtype)

    @tf.function
    def derivatives():
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                inner.watch(x)
                y = tf.reduce_sum(activation(tf.nn.conv1d(x, kernel, 1, "SAME")) ** 2)
            g = inner.gradient(y, x)
            norm = tf.reduce_sum(g ** 2)
        return y, g, outer.gradient(norm, kernel)

    return derivatives()


def test_leaky_relu_matches_keras_in_value_first_and_second_derivative():
    ours = _penalty_derivatives(lambda t: leaky_relu(t, 0.2))
    references = [_penalty_derivatives(lambda t: ops.leaky_relu(t, 0.2)),
                  _penalty_derivatives(lambda t: leaky_relu_mask(t, 0.2))]  # the other backends' form
    for reference in references:
        for a, b in zip(ours, reference):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-5)
    for activation in (leaky_relu, leaky_relu_mask):
        np.testing.assert_array_equal(ops.convert_to_numpy(activation(ops.convert_to_tensor([-1.0, 0.0, 2.0]), 0.2)),
                                      np.array([-0.2, 0.0, 2.0], np.float32))
    bf16 = _penalty_derivatives(lambda t: leaky_relu(t, 0.2), "bfloat16")
    for a, b in zip(bf16, ours):
        np.testing.assert_allclose(a.numpy().astype(np.float32), b.numpy(), rtol=0.1, atol=0.1 * np.abs(b).max())


def test_leaky_relu_second_derivative_is_disconnected_not_zeros():
    """TensorFlow's own LeakyRelu second derivative is a zeros tensor that every layer below the
    activation then back-propagates in the penalty's double backward; ours leaves x unconnected."""
    x = tf.constant(np.random.default_rng(0).normal(size=(2, 8, 3)).astype(np.float32))
    upstream = tf.constant(np.random.default_rng(1).normal(size=(2, 8, 3)).astype(np.float32))

    def second_derivative(activation):
        with tf.GradientTape() as outer:
            outer.watch(x)
            with tf.GradientTape() as inner:
                inner.watch(x)
                y = activation(x)
            first = inner.gradient(y, x, output_gradients=upstream)
        return first, outer.gradient(first, x)

    keras_first, keras_second = second_derivative(lambda t: ops.leaky_relu(t, 0.2))
    assert keras_second is not None  # the zeros the test guards against are really there to find
    np.testing.assert_array_equal(keras_second.numpy(), 0.0)
    for activation in (leaky_relu, leaky_relu_mask):
        first, second = second_derivative(lambda t: activation(t, 0.2))
        assert second is None
        np.testing.assert_array_equal(first.numpy(), keras_first.numpy())
        np.testing.assert_allclose(first.numpy(), np.where(x.numpy() > 0, 1.0, 0.2) * upstream.numpy(), rtol=1e-6)
