"""TensorFlow kernels that the backend-neutral layers (`wavegan/layers/`, keras.ops only) dispatch to on the
TensorFlow backend, where one fused op does what several `keras.ops` would. Kept below the layers, outside
them, so that no layer module imports TensorFlow."""

from __future__ import annotations

import tensorflow as tf


def leaky_relu(x: tf.Tensor, negative_slope: float) -> tf.Tensor:
    """LeakyRelu with LeakyReluGrad as its gradient, and that gradient's own derivative taken only with
    respect to the incoming cotangent: the true second derivative in x is zero (almost everywhere), so
    the gradient penalty's double backward sends nothing back through the layers below, where
    TensorFlow's registered LeakyReluGradGrad would send zeros_like(x) (`layers.leaky_relu`).

    One elementwise op per pass (forward, backward, double backward) instead of the mask form's
    compare, select and multiply."""

    @tf.custom_gradient
    def activation(features):
        constant_features = tf.stop_gradient(features)

        def gradient(upstream):
            return tf.raw_ops.LeakyReluGrad(gradients=upstream, features=constant_features, alpha=negative_slope)

        return tf.nn.leaky_relu(features, alpha=negative_slope), gradient

    return activation(x)
