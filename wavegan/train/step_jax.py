"""The adversarial train step for the JAX backend: stateless, both optimisers, nested jax.grad.

`make_step(trainer)` returns a pure function (state, real, noise[, labels]) → (state, logs) computing exactly
what `trainer_tf.iteration` computes (same losses, same metrics, same update order), with the
gradient penalty's input gradient taken by an inner `jax.grad` inside the critic loss that the outer
`jax.value_and_grad` differentiates. `fit` drives it under jax.jit on numpy batches and writes the
state back into the Keras variables after every step, so callbacks, `trainer.step` and saving see
the current weights. Imports no TensorFlow: it runs where only JAX and Keras are installed.
"""

from __future__ import annotations

from typing import Callable, Iterable

import jax
import jax.numpy as jnp
import keras
import numpy as np

from wavegan.train import losses

STATE_PARTS = ("g_trainable", "g_non_trainable", "d_trainable", "d_non_trainable", "g_optimizer", "d_optimizer")


def _variables(trainer: keras.Model) -> dict:
    g, d = trainer.generator, trainer.discriminator
    return {"g_trainable": g.trainable_variables, "g_non_trainable": g.non_trainable_variables,
            "d_trainable": d.trainable_variables, "d_non_trainable": d.non_trainable_variables,
            "g_optimizer": trainer.g_optimizer.variables, "d_optimizer": trainer.d_optimizer.variables}


def get_state(trainer: keras.Model) -> dict:
    """The current values of every variable the step reads or writes."""
    return {part: [v.value for v in variables] for part, variables in _variables(trainer).items()}


def set_state(trainer: keras.Model, state: dict) -> None:
    """Writes a step's returned state back into the Keras variables."""
    for part, variables in _variables(trainer).items():
        for variable, value in zip(variables, state[part]):
            variable.assign(value)


def make_step(trainer: keras.Model) -> Callable[[dict, jax.Array, dict], tuple[dict, dict]]:
    if isinstance(trainer.d_optimizer, keras.optimizers.LossScaleOptimizer):
        raise ValueError("The JAX train step does not implement mixed_float16 loss scaling; "
                         "use --train_precision float32 or mixed_bfloat16 with KERAS_BACKEND=jax.")
    generator, discriminator, loss_name = trainer.generator, trainer.discriminator, trainer.loss_name

    def critic_step(state: dict, real, z, alpha, labels=None):
        given = {} if labels is None else {"labels": labels}  # as trainer_tf.critic_step
        fake, g_non_trainable = generator.stateless_call(state["g_trainable"], state["g_non_trainable"], z,
                                                         training=True, **given)

        def critic_loss(d_trainable, d_non_trainable):
            real_logits, d_non_trainable = discriminator.stateless_call(d_trainable, d_non_trainable, real,
                                                                        training=True, **given)
            fake_logits, d_non_trainable = discriminator.stateless_call(d_trainable, d_non_trainable, fake,
                                                                        training=True, **given)
            d_loss = losses.discriminator_loss(loss_name, real_logits, fake_logits)
            penalty = jnp.zeros((), jnp.float32)
            if loss_name == "wgan-gp":
                interpolates = real + losses.broadcast_alpha(alpha, real.ndim) * (fake - real)

                def logit_sum(x, non_trainable):
                    logits, non_trainable = discriminator.stateless_call(d_trainable, non_trainable, x,
                                                                         training=True, **given)
                    return jnp.sum(logits), non_trainable

                input_gradients, d_non_trainable = jax.grad(logit_sum, has_aux=True)(interpolates, d_non_trainable)
                penalty = losses.gradient_penalty(input_gradients)
                d_loss = d_loss + losses.GP_WEIGHT * penalty
            wasserstein = jnp.mean(real_logits) - jnp.mean(fake_logits)
            return d_loss, (d_non_trainable, penalty, wasserstein)

        (d_loss, (d_non_trainable, penalty, wasserstein)), grads = jax.value_and_grad(critic_loss, has_aux=True)(
            state["d_trainable"], state["d_non_trainable"])
        d_trainable, d_optimizer = trainer.d_optimizer.stateless_apply(state["d_optimizer"], grads,
                                                                       state["d_trainable"])
        if loss_name == "wgan":
            d_trainable = [jnp.clip(v, -losses.WGAN_CLIP, losses.WGAN_CLIP) for v in d_trainable]
        state = {**state, "g_non_trainable": g_non_trainable, "d_trainable": d_trainable,
                 "d_non_trainable": d_non_trainable, "d_optimizer": d_optimizer}
        return state, d_loss, penalty, wasserstein

    def generator_step(state: dict, z, labels=None):
        given = {} if labels is None else {"labels": labels}

        def generator_loss(g_trainable, g_non_trainable, d_non_trainable):
            fake, g_non_trainable = generator.stateless_call(g_trainable, g_non_trainable, z, training=True, **given)
            fake_logits, d_non_trainable = discriminator.stateless_call(state["d_trainable"], d_non_trainable, fake,
                                                                        training=True, **given)
            return losses.generator_loss(loss_name, fake_logits), (g_non_trainable, d_non_trainable)

        (g_loss, (g_non_trainable, d_non_trainable)), grads = jax.value_and_grad(generator_loss, has_aux=True)(
            state["g_trainable"], state["g_non_trainable"], state["d_non_trainable"])
        g_trainable, g_optimizer = trainer.g_optimizer.stateless_apply(state["g_optimizer"], grads,
                                                                       state["g_trainable"])
        return {**state, "g_trainable": g_trainable, "g_non_trainable": g_non_trainable,
                "d_non_trainable": d_non_trainable, "g_optimizer": g_optimizer}, g_loss

    def step(state: dict, real, noise: dict, labels=None):
        for i in range(trainer.disc_nupdates):
            labels_i = None if labels is None else labels[:, i]
            state, d_loss, penalty, wasserstein = critic_step(state, real[:, i], noise["critic_z"][i],
                                                              noise["alpha"][i], labels_i)
        state, g_loss = generator_step(state, noise["generator_z"], None if labels is None else labels[:, 0])
        return state, {"d_loss": d_loss, "g_loss": g_loss, "gradient_penalty": penalty, "wasserstein": wasserstein}

    return step


def fit(trainer: keras.Model, x: Iterable, epochs: int = 1, steps_per_epoch: int | None = None,
        callbacks: list | None = None, verbose: int = 0, **unused) -> keras.callbacks.History:
    """Keras-style fit on the JAX backend: `x` yields real data [batch, disc_nupdates, ...] (numpy, or a
    tf.data.Dataset, read as numpy); callbacks get the float logs of every step."""
    if hasattr(x, "as_numpy_iterator"):
        x = x.as_numpy_iterator()
    batches = iter(x)
    history = keras.callbacks.History()
    callback_list = keras.callbacks.CallbackList(list(callbacks or []) + [history], model=trainer,
                                                 epochs=epochs, steps=steps_per_epoch, verbose=verbose)
    step = jax.jit(make_step(trainer))
    trainer.stop_training = False
    callback_list.on_train_begin()
    logs = {}
    for epoch in range(epochs):
        callback_list.on_epoch_begin(epoch)
        batch_index = 0
        while steps_per_epoch is None or batch_index < steps_per_epoch:
            try:
                real = next(batches)
            except StopIteration:
                trainer.stop_training = True
                break
            real, labels = trainer.split_batch(real)
            trainer.check_real(real)
            callback_list.on_train_batch_begin(batch_index)
            noise = trainer.iteration_noise(real.shape[0])
            extra = () if labels is None else (jnp.asarray(labels),)
            state, step_logs = step(get_state(trainer), jnp.asarray(real), noise, *extra)
            set_state(trainer, state)
            logs = {name: float(np.asarray(value)) for name, value in step_logs.items()}
            callback_list.on_train_batch_end(batch_index, logs)
            batch_index += 1
            if trainer.stop_training:
                break
        callback_list.on_epoch_end(epoch, logs)
        if trainer.stop_training:
            break
    callback_list.on_train_end(logs)
    return history
