"""wavegan.train.step_tf: the TensorFlow train step, unconditional (values recorded before conditioning
existed) and conditional (the class pathway trained, the penalty per label)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from wavegan.models import WaveGANDiscriminator, WaveGANGenerator
from wavegan.train import losses
from wavegan.train import step_tf as trainer_tf
from wavegan.train.trainer import AdversarialTrainer

# Recorded with main at 4bfc563 (before conditioning existed): one TensorFlow train step of a dim-4 WaveGAN
# from seed 1 (see test_unconditional_train_step_is_unchanged).


UNCONDITIONAL_STEP = {"d_loss": 8.407072067260742, "g_loss": -0.00032696229754947126,
                      "gradient_penalty": 0.8502044081687927, "wasserstein": 0.0949714332818985}


UNCONDITIONAL_ABS_SUMS = (5714.6962890625, 1995.1712646484375)


def test_unconditional_train_step_is_unchanged():
    keras.utils.set_random_seed(1)
    g, d = WaveGANGenerator(dim=4, name="G"), WaveGANDiscriminator(dim=4, name="D")
    trainer = AdversarialTrainer(g, d, 100, 2, seed=3)
    trainer.compile(losses.make_optimizer("wgan-gp"), losses.make_optimizer("wgan-gp"), "wgan-gp")
    trainer.build_for_training((16384, 1))
    real = np.random.RandomState(0).uniform(-1, 1, (4, 2, 16384, 1)).astype("float32")
    logs = trainer_tf.train_step(trainer, real)
    for name, value in UNCONDITIONAL_STEP.items():
        np.testing.assert_allclose(float(logs[name]), value, rtol=1e-4, atol=1e-6)
    sums = [sum(float(np.abs(v.numpy()).sum()) for v in m.trainable_variables) for m in (g, d)]
    np.testing.assert_allclose(sums, UNCONDITIONAL_ABS_SUMS, rtol=1e-5)


def test_conditional_train_step_updates_the_class_pathway_and_keeps_the_penalty_per_label():
    keras.utils.set_random_seed(0)
    g, d = WaveGANGenerator(dim=4, num_classes=3), WaveGANDiscriminator(dim=4, num_classes=3, phaseshuffle_rad=0)
    trainer = AdversarialTrainer(g, d, 100, 2, seed=0)
    trainer.compile(losses.make_optimizer("wgan-gp"), losses.make_optimizer("wgan-gp"), "wgan-gp")
    trainer.build_for_training((16384, 1))
    before = (g.label_embedding.embeddings.numpy(), d.projection.embeddings.numpy())
    real = np.random.default_rng(0).uniform(-0.5, 0.5, (4, 2, 16384, 1)).astype(np.float32)
    y = np.array([[0, 1], [1, 2], [2, 0], [0, 0]], np.int32)
    noise = trainer.iteration_noise(4)
    # The critic's penalty, by hand: D's input gradient at the interpolates, for the real batch's labels.
    fake = g(noise["critic_z"][0], labels=y[:, 0], training=True)
    interpolates = tf.constant(real[:, 0] + noise["alpha"][0].numpy()[:, None, None] * (fake.numpy() - real[:, 0]))
    with tf.GradientTape() as tape:
        tape.watch(interpolates)
        logits = d(interpolates, labels=y[:, 0], training=True)
    expected = losses.gradient_penalty(tape.gradient(logits, interpolates))
    _, penalty, _ = trainer_tf.critic_step(trainer, tf.constant(real[:, 0]), noise["critic_z"][0],
                                           noise["alpha"][0], labels=tf.constant(y[:, 0]))
    np.testing.assert_allclose(float(penalty), float(expected), rtol=1e-4)
    logs = trainer_tf.train_step(trainer, (tf.constant(real), tf.constant(y)))
    assert all(np.isfinite(float(v)) for v in logs.values())
    assert not np.array_equal(before[0], g.label_embedding.embeddings.numpy())
    assert not np.array_equal(before[1], d.projection.embeddings.numpy())
    with pytest.raises(ValueError, match="real, labels"):
        trainer_tf.train_step(trainer, tf.constant(real))
