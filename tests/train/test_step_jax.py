"""wavegan.train.step_jax: the JAX train step against TensorFlow's (each in a process of its own, the backend
being chosen at import), conditional too, and the JAX side importable without TensorFlow."""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tests import helpers
from wavegan.train import step_tf as trainer_tf

STEP_RUN = os.path.join(helpers.REPO, "tests", "train", "jax_step_run.py")


@pytest.mark.slow
@helpers.requires_jax
@pytest.mark.parametrize("loss", ["wgan-gp", "lsgan"])
def test_jax_train_step_agrees_with_tensorflow(tmp_path, loss):
    """Both steps run in processes of their own, on one thread each, from seeded weights, so the
    comparison is the same at every run whatever the load (see tests/train/jax_step_run.py)."""
    step_run = STEP_RUN
    inputs, tf_out, jax_out = (str(tmp_path / name) for name in ("in.npz", "tf.npz", "jax.npz"))
    helpers.run_command([sys.executable, step_run, inputs, tf_out, loss, "--make_inputs"],
                        env=dict(helpers.script_env(), KERAS_BACKEND="tensorflow"))
    helpers.run_command([sys.executable, step_run, inputs, jax_out, loss],
                        env=dict(helpers.script_env(), KERAS_BACKEND="jax"))
    tf_results, jax_results = np.load(tf_out), np.load(jax_out)
    logs = {k[len("log/"):]: float(tf_results[k]) for k in tf_results.files if k.startswith("log/")}
    tf_weights = {k: tf_results[k] for k in tf_results.files if not k.startswith("log/")}
    log_differences = {k: abs(v - float(jax_results[f"log/{k}"])) for k, v in logs.items()}
    differences = np.concatenate([np.abs(tf_weights[k] - jax_results[k]).ravel() for k in tf_weights])
    weight_difference, share_off = differences.max(), np.mean(differences > 1e-6)
    print(f"{loss}: losses {logs}, |TF − JAX| losses {log_differences}, "
          f"weights: largest difference {weight_difference:.2e}, share above 1e-6 {share_off:.2e}")
    for name, value in logs.items():
        np.testing.assert_allclose(float(jax_results[f"log/{name}"]), float(value), rtol=1e-4, atol=1e-5)
    # RMSProp's first update is linear in the gradient, so the weights agree to float precision. Adam's
    # is lr·g/(|g| + ε), about ±lr whatever |g|: a weight whose true gradient is 0 (D's output bias under
    # WGAN-GP) moves by up to lr either way from rounding alone. So: (almost) every weight agrees, and
    # none is off by more than two such steps.
    assert share_off < 1e-3
    assert weight_difference < (1e-5 if loss == "lsgan" else 2.5e-4)
    assert int(jax_results["step"]) == 1 and int(jax_results["fit_step"]) == 3
    assert np.all(np.isfinite(jax_results["fit_d_loss"])) and len(jax_results["fit_d_loss"]) == 1  # one epoch


@pytest.mark.slow
def test_jax_conditional_step_agrees_with_tensorflow(tmp_path):
    """trainer_jax runs the conditional model too, computing what trainer_tf computes."""
    import subprocess
    import sys

    from tests import helpers
    from tests.train.jax_step_run import tiny_trainer, weights

    trainer = tiny_trainer("wgan-gp", num_classes=3)
    real = np.random.default_rng(0).uniform(-0.5, 0.5, (3, 2, 16384, 1)).astype(np.float32)
    y = np.array([[0, 1], [2, 2], [1, 0]], np.int32)
    noise = {k: v.numpy() for k, v in trainer.iteration_noise(3).items()}
    inputs, outputs = str(tmp_path / "in.npz"), str(tmp_path / "out.npz")
    np.savez(inputs, real=real, labels=y, **noise, **weights(trainer))
    subprocess.run([sys.executable, STEP_RUN, inputs, outputs,
                    "wgan-gp", "3"], env=dict(helpers.script_env(), KERAS_BACKEND="jax"), check=True, timeout=600)
    jax_results = np.load(outputs)
    logs = tf.function(lambda r, n, labels: trainer_tf.iteration(trainer, r, n, labels=labels))(
        tf.constant(real), noise, tf.constant(y))
    for name, value in logs.items():
        np.testing.assert_allclose(float(jax_results[f"log/{name}"]), float(value), rtol=1e-4, atol=1e-5)
    tf_weights = weights(trainer)
    differences = np.concatenate([np.abs(tf_weights[k] - jax_results[k]).ravel() for k in tf_weights])
    assert np.mean(differences > 1e-6) < 1e-3 and differences.max() < 2.5e-4  # as the unconditional test
    assert int(jax_results["fit_step"]) == 3 and np.all(np.isfinite(jax_results["fit_d_loss"]))


@pytest.mark.slow
@helpers.requires_jax
def test_jax_side_imports_no_tensorflow():
    """What a JAX-only machine runs (issue 18's kit): models, losses, trainer, JAX step, precision choice."""
    code = ("import sys; from wavegan import config, models; from wavegan.train import step_jax, losses, precision; "
            "from specgan import models as specgan_models; "
            "from wavegan.train.trainer import AdversarialTrainer; "
            "trainer = AdversarialTrainer(models.WaveGANGenerator(dim=2), models.WaveGANDiscriminator(dim=2), "
            "latent_dim=100); "
            "precision.choose_precision(cpu_flags=set(), gpu_capabilities=[]); "
            "assert 'tensorflow' not in sys.modules, sorted(m for m in sys.modules if 'tensorflow' in m)[:5]")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=helpers.jax_env(),
                          cwd=helpers.REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr
