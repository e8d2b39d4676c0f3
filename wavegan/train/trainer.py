"""The adversarial trainer: a keras.Model whose train step is one generator iteration (reference §5).

One iteration takes `disc_nupdates` fresh real batches, stacked batch-first as
[batch, disc_nupdates, ...], runs one critic update on each (fresh z ~ U(−1, 1) every time), then one
generator update. Label-conditional models take (real, labels) batches: each critic step generates
its fakes for the labels of its real batch (so real and fake share the class mix, and the penalty's
interpolates have one label each, held fixed), and the generator step uses the first real batch's
labels, a fresh draw of the class distribution the pipeline samples. The step counter is the generator
optimiser's `iterations`, as the original's global step counted generator updates only.

The random draws of an iteration (every z and every interpolation weight α) are made up front for the
global batch (`iteration_noise`); under tf.distribute each replica takes its own slice of them, so a
run on R replicas draws exactly what a run on one device with the same global batch and seed draws.

The step itself is backend code, at the edge: `trainer_tf` (GradientTape, tf.distribute) and
`trainer_jax` (stateless, nested jax.grad), picked by `KERAS_BACKEND`. This module imports neither.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import keras

from wavegan.config import RunConfig
from wavegan.train import losses

if TYPE_CHECKING:
    from wavegan.train.kind import GanKind


@keras.saving.register_keras_serializable(package="wavegan")
class AdversarialTrainer(keras.Model):
    """Trains `generator` against `discriminator`; call `compile(g_optimizer, d_optimizer, loss)`."""

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int,
                 disc_nupdates: int = 5, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.generator, self.discriminator = generator, discriminator
        self.latent_dim, self.disc_nupdates, self.seed = latent_dim, disc_nupdates, seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def compile(self, g_optimizer: keras.optimizers.Optimizer, d_optimizer: keras.optimizers.Optimizer,
                loss: str = "wgan-gp", **kwargs):
        if loss not in losses.LOSSES:
            raise ValueError(f"loss must be one of {losses.LOSSES}, got {loss!r}")
        super().compile(**kwargs)
        self.g_optimizer, self.d_optimizer, self.loss_name = g_optimizer, d_optimizer, loss

    @property
    def step(self):
        """Generator updates so far (the original's global step)."""
        return self.g_optimizer.iterations

    def build_for_training(self, sample_shape: tuple) -> None:
        """Creates every model and optimiser variable up front, so a checkpoint can restore into them."""
        self.generator.build((None, self.latent_dim))
        self.discriminator.build((None,) + tuple(sample_shape))
        self.g_optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.built = True

    def sample_latents(self, batch_size):
        return keras.random.uniform((batch_size, self.latent_dim), -1.0, 1.0, seed=self.seed_generator)

    def iteration_noise(self, global_batch_size: int) -> dict:
        """Every random draw of one iteration, for the global batch: z for each critic step
        [disc_nupdates, batch, latent_dim], the penalty's α [disc_nupdates, batch] (drawn for every
        loss, so the stream does not depend on it) and z for the generator step [batch, latent_dim]."""
        n = self.disc_nupdates
        critic_z = keras.random.uniform((n, global_batch_size, self.latent_dim), -1.0, 1.0, seed=self.seed_generator)
        alpha = keras.random.uniform((n, global_batch_size), 0.0, 1.0, seed=self.seed_generator)
        return {"critic_z": critic_z, "alpha": alpha, "generator_z": self.sample_latents(global_batch_size)}

    @property
    def num_classes(self) -> int:
        """Classes the models are conditioned on; 0 for the unconditional GAN."""
        return getattr(self.generator, "num_classes", 0)

    def split_batch(self, data) -> tuple:
        """A dataset element → (real, labels): labels [batch, disc_nupdates] (the class of every real slice)
        when the models are conditional, None otherwise."""
        if not self.num_classes:
            return data, None
        if not isinstance(data, (tuple, list)) or len(data) != 2:
            raise ValueError("a conditional trainer needs (real, labels) batches, as make_train_dataset makes "
                             "with labels")
        return data[0], data[1]

    def check_real(self, real) -> None:
        if len(real.shape) < 3 or real.shape[1] != self.disc_nupdates:
            raise ValueError(f"a train step needs [batch, {self.disc_nupdates}, ...] real data (one slice per "
                             f"critic step, batch first), got shape {tuple(real.shape)}")

    def call(self, z, training=False):
        return self.generator(z, training=training)

    def train_step(self, *args):
        if keras.backend.backend() == "tensorflow":
            from wavegan.train import step_tf as trainer_tf

            return trainer_tf.train_step(self, *args)
        raise NotImplementedError(f"AdversarialTrainer trains with the tensorflow and jax backends, "
                                  f"not {keras.backend.backend()}")

    def fit(self, x=None, *args, **kwargs):
        if keras.backend.backend() == "jax":
            from wavegan.train import step_jax as trainer_jax

            return trainer_jax.fit(self, x, **kwargs)
        return super().fit(x, *args, **kwargs)

    def get_config(self):
        return {**super().get_config(),
                "generator": keras.saving.serialize_keras_object(self.generator),
                "discriminator": keras.saving.serialize_keras_object(self.discriminator),
                "latent_dim": self.latent_dim, "disc_nupdates": self.disc_nupdates, "seed": self.seed}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["generator"] = keras.saving.deserialize_keras_object(config["generator"])
        config["discriminator"] = keras.saving.deserialize_keras_object(config["discriminator"])
        return cls(**config)


def make_trainer(run: RunConfig, kind: GanKind, seed: int | None = None,
                 jit_compile: bool | str = "auto") -> AdversarialTrainer:
    """The run's two models (built by `kind`) and their trainer, compiled with the run's loss and each
    model's own optimiser for it (loss-scaled under mixed_float16), every variable created. Build it
    under the run's dtype policy (`precision.dtype_policy`), and under a strategy's scope if any."""
    generator, discriminator = kind.build_generator(run), kind.build_discriminator(run)
    g_optimizer, d_optimizer = losses.make_optimizer(run.model.loss), losses.make_optimizer(run.model.loss)
    if run.train.precision == "mixed_float16":
        g_optimizer, d_optimizer = (keras.optimizers.LossScaleOptimizer(g_optimizer),
                                    keras.optimizers.LossScaleOptimizer(d_optimizer))
    trainer = AdversarialTrainer(generator, discriminator, run.model.latent_dim, run.model.disc_nupdates, seed=seed)
    trainer.compile(g_optimizer, d_optimizer, run.model.loss, jit_compile=jit_compile)
    trainer.build_for_training(kind.critic_input_shape(run))
    return trainer
