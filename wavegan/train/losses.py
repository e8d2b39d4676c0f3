"""The four adversarial losses and each one's optimiser settings (reference §5), keras.ops only.

D(·) below is the critic's raw logit, one per example. The gradient penalty needs gradients of D
with respect to its input; the trainer computes them and hands them to `gradient_penalty`.
"""

from __future__ import annotations

import keras
from keras import ops

from wavegan.config import LOSSES

GP_WEIGHT = 10.0
WGAN_CLIP = 0.01


def _bce_with_logits(logits, target: float):
    return ops.mean(ops.binary_crossentropy(ops.full_like(logits, target), logits, from_logits=True))


def discriminator_loss(loss: str, real_logits, fake_logits):
    """What the critic minimises, without the gradient penalty."""
    if loss == "dcgan":
        return 0.5 * (_bce_with_logits(fake_logits, 0.0) + _bce_with_logits(real_logits, 1.0))
    if loss == "lsgan":
        return 0.5 * (ops.mean(ops.square(real_logits - 1.0)) + ops.mean(ops.square(fake_logits)))
    if loss in ("wgan", "wgan-gp"):
        return ops.mean(fake_logits) - ops.mean(real_logits)
    raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")


def generator_loss(loss: str, fake_logits):
    """What the generator minimises (non-saturating for dcgan)."""
    if loss == "dcgan":
        return _bce_with_logits(fake_logits, 1.0)
    if loss == "lsgan":
        return ops.mean(ops.square(fake_logits - 1.0))
    if loss in ("wgan", "wgan-gp"):
        return -ops.mean(fake_logits)
    raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")


def gradient_penalty(input_gradients):
    """mean over the batch of (‖∇x̂ D(x̂)‖₂ − 1)², the norm taken over every non-batch axis.

    The square root is guarded so that an all-zero gradient gives norm 0 and a finite gradient
    (d√s/ds is infinite at 0; the naive form turns that into NaN weights).
    """
    squared = ops.sum(ops.square(input_gradients), axis=tuple(range(1, len(input_gradients.shape))))
    positive = squared > 0
    norm = ops.where(positive, ops.sqrt(ops.where(positive, squared, ops.ones_like(squared))), 0.0)
    return ops.mean(ops.square(norm - 1.0))


@keras.saving.register_keras_serializable(package="wavegan")
class TF1RMSprop(keras.optimizers.RMSprop):
    """RMSProp as TensorFlow 1 did it: mean-square accumulators start at ones, not zeros.

    Keras starts them at zero, which makes the first steps lr/√(1−ρ) ≈ 3× larger; with ε inside the square
    root (Keras 3 also puts it there) this matches TF1's updates: the GANs' lsgan/wgan (ε 1e-10, reference
    §5) and, with `momentum` (TF1's heavy-ball accumulator, from zeros as Keras's), the WaveNet's rmsprop
    (ε 1e-5, reference §B4).
    """

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        for velocity in self._velocities:
            velocity.assign(ops.ones(velocity.shape, velocity.dtype))


def make_optimizer(loss: str) -> keras.optimizers.Optimizer:
    """A fresh optimiser with the original's settings for `loss` (G and D each get their own)."""
    if loss == "dcgan":
        return keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5, beta_2=0.999, epsilon=1e-8)
    if loss == "lsgan":
        return TF1RMSprop(learning_rate=1e-4, rho=0.9, epsilon=1e-10)
    if loss == "wgan":
        return TF1RMSprop(learning_rate=5e-5, rho=0.9, epsilon=1e-10)
    if loss == "wgan-gp":
        return keras.optimizers.Adam(learning_rate=1e-4, beta_1=0.5, beta_2=0.9, epsilon=1e-8)
    raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")


def broadcast_alpha(alpha, rank: int):
    """α [batch] → [batch, 1, …] to weigh a rank-`rank` batch of examples."""
    return ops.reshape(alpha, (-1,) + (1,) * (rank - 1))
