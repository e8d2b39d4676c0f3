"""The adversarial train step for the TensorFlow backend (GradientTape), correct under tf.distribute.

Under a strategy with R replicas, Keras' fit calls `train_step` on every replica with its share of the
global batch. Each replica takes its slice of the iteration's noise (drawn for the global batch), and
divides its losses by R before differentiating: its losses are means over its local batch, the
optimisers sum the replicas' gradients, so the update is that of the global-batch mean (the losses
scaled by the global batch). The gradient penalty is a per-example mean too, so the same holds for it.
"""

from __future__ import annotations

import tensorflow as tf
import keras
from keras import ops

from wavegan.train import losses


def replica_position() -> tuple:
    """(replica id, number of replicas) of the calling replica; (0, 1) outside any strategy."""
    context = tf.distribute.get_replica_context()
    if context is None:  # cross-replica context: nothing is split
        return 0, 1
    return context.replica_id_in_sync_group, context.num_replicas_in_sync


def local_noise(noise: dict, replica, replicas: int, local_batch: int) -> dict:
    """This replica's slice of noise drawn for the global batch (batch axis 1 for per-critic-step draws)."""
    if replicas == 1:
        return noise
    start = replica * local_batch
    return {"critic_z": noise["critic_z"][:, start:start + local_batch],
            "alpha": noise["alpha"][:, start:start + local_batch],
            "generator_z": noise["generator_z"][start:start + local_batch]}


def train_step(trainer: keras.Model, real) -> dict:
    """One iteration on this replica's real data [local batch, disc_nupdates, ...]."""
    real, labels = trainer.split_batch(real)
    trainer.check_real(real)
    replica, replicas = replica_position()
    local_batch = real.shape[0]
    # Keras inlines this step into the function that reads the data; ops that do not consume the data
    # (the optimisers' iteration counters, the noise draws) would otherwise run even when reading fails
    # at the end of the data, and the step count would move without an update.
    with tf.control_dependencies([real]):
        noise = local_noise(trainer.iteration_noise(local_batch * replicas), replica, replicas, local_batch)
        logs = iteration(trainer, real, noise, replicas, labels)
    if replicas > 1:  # every replica reports the global mean, whatever reduction fit() applies
        context = tf.distribute.get_replica_context()
        logs = {name: context.all_reduce(tf.distribute.ReduceOp.MEAN, value) for name, value in logs.items()}
        if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
            # Keras reduces multi-worker outputs with strategy.reduce(MEAN, axis=0), which needs an axis.
            logs = {name: tf.reshape(value, [1]) for name, value in logs.items()}
    return logs


def iteration(trainer: keras.Model, real, noise: dict, replicas: int = 1, labels=None) -> dict:
    """`disc_nupdates` critic steps then one generator step, with the given noise (see iteration_noise).

    `labels` [batch, disc_nupdates]: the classes of the real slices, for conditional models."""
    for i in range(trainer.disc_nupdates):
        d_loss, penalty, wasserstein = critic_step(trainer, real[:, i], noise["critic_z"][i], noise["alpha"][i],
                                                   replicas, None if labels is None else labels[:, i])
    g_loss = generator_step(trainer, noise["generator_z"], replicas, None if labels is None else labels[:, 0])
    return {"d_loss": d_loss, "g_loss": g_loss, "gradient_penalty": penalty, "wasserstein": wasserstein}


def critic_step(trainer: keras.Model, real, z, alpha, replicas: int = 1, labels=None):
    generator, discriminator = trainer.generator, trainer.discriminator
    given = {} if labels is None else {"labels": labels}  # conditional: fakes of the real batch's classes
    # G in training mode, as in the original, so batch-norm statistics follow every G pass.
    fake = generator(z, training=True, **given)
    with tf.GradientTape() as tape:
        real_logits = discriminator(real, training=True, **given)
        fake_logits = discriminator(fake, training=True, **given)
        d_loss = losses.discriminator_loss(trainer.loss_name, real_logits, fake_logits)
        penalty = ops.zeros(())
        if trainer.loss_name == "wgan-gp":
            interpolates = real + losses.broadcast_alpha(alpha, len(real.shape)) * (fake - real)
            with tf.GradientTape() as penalty_tape:
                penalty_tape.watch(interpolates)
                interp_logits = discriminator(interpolates, training=True, **given)  # labels held fixed
            # The interpolates are float32, so is the gradient and the penalty, whatever the policy.
            penalty = losses.gradient_penalty(penalty_tape.gradient(interp_logits, interpolates))
            d_loss = d_loss + losses.GP_WEIGHT * penalty
        scaled_d_loss = trainer.d_optimizer.scale_loss(d_loss / replicas)  # scale_loss: identity unless fp16
    d_vars = discriminator.trainable_variables
    trainer.d_optimizer.apply_gradients(zip(tape.gradient(scaled_d_loss, d_vars), d_vars))
    if trainer.loss_name == "wgan":
        clip_weights(d_vars, losses.WGAN_CLIP)
    wasserstein = ops.mean(real_logits) - ops.mean(fake_logits)
    return d_loss, penalty, wasserstein


def generator_step(trainer: keras.Model, z, replicas: int = 1, labels=None):
    given = {} if labels is None else {"labels": labels}
    with tf.GradientTape() as tape:
        fake_logits = trainer.discriminator(trainer.generator(z, training=True, **given), training=True, **given)
        g_loss = losses.generator_loss(trainer.loss_name, fake_logits)
        scaled_g_loss = trainer.g_optimizer.scale_loss(g_loss / replicas)
    g_vars = trainer.generator.trainable_variables
    trainer.g_optimizer.apply_gradients(zip(tape.gradient(scaled_g_loss, g_vars), g_vars))
    return g_loss


def clip_weights(variables: list, limit: float) -> None:
    """The original WGAN's weight clipping. Mirrored variables are updated from the cross-replica
    context (a replica may not assign them alone); every replica holds the same values already."""
    def clip(var):
        return var.assign(tf.clip_by_value(var, -limit, limit))

    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        for var in variables:
            clip(var)
        return

    def clip_all(strategy):
        for var in variables:
            strategy.extended.update(var.value, clip)

    context.merge_call(clip_all)
