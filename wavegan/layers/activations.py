"""The critic's LeakyReLU(0.2) (reference §3.3) in the form whose double backward stays cheap (keras.ops;
TensorFlow's fused kernels where that backend runs)."""

from __future__ import annotations

import keras
from keras import ops


def leaky_relu(x, negative_slope: float = 0.2):
    """x · (1 if x > 0 else slope): the values of the original's `lrelu`, max(x, slope·x).

    Not `ops.leaky_relu` as such, for the gradient penalty's sake: TensorFlow's second derivative of
    LeakyRelu (LeakyReluGradGrad) returns zeros_like(x) as the features' cotangent, and every conv below
    then back-propagates those zeros through the whole forward pass of D(x̂) as real work. Written as x
    times a mask that depends on x only through a comparison (no gradient), nothing flows there; the
    TensorFlow backend gets the same derivatives from its fused kernels instead (`kernels_tf`: 2–4% off
    a d = 16 iteration, 1% at d = 64; docs/benchmarks_log.md).
    """
    if keras.backend.backend() == "tensorflow":
        from wavegan import kernels_tf  # TensorFlow-only, outside the keras.ops layers; other backends never load it

        return kernels_tf.leaky_relu(x, negative_slope)
    return leaky_relu_mask(x, negative_slope)


def leaky_relu_mask(x, negative_slope: float = 0.2):
    """`leaky_relu` on any backend: x times a mask whose only dependence on x is a comparison."""
    return x * ops.cast(ops.where(x > 0, 1.0, negative_slope), x.dtype)  # bfloat16 x under mixed precision
