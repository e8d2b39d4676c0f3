"""One iteration of a tiny WaveGAN from given weights, data and noise, on the backend KERAS_BACKEND
names (a process of its own: the backend is chosen at import). Used by tests/train/test_step_jax.py to
compare the JAX step with the TensorFlow step.

    KERAS_BACKEND=tensorflow python tests/train/jax_step_run.py IN.npz OUT.npz LOSS --make_inputs
    KERAS_BACKEND=jax python tests/train/jax_step_run.py IN.npz OUT.npz LOSS [NUM_CLASSES]

With NUM_CLASSES the models are label-conditional and IN.npz holds the real slices' `labels` too.
Both run on one thread (see SINGLE_THREAD_XLA_FLAGS): a multi-threaded reduction's order depends on how
the work is split, and TensorFlow's oneDNN kernels run single-threaded when the scheduler happens to
call them from a worker thread, so under load the same step could round differently from run to run.
`--make_inputs` (TensorFlow) first writes IN.npz: seeded initial weights, data and noise.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

SINGLE_THREAD_XLA_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
if __name__ == "__main__":
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {SINGLE_THREAD_XLA_FLAGS}".strip()

import keras  # noqa: E402
import numpy as np  # noqa: E402

from wavegan.train import losses  # noqa: E402
from wavegan.models import WaveGANDiscriminator, WaveGANGenerator  # noqa: E402
from wavegan.train.trainer import AdversarialTrainer  # noqa: E402

TINY_MODEL = dict(dim=4)
BATCH = 3


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


def make_inputs(path: str, loss: str) -> None:
    keras.utils.set_random_seed(0)  # the same initial weights every run
    trainer = tiny_trainer(loss)
    real = np.random.default_rng(0).uniform(-0.5, 0.5, (BATCH, 2, 16384, 1)).astype(np.float32)
    noise = {k: keras.ops.convert_to_numpy(v) for k, v in trainer.iteration_noise(BATCH).items()}
    np.savez(path, real=real, **noise, **weights(trainer))


def tensorflow_step(trainer: AdversarialTrainer, inputs, noise: dict, num_classes: int) -> dict:
    import tensorflow as tf

    from wavegan.train import step_tf as trainer_tf

    logs = tf.function(lambda r, n: trainer_tf.iteration(trainer, r, n))(tf.constant(inputs["real"]), noise)
    return {**weights(trainer), **{f"log/{k}": np.asarray(v) for k, v in logs.items()}}


def jax_step(trainer: AdversarialTrainer, inputs, noise: dict, num_classes: int) -> dict:
    from wavegan.train import step_jax as trainer_jax

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
    return results


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    in_path, out_path, loss = args[:3]
    num_classes = int(args[3]) if len(args) > 3 else 0
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    if "--make_inputs" in sys.argv:
        make_inputs(in_path, loss)
    inputs = np.load(in_path)
    trainer = tiny_trainer(loss, num_classes=num_classes)
    for model in ("generator", "discriminator"):
        for i, v in enumerate(getattr(trainer, model).trainable_variables):
            v.assign(inputs[f"{model}/{i}"])
    noise = {k: inputs[k] for k in ("critic_z", "alpha", "generator_z")}
    results = (jax_step if backend == "jax" else tensorflow_step)(trainer, inputs, noise, num_classes)
    np.savez(out_path, **results)
