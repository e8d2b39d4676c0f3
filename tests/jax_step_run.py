"""One JAX-backend iteration of a tiny WaveGAN from given weights, data and noise (a process of its own:
the backend is chosen at import). Used by tests/test_distribute.py against the TensorFlow step.

    KERAS_BACKEND=jax python tests/jax_step_run.py IN.npz OUT.npz LOSS
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from wavegan import losses, trainer_jax  # noqa: E402
from wavegan.models import WaveGANDiscriminator, WaveGANGenerator  # noqa: E402
from wavegan.trainer import AdversarialTrainer  # noqa: E402

TINY_MODEL = dict(dim=4)


def tiny_trainer(loss: str, nupdates: int = 2) -> AdversarialTrainer:
    g = WaveGANGenerator(**TINY_MODEL)
    d = WaveGANDiscriminator(phaseshuffle_rad=0, **TINY_MODEL)  # the backends draw different shifts
    trainer = AdversarialTrainer(g, d, latent_dim=100, disc_nupdates=nupdates, seed=0)
    trainer.compile(losses.make_optimizer(loss), losses.make_optimizer(loss), loss)
    trainer.build_for_training((16384, 1))
    return trainer


def weights(trainer: AdversarialTrainer) -> dict:
    return {f"{model}/{i}": keras.ops.convert_to_numpy(v) for model in ("generator", "discriminator")
            for i, v in enumerate(getattr(trainer, model).trainable_variables)}


if __name__ == "__main__":
    assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"
    inputs = np.load(sys.argv[1])
    trainer = tiny_trainer(sys.argv[3])
    for model in ("generator", "discriminator"):
        for i, v in enumerate(getattr(trainer, model).trainable_variables):
            v.assign(inputs[f"{model}/{i}"])
    noise = {k: inputs[k] for k in ("critic_z", "alpha", "generator_z")}
    step = trainer_jax.make_step(trainer)
    state, logs = step(trainer_jax.get_state(trainer), inputs["real"], noise)
    trainer_jax.set_state(trainer, state)
    results = {**weights(trainer), **{f"log/{k}": np.asarray(v) for k, v in logs.items()},
               "step": np.asarray(keras.ops.convert_to_numpy(trainer.step))}
    # And fit() on the JAX backend: two more iterations (one epoch) from a numpy iterator.
    history = trainer.fit(iter([inputs["real"]] * 2), steps_per_epoch=2, epochs=1)
    results["fit_d_loss"] = np.asarray(history.history["d_loss"])
    results["fit_step"] = np.asarray(keras.ops.convert_to_numpy(trainer.step))
    # The JAX step and fit on numpy stay free of TensorFlow (a JAX-only GPU machine runs them).
    assert "tensorflow" not in sys.modules, "the JAX training path imported TensorFlow"
    np.savez(sys.argv[2], **results)
