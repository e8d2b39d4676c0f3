"""The adversarial trainer: a keras.Model whose train_step is one generator iteration (SPEC §5).

Each call of `train_step` receives `disc_nupdates` fresh real batches stacked as
[disc_nupdates, batch, ...], runs one critic update on each (fresh z ~ U(−1, 1) every time), then one
generator update. The step counter is the generator optimiser's `iterations`, as the original's
global step counted generator updates only. This module is the TensorFlow edge (GradientTape); the
models and losses it drives use keras.ops only.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from wavegan import losses


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

    def call(self, z, training=False):
        return self.generator(z, training=training)

    def critic_step(self, real):
        batch_size = ops.shape(real)[0]
        # G in training mode, as in the original, so batch-norm statistics follow every G pass.
        fake = self.generator(self.sample_latents(batch_size), training=True)
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(real, training=True)
            fake_logits = self.discriminator(fake, training=True)
            d_loss = losses.discriminator_loss(self.loss_name, real_logits, fake_logits)
            penalty = ops.zeros(())
            if self.loss_name == "wgan-gp":
                alpha = losses.interpolation_weights(batch_size, len(real.shape), self.seed_generator)
                interpolates = real + alpha * (fake - real)
                with tf.GradientTape() as penalty_tape:
                    penalty_tape.watch(interpolates)
                    interp_logits = self.discriminator(interpolates, training=True)
                # The interpolates are float32, so is the gradient and the penalty, whatever the policy.
                penalty = losses.gradient_penalty(penalty_tape.gradient(interp_logits, interpolates))
                d_loss = d_loss + losses.GP_WEIGHT * penalty
            scaled_d_loss = self.d_optimizer.scale_loss(d_loss)  # identity unless mixed_float16
        d_vars = self.discriminator.trainable_variables
        self.d_optimizer.apply_gradients(zip(tape.gradient(scaled_d_loss, d_vars), d_vars))
        if self.loss_name == "wgan":
            for var in d_vars:
                var.assign(ops.clip(var, -losses.WGAN_CLIP, losses.WGAN_CLIP))
        wasserstein = ops.mean(real_logits) - ops.mean(fake_logits)
        return d_loss, penalty, wasserstein

    def generator_step(self, batch_size):
        z = self.sample_latents(batch_size)
        with tf.GradientTape() as tape:
            fake_logits = self.discriminator(self.generator(z, training=True), training=True)
            g_loss = losses.generator_loss(self.loss_name, fake_logits)
            scaled_g_loss = self.g_optimizer.scale_loss(g_loss)
        g_vars = self.generator.trainable_variables
        self.g_optimizer.apply_gradients(zip(tape.gradient(scaled_g_loss, g_vars), g_vars))
        return g_loss

    def train_step(self, real_batches):
        if real_batches.shape[0] != self.disc_nupdates:
            raise ValueError(f"train_step needs {self.disc_nupdates} real batches stacked on axis 0, "
                             f"got shape {real_batches.shape}")
        for i in range(self.disc_nupdates):
            d_loss, penalty, wasserstein = self.critic_step(real_batches[i])
        g_loss = self.generator_step(ops.shape(real_batches)[1])
        return {"d_loss": d_loss, "g_loss": g_loss, "gradient_penalty": penalty, "wasserstein": wasserstein}

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
