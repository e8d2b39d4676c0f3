"""wavegan.train.losses: the four losses against NumPy, the gradient penalty, the optimisers' settings."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from wavegan.train import losses

REAL = np.array([0.5, -1.0, 2.0, 0.1], np.float32)
FAKE = np.array([-0.3, 0.7, 1.2, -2.5], np.float32)


def softplus(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


def bce_with_logits(logits, target):
    # −[t·log σ(l) + (1−t)·log(1−σ(l))] = softplus(l) − t·l
    return np.mean(softplus(logits) - target * logits)


NUMPY_D = {
    "dcgan": 0.5 * (bce_with_logits(FAKE, 0.0) + bce_with_logits(REAL, 1.0)),
    "lsgan": 0.5 * (np.mean((REAL - 1) ** 2) + np.mean(FAKE ** 2)),
    "wgan": np.mean(FAKE) - np.mean(REAL),
    "wgan-gp": np.mean(FAKE) - np.mean(REAL),
}
NUMPY_G = {
    "dcgan": bce_with_logits(FAKE, 1.0),
    "lsgan": np.mean((FAKE - 1) ** 2),
    "wgan": -np.mean(FAKE),
    "wgan-gp": -np.mean(FAKE),
}


@pytest.mark.parametrize("loss", losses.LOSSES)
def test_losses_match_numpy(loss):
    d = ops.convert_to_numpy(losses.discriminator_loss(loss, REAL, FAKE))
    g = ops.convert_to_numpy(losses.generator_loss(loss, FAKE))
    np.testing.assert_allclose(d, NUMPY_D[loss], rtol=1e-6)
    np.testing.assert_allclose(g, NUMPY_G[loss], rtol=1e-6)


def test_gradient_penalty_norm_spans_all_non_batch_axes():
    grads = np.random.default_rng(0).normal(size=(3, 5, 2)).astype(np.float32)
    norms = np.sqrt((grads ** 2).sum(axis=(1, 2)))
    np.testing.assert_allclose(ops.convert_to_numpy(losses.gradient_penalty(grads)), np.mean((norms - 1) ** 2),
                               rtol=1e-6)
    image_grads = np.random.default_rng(1).normal(size=(2, 4, 4, 1)).astype(np.float32)
    norms = np.sqrt((image_grads ** 2).sum(axis=(1, 2, 3)))
    np.testing.assert_allclose(ops.convert_to_numpy(losses.gradient_penalty(image_grads)),
                               np.mean((norms - 1) ** 2), rtol=1e-6)


def test_gradient_penalty_is_finite_with_finite_gradient_at_zero():
    grads = tf.Variable(np.zeros((2, 8, 1), np.float32))
    with tf.GradientTape() as tape:
        penalty = losses.gradient_penalty(grads)
    assert float(penalty) == 1.0
    assert np.all(np.isfinite(tape.gradient(penalty, grads).numpy()))


@pytest.mark.parametrize("loss,cls,settings", [
    ("wgan-gp", keras.optimizers.Adam, dict(learning_rate=1e-4, beta_1=0.5, beta_2=0.9, epsilon=1e-8)),
    ("dcgan", keras.optimizers.Adam, dict(learning_rate=2e-4, beta_1=0.5, beta_2=0.999, epsilon=1e-8)),
    ("lsgan", losses.TF1RMSprop, dict(learning_rate=1e-4, rho=0.9, epsilon=1e-10)),
    ("wgan", losses.TF1RMSprop, dict(learning_rate=5e-5, rho=0.9, epsilon=1e-10)),
])
def test_optimizer_settings(loss, cls, settings):
    opt = losses.make_optimizer(loss)
    assert type(opt) is cls
    config = opt.get_config()
    for key, value in settings.items():
        assert config[key] == pytest.approx(value), key


def test_tf1_rmsprop_starts_accumulators_at_one():
    var = keras.Variable(np.array([1.0, -2.0], np.float32))
    grad = np.array([0.5, -3.0], np.float32)
    opt = losses.TF1RMSprop(learning_rate=0.1, rho=0.9, epsilon=1e-10)
    opt.apply_gradients([(grad, var)])
    velocity = 0.9 * 1.0 + 0.1 * grad ** 2
    np.testing.assert_allclose(ops.convert_to_numpy(var), [1.0, -2.0] - 0.1 * grad / np.sqrt(velocity + 1e-10),
                               rtol=1e-6)
