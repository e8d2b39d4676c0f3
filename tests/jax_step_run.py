"""One JAX-backend iteration of a tiny WaveGAN from given weights, data and noise (a process of its own:
the backend is chosen at import). Used by tests/test_distribute.py against the TensorFlow step.

    KERAS_BACKEND=jax python tests/jax_step_run.py IN.npz OUT.npz LOSS [NUM_CLASSES]

With NUM_CLASSES the models are label-conditional and IN.npz holds the real slices' `labels` too.
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


def tiny_trainer(loss: str, nupdates: int = 2, num_classes: int = 0) -> AdversarialTrainer:
    g = WaveGANGenerator(num_classes=num_classes, **TINY_MODEL)
    # phase shuffle off: the backends draw different shifts
    d = WaveGANDiscriminator(phaseshuffle_rad=0, num_classes=num_classes, **TINY_MODEL)
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
    num_classes = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    trainer = tiny_trainer(sys.argv[3], num_classes=num_classes)
    for model in ("generator", "discriminator"):
        for i, v in enumerate(getattr(trainer, model).trainable_variables):
            v.assign(inputs[f"{model}/{i}"])
    noise = {k: inputs[k] for k in ("critic_z", "alpha", "generator_z")}
    step = trainer_jax.make_step(trainer)
    labels = (inputs["labels"],) if num_classes else ()
    state, logs = step(trainer_jax.get_state(trainer), inputs["real"], noise, *labels)
    trainer_jax.set_state(trainer, state)
    results = {**weights(trainer), **{f"log/{k}": np.asarray(v) for k, v in logs.items()},
               "step": np.asarray(keras.ops.convert_to_numpy(trainer.step))}
    # And fit() on the JAX backend: two more iterations (one epoch) from a numpy iterator.
    batch = (inputs["real"], inputs["labels"]) if num_classes else inputs["real"]
    history = trainer.fit(iter([batch] * 2), steps_per_epoch=2, epochs=1)
    results["fit_d_loss"] = np.asarray(history.history["d_loss"])
    results["fit_step"] = np.asarray(keras.ops.convert_to_numpy(trainer.step))
    # The JAX step and fit on numpy stay free of TensorFlow (a JAX-only GPU machine runs them).
    assert "tensorflow" not in sys.modules, "the JAX training path imported TensorFlow"
    np.savez(sys.argv[2], **results)
