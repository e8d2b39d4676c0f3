"""wavegan.train.trainer: the adversarial trainer's noise, its critic schedule and step counter, every loss
through its train step, and the trainer in the harness."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from tests.harness import run_layer_test
from wavegan.models import WaveGANDiscriminator, WaveGANGenerator
from wavegan.train import losses
from wavegan.train.trainer import AdversarialTrainer


def test_iteration_noise_is_fresh_per_step_and_alpha_per_example_uniform():
    trainer = make_trainer("wgan-gp", nupdates=3)
    noise = {k: ops.convert_to_numpy(v) for k, v in trainer.iteration_noise(4000).items()}
    assert noise["critic_z"].shape == (3, 4000, 4) and noise["generator_z"].shape == (4000, 4)
    assert noise["critic_z"].min() >= -1 and noise["critic_z"].max() <= 1
    assert not np.allclose(noise["critic_z"][0], noise["critic_z"][1])  # every critic step draws afresh
    alpha = noise["alpha"]
    assert alpha.shape == (3, 4000) and alpha.min() >= 0 and alpha.max() <= 1
    assert abs(alpha.mean() - 0.5) < 0.03 and abs(alpha.std() - np.sqrt(1 / 12)) < 0.02
    again = ops.convert_to_numpy(trainer.iteration_noise(4000)["critic_z"])
    assert not np.allclose(again, noise["critic_z"])


class LinearCritic(keras.Model):
    """D(x) = Σ w·x: its input gradient is w for every example, so the penalty is (‖w‖ − 1)²."""

    def __init__(self, shape):
        super().__init__()
        self.w = self.add_weight(shape=shape, initializer=keras.initializers.RandomNormal(seed=1))

    def call(self, x, training=False):
        return ops.sum(x * self.w, axis=tuple(range(1, len(x.shape))))


class TinyGenerator(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(8 * 2)

    def build(self, input_shape):
        self.dense.build(input_shape)

    def call(self, z, training=False):
        return ops.reshape(ops.tanh(self.dense(z)), (-1, 8, 2))


def make_trainer(loss, nupdates=3):
    trainer = AdversarialTrainer(TinyGenerator(), LinearCritic((8, 2)), latent_dim=4, disc_nupdates=nupdates, seed=0)
    trainer.compile(losses.make_optimizer(loss), losses.make_optimizer(loss), loss, jit_compile=False)
    trainer.build_for_training((8, 2))
    return trainer


def real_batches(nupdates, batch=5):
    """An iteration's real data: batch first, one slice per critic step."""
    return np.random.default_rng(0).uniform(-1, 1, (batch, nupdates, 8, 2)).astype(np.float32)


def test_trainer_penalty_and_schedule_with_known_critic():
    trainer = make_trainer("wgan-gp", nupdates=1)
    w = trainer.discriminator.w.numpy().copy()
    logs = trainer.train_step(tf.constant(real_batches(1)))
    np.testing.assert_allclose(float(logs["gradient_penalty"]), (np.linalg.norm(w) - 1) ** 2, rtol=1e-5)
    assert int(trainer.step) == 1 and int(trainer.d_optimizer.iterations) == 1


def test_critic_runs_nupdates_per_generator_step():
    trainer = make_trainer("wgan-gp", nupdates=3)
    trainer.fit(tf.data.Dataset.from_tensors(real_batches(3)).repeat(), steps_per_epoch=2, epochs=1, verbose=0)
    assert int(trainer.g_optimizer.iterations) == 2
    assert int(trainer.d_optimizer.iterations) == 6
    with pytest.raises(ValueError):
        trainer.train_step(tf.constant(real_batches(2)))


def test_step_count_does_not_move_when_the_data_runs_out():
    """Reading past the end of the data fails inside fit's function: no counter may move before it."""
    trainer = make_trainer("wgan-gp", nupdates=2)
    empty = tf.data.Dataset.from_tensor_slices(real_batches(2)[:0]).batch(5, drop_remainder=True)
    trainer.fit(empty, steps_per_epoch=3, epochs=1, verbose=0)
    assert int(trainer.g_optimizer.iterations) == 0 and int(trainer.d_optimizer.iterations) == 0


def test_wgan_clips_every_critic_weight():
    trainer = make_trainer("wgan", nupdates=2)
    trainer.discriminator.w.assign(np.full((8, 2), 0.5, np.float32))
    trainer.train_step(tf.constant(real_batches(2)))
    assert np.abs(trainer.discriminator.w.numpy()).max() <= 0.01 + 1e-7  # reference §5


@pytest.mark.parametrize("loss", losses.LOSSES)
def test_every_loss_trains_with_finite_metrics(loss):
    trainer = make_trainer(loss)
    before = [v.numpy().copy() for v in trainer.generator.trainable_variables]
    logs = trainer.train_step(tf.constant(real_batches(3)))
    assert set(logs) == {"d_loss", "g_loss", "gradient_penalty", "wasserstein"}
    assert all(np.isfinite(float(v)) for v in logs.values())
    assert any(not np.allclose(b, v.numpy()) for b, v in zip(before, trainer.generator.trainable_variables))


def test_adversarial_trainer_in_the_harness():
    """As a Model the trainer calls its generator; its config carries both models."""
    trainer = run_layer_test(
        AdversarialTrainer, lambda: dict(generator=WaveGANGenerator(dim=2), discriminator=WaveGANDiscriminator(dim=2),
                                         latent_dim=100, disc_nupdates=2, seed=0),
        input_shape=(2, 100), expected_output_shape=(2, 16384, 1))
    clone = AdversarialTrainer.from_config(trainer.get_config())
    assert (clone.latent_dim, clone.disc_nupdates, clone.seed) == (100, 2, 0)
    assert isinstance(clone.discriminator, WaveGANDiscriminator) and clone.discriminator.dim == 2
