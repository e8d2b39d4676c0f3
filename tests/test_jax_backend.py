"""The JAX backend through the train scripts: checkpoints shared with TensorFlow in both directions,
resume after SIGKILL, graceful SIGTERM, summaries and the SavedModel export; and the JAX-side modules
importable without TensorFlow."""

import glob
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from tests import helpers
from tests.helpers import event_tags

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")]

# Smaller than helpers.TINY: one critic update per iteration halves the step JAX compiles.
TINY_JAX = ["--wavegan_dim", "4", "--train_batch_size", "4", "--wavegan_disc_nupdates", "1",
            "--train_save_secs", "0", "--train_summary_secs", "0"]


def test_train_script_on_jax_survives_sigkill_stops_on_sigterm_and_resumes_on_tensorflow(tmp_path):
    """SIGKILL mid-run (checkpoints every step), resume on JAX and stop it with SIGTERM (the step reached
    is saved and exported), then TensorFlow resumes the JAX-written run."""
    train_dir, cache = str(tmp_path / "run"), str(tmp_path / "jax_cache")
    cmd = [sys.executable, os.path.join(helpers.REPO, "train_wavegan.py"), "train", train_dir, *TINY_JAX]

    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=jax_env(cache))
    deadline = time.monotonic() + 300
    while newest_step(train_dir) < 2 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first_output = first.communicate()[0]
    killed_at = newest_step(train_dir)
    assert killed_at >= 2, first_output

    second = subprocess.Popen(cmd + ["--train_save_secs", "3600"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env=jax_env(cache))
    lines = []
    for line in second.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("step "):
            break
    second.send_signal(signal.SIGTERM)
    lines += second.communicate(timeout=300)[0].splitlines()
    output = "\n".join(lines)
    assert second.returncode == 0, output
    assert f"Resumed from {train_dir}/model.ckpt-{killed_at} at step {killed_at}" in output
    assert any(line.startswith("SIGTERM received") for line in lines)
    last_reported = int([line for line in lines if line.startswith("step ")][-1].split()[1])
    assert newest_step(train_dir) == last_reported > killed_at
    export_dir = os.path.join(train_dir, "infer", "saved_model")
    assert json.load(open(os.path.join(export_dir, "wavegan.json")))["step"] == last_reported
    assert not glob.glob(os.path.join(train_dir, "*_temp*"))
    tags = event_tags(train_dir)
    assert {"D_loss", "G_loss", "x", "G_z"} <= set(tags) and tags["G_z"] == {"audio"}

    # The export is the TensorFlow path's SavedModel: every signature, loadable by plain TensorFlow.
    loaded = tf.saved_model.load(export_dir)
    assert set(loaded.signatures) == {"serving_default", "samp_z", "sample", "flat"}
    out = loaded.signatures["serving_default"](z=tf.zeros([2, 100]))
    assert out["G_z"].shape == (2, 16384, 1) and out["G_z_int16"].dtype == tf.int16

    resumed = helpers.run_script("train_wavegan.py", "train", train_dir, *TINY_JAX,
                                 "--train_max_steps", str(last_reported + 1))
    assert f"Resumed from {train_dir}/model.ckpt-{last_reported} at step {last_reported}" in resumed.stdout
    assert newest_step(train_dir) == last_reported + 1


def test_specgan_trains_on_jax_and_exports_its_savedmodel(tmp_path):
    train_dir, moments = str(tmp_path / "train"), str(tmp_path / "moments.npz")
    # Plausible moments of ln|X| without the moments mode's own run (tested in test_specgan.py).
    np.savez(moments, mean=np.full(129, -2.0, np.float32), std=np.full(129, 2.0, np.float32))
    proc = subprocess.run([sys.executable, os.path.join(helpers.REPO, "train_specgan.py"), "train", train_dir,
                           "--data_moments_fp", moments, "--train_max_steps", "1", "--specgan_dim", "4",
                           "--train_batch_size", "4", "--specgan_disc_nupdates", "1", "--train_save_secs", "0",
                           "--train_summary_secs", "0", "--specgan_ngl", "4"],
                          capture_output=True, text=True, env=jax_env(), timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert newest_step(train_dir) == 1
    assert event_tags(train_dir)["G_z"] == {"audio", "images"}
    info = json.load(open(os.path.join(train_dir, "infer", "saved_model", "wavegan.json")))
    assert info["step"] == 1 and info["model_type"] == "specgan" and info["ngl"] == 4
