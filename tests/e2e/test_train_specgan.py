"""train_specgan.py end to end: moments, train, resume, export, generate, preview, scoring; and on JAX."""

import glob
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile
import tensorflow as tf

from tests import helpers
from tests.helpers import event_tags

pytestmark = pytest.mark.slow


def specgan(*args, check=True):
    return helpers.run_script("train_specgan.py", *args, check=check)


TINY = ["--specgan_dim", "4", "--train_batch_size", "4", "--specgan_disc_nupdates", "2",
        "--train_save_secs", "0", "--train_summary_secs", "0", "--specgan_ngl", "4"]


LOAD = """
import json, sys
import numpy as np
import tensorflow as tf
m = tf.saved_model.load(sys.argv[1])
z = tf.constant(np.random.uniform(-1, 1, (2, 100)).astype(np.float32))
out = m.signatures['serving_default'](z=z, ngl=tf.constant(8))
print(json.dumps({k: [list(v.shape), v.dtype.name] for k, v in out.items()}))
"""


@pytest.mark.slow
def test_end_to_end_moments_train_export_generate_preview(tmp_path):
    train_dir, moments = str(tmp_path / "train"), str(tmp_path / "moments.npz")
    out = specgan("train", train_dir, "--train_max_steps", "1", *TINY, check=False)
    assert out.returncode == 2 and "train_specgan.py moments" in out.stderr
    specgan("moments", train_dir, "--data_moments_fp", moments, "--data_moments_n", "32")
    with np.load(moments, allow_pickle=False) as stored:
        assert stored["mean"].shape == (129,) and np.all(stored["std"] > 0)
    first = specgan("train", train_dir, "--data_moments_fp", moments, "--train_max_steps", "2", *TINY)
    assert "Total params" in first.stdout
    specgan("train", train_dir, "--train_max_steps", "3", *TINY)  # resumes without the flag
    assert tf.train.latest_checkpoint(train_dir).endswith("-3")
    tags = event_tags(train_dir)
    assert tags["x"] == {"audio", "images"} and tags["G_z"] == {"audio", "images"} and tags["x_wav"] == {"audio"}

    export_dir = os.path.join(train_dir, "infer", "saved_model")
    assert json.load(open(os.path.join(export_dir, "wavegan.json")))["ngl"] == 4
    env = {k: v for k, v in helpers.script_env().items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-c", LOAD, export_dir], capture_output=True, text=True, env=env,
                          cwd=str(tmp_path), timeout=300)
    assert proc.returncode == 0, proc.stderr
    shapes = json.loads(proc.stdout.strip().splitlines()[-1])
    assert shapes == {"G_z_norm": [[2, 128, 128, 1], "float32"], "G_z_norm_uint8": [[2, 128, 128, 1], "uint8"],
                      "G_z": [[2, 16384, 1], "float32"], "G_z_int16": [[2, 16384, 1], "int16"]}

    for source, folder in ((train_dir, "from_ckpt"), (export_dir, "from_savedmodel")):
        specgan("generate", train_dir, "--generate_from", source, "--generate_n", "3",
                "--generate_dir", str(tmp_path / folder))
        clips = [soundfile.read(p, dtype="int16") for p in sorted(glob.glob(str(tmp_path / folder / "*.wav")))]
        assert len(clips) == 3 and all(a.shape == (16384,) and rate == 16000 for a, rate in clips)
    specgan("preview", train_dir, "--preview_once", "--preview_n", "2")
    audio, _ = soundfile.read(os.path.join(train_dir, "preview", "00000003.wav"), dtype="int16")
    assert audio.shape == (2 * (16384 + 8000),)
    wrong = helpers.run_script("train_wavegan.py", "generate", train_dir, check=False)
    assert wrong.returncode == 2 and "train_specgan.py" in wrong.stderr
    # Tools that only import wavegan read the run too: eval.score --model on a SpecGAN train dir.
    classifier = os.path.join(helpers.REPO, "eval", "digits_classifier.keras")
    scored = helpers.run_script("-m eval.score", "--classifier", classifier, "--model", train_dir, "--n", "3", "--k", "1")
    assert f"{train_dir}: predicted labels" in scored.stdout
    proc = subprocess.run([sys.executable, "-c", "import sys; from wavegan.serve.generate import gan_of_run; "
                           "print(gan_of_run(sys.argv[1]).name)", train_dir],
                          capture_output=True, text=True, env=helpers.script_env(), cwd=helpers.REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "specgan"


@helpers.requires_jax
def test_specgan_trains_on_jax_and_exports_its_savedmodel(tmp_path):
    train_dir, moments = str(tmp_path / "train"), str(tmp_path / "moments.npz")
    # Plausible moments of ln|X| without the moments mode's own run (tested above).
    np.savez(moments, mean=np.full(129, -2.0, np.float32), std=np.full(129, 2.0, np.float32))
    proc = subprocess.run([sys.executable, os.path.join(helpers.REPO, "train_specgan.py"), "train", train_dir,
                           "--data_moments_fp", moments, "--train_max_steps", "1", "--specgan_dim", "4",
                           "--train_batch_size", "4", "--specgan_disc_nupdates", "1", "--train_save_secs", "0",
                           "--train_summary_secs", "0", "--specgan_ngl", "4"],
                          capture_output=True, text=True, env=helpers.jax_env(), timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert helpers.newest_step(train_dir) == 1
    assert event_tags(train_dir)["G_z"] == {"audio", "images"}
    info = json.load(open(os.path.join(train_dir, "infer", "saved_model", "wavegan.json")))
    assert info["step"] == 1 and info["model_type"] == "specgan" and info["ngl"] == 4
