"""End-to-end runs of train_wavegan.py in a temp dir: tiny model, a few steps, files read back."""

import glob
import json
import os

import numpy as np
import pytest
import tensorflow as tf

from tests import audio_fixtures as fx
from tests import helpers
from tests.helpers import TINY, audio_summary, event_tags

# Every test here runs the train script or worker processes (the fast tier skips them).
pytestmark = pytest.mark.slow


def run_script(*args, check=True):
    return helpers.run_script("train_wavegan.py", *args, check=check)


def checkpoint_steps(train_dir):
    return sorted(int(p.split("-")[-1].split(".")[0]) for p in glob.glob(os.path.join(train_dir, "model.ckpt-*.index")))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Three steps on the bundled drum corpus (no --data_dir), then a resume to seven."""
    train_dir = str(tmp_path_factory.mktemp("train"))
    first = run_script("train", train_dir, "--train_max_steps", "3", *TINY)
    after_first = event_tags(train_dir), checkpoint_steps(train_dir)
    second = run_script("train", train_dir, "--train_max_steps", "7", *TINY)
    return train_dir, first, second, after_first


def test_first_run_prints_parameters_progress_and_writes_checkpoints(trained):
    train_dir, first, _, (_, steps) = trained
    assert "bundled drum corpus" in first.stderr
    assert "Found 64 audio files" in first.stderr
    assert "Total params: 479,169" in first.stdout  # G at d=8
    assert "steps/s" in first.stdout
    assert steps == [1, 2, 3]  # --train_save_secs 0: one per step
    config = json.load(open(os.path.join(train_dir, "config.json")))
    assert config["model"]["dim"] == 8 and config["data"]["first_slice"] is True
    args = open(os.path.join(train_dir, "args.txt")).read().splitlines()
    assert "wavegan_dim,8" in args and args == sorted(args, key=lambda line: line.split(",")[0])


def test_summaries_hold_audio_and_scalars(trained):
    train_dir, _, _, (tags, _) = trained
    for tag in ("x", "G_z"):
        assert tags.get(tag) == {"audio"}, tags
    for tag in ("D_loss", "G_loss", "gradient_penalty", "wasserstein", "x_rms", "G_z_rms"):
        assert tags.get(tag) == {"scalars"}, tags
    for tag in ("x_rms_batch", "G_z_rms_batch"):
        assert tags.get(tag) == {"histograms"}, tags
    clips = audio_summary(train_dir, "x")
    assert clips.shape[0] == 3  # three encoded clips (plus their labels)


def test_resume_continues_the_step_count_and_optimizer_state(trained):
    train_dir, _, second, _ = trained
    assert "Resumed from" in second.stdout and "at step 3" in second.stdout
    steps = checkpoint_steps(train_dir)
    assert steps[-1] == 7 and len(steps) == 5  # saved every step, last 5 kept
    reader = tf.train.load_checkpoint(os.path.join(train_dir, "model.ckpt-7"))
    names = reader.get_variable_to_shape_map()
    g_iter = [n for n in names if n.startswith("g_optimizer/") and "iteration" in n]
    d_iter = [n for n in names if n.startswith("d_optimizer/") and "iteration" in n]
    assert reader.get_tensor(g_iter[0]) == 7 and reader.get_tensor(d_iter[0]) == 14  # 2 critic steps each
    assert run_script("train", train_dir, "--train_max_steps", "7", *TINY).stdout.count("nothing to do") == 1


def test_changed_model_flags_on_resume_are_refused(trained):
    train_dir = trained[0]
    proc = run_script("train", train_dir, "--train_max_steps", "9", *TINY[2:], "--wavegan_dim", "16", check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("error:") and "dim=8" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("make_data,flags,message", [
    (lambda d: None, ["--data_dir", "/nonexistent/audio"], "is not a folder"),
    (lambda d: os.makedirs(d), [], "No audio files"),
    (lambda d: [fx.write(os.path.join(d, f"{i}.wav"), fx.tone(1.0, 16000), 16000) for i in range(3)], [],
     "--data_pad_end"),
    (lambda d: fx.write_bad_files(d), [], "could be read"),
    (lambda d: None, ["--wavegan_loss", "hinge"], "wavegan_loss"),
])
def test_user_errors_are_one_sentence(tmp_path, make_data, flags, message):
    data_dir = os.path.join(tmp_path, "audio")
    make_data(data_dir)
    args = ["--data_dir", data_dir] if "--data_dir" not in flags else []
    proc = run_script("train", os.path.join(tmp_path, "train"), *args, *flags, check=False)
    assert proc.returncode != 0
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_real_batch_written_by_the_summaries_is_real_audio(trained):
    """The clips TensorBoard shows as `x` decode to non-silent audio at the data rate."""
    train_dir = trained[0]
    encoded = audio_summary(train_dir, "x")[0, 0]
    waveform, rate = tf.audio.decode_wav(encoded)
    assert int(rate) == 16000 and waveform.shape == (16384, 1)
    assert float(tf.reduce_max(tf.abs(waveform))) > 0.05
    assert np.isfinite(waveform.numpy()).all()
