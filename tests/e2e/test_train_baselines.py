"""End-to-end runs of train_wavenet.py and train_framernn.py in a temp dir: tiny models, a few steps."""

import glob
import json
import os

import numpy as np
import pytest
import soundfile
import tensorflow as tf

from tests import audio_fixtures as fx
from tests import helpers
from tests.helpers import event_tags

pytestmark = pytest.mark.slow
COMMON = ["--train_save_secs", "0", "--train_summary_secs", "0"]
WAVENET_PARAMS = {"filter_width": 2, "dilations": [1, 2, 4, 8, 1, 2, 4, 8], "residual_channels": 8,
                  "dilation_channels": 8, "quantization_channels": 64, "skip_channels": 16, "use_biases": True}


def steps(train_dir):
    return sorted(int(p.split("-")[-1].split(".")[0]) for p in glob.glob(os.path.join(train_dir, "model.ckpt-*.index")))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("digits")
    for i, (name, freq) in enumerate([("One", 300), ("Two", 500), ("One", 350), ("Two", 550)]):
        fx.write(str(folder / f"{name}_{i}.wav"), fx.tone(0.5, 16000, freq, 0.6), 16000)
    return str(folder)


def test_wavenet_trains_resumes_generates_and_explains_mistakes(corpus, tmp_path):
    params = tmp_path / "params.json"
    params.write_text(json.dumps(WAVENET_PARAMS))
    train_dir = str(tmp_path / "wn")
    args = ["--data_dir", corpus, "--wavenet_params", str(params), "--wavenet_sample_size", "2000",
            "--wavenet_gc_channels", "4", "--train_batch_size", "2", *COMMON]
    first = helpers.run_script("train_wavenet.py", "train", train_dir, "--train_max_steps", "2", *args)
    assert "Receptive field: 32 samples" in first.stdout and "--gc_cardinality=2" in first.stdout
    assert "loss" in first.stdout and steps(train_dir) == [1, 2]
    second = helpers.run_script("train_wavenet.py", "train", train_dir, "--train_max_steps", "4", *args)
    assert "Resumed from" in second.stdout and steps(train_dir)[-1] == 4
    config = json.load(open(os.path.join(train_dir, "config.json")))
    assert config["model_type"] == "wavenet" and config["model"]["gc_categories"] == ["One", "Two"]
    assert event_tags(train_dir).get("loss") == {"scalars"}
    clips = {}
    for fast in ("--generate_fast", "--nogenerate_fast"):
        out = str(tmp_path / fast)
        helpers.run_script("train_wavenet.py", "generate", train_dir, "--generate_n", "2", "--generate_samples",
                           "200", "--generate_category", "Two", "--generate_dir", out, fast)
        clips[fast] = [soundfile.read(p, dtype="int16")[0] for p in sorted(glob.glob(out + "/*.wav"))]
    assert len(clips["--generate_fast"]) == 2 and clips["--generate_fast"][0].shape == (200,)
    np.testing.assert_array_equal(clips["--generate_fast"], clips["--nogenerate_fast"])
    helpers.run_script("train_wavenet.py", "infer", train_dir)
    serving = tf.saved_model.load(os.path.join(train_dir, "infer", "saved_model")).signatures["serving_default"]
    out = serving(n=tf.constant(3), samples=tf.constant(50), temperature=tf.constant(1.0), seed=tf.constant(0),
                  category=tf.constant(1))
    assert out["audio_int16"].shape == (3, 50) and out["audio_int16"].dtype == tf.int16
    wrong = helpers.run_script("train_wavenet.py", "generate", train_dir, "--generate_category", "Nine", check=False)
    assert wrong.returncode == 2 and wrong.stderr.strip().splitlines()[-1].startswith("error: Unknown category")
    changed = helpers.run_script("train_wavenet.py", "train", train_dir, "--train_max_steps", "5", *args,
                                 "--wavenet_gc_channels", "8", check=False)
    assert changed.returncode == 2 and "gc_channels" in changed.stderr.strip().splitlines()[-1]


def test_framernn_trains_resumes_and_generates(corpus, tmp_path):
    train_dir = str(tmp_path / "fr")
    args = ["--data_dir", corpus, "--data_first_slice", "--data_pad_end", "--framernn_frame_size", "64",
            "--framernn_seq_len", "15", "--framernn_units", "8", "--train_batch_size", "2", *COMMON]
    helpers.run_script("train_framernn.py", "train", train_dir, "--train_max_steps", "2", *args)
    second = helpers.run_script("train_framernn.py", "train", train_dir, "--train_max_steps", "3", *args)
    assert "Resumed from" in second.stdout and steps(train_dir)[-1] == 3
    assert event_tags(train_dir).get("loss") == {"scalars"}
    out = str(tmp_path / "gen")
    helpers.run_script("train_framernn.py", "generate", train_dir, "--generate_n", "3", "--generate_samples", "1000",
                       "--generate_dir", out)
    wavs = sorted(glob.glob(out + "/*.wav"))
    assert len(wavs) == 3 and soundfile.read(wavs[0])[0].shape == (1000,)
    helpers.run_script("train_framernn.py", "infer", train_dir)
    serving = tf.saved_model.load(os.path.join(train_dir, "infer", "saved_model")).signatures["serving_default"]
    out = serving(seeds=tf.zeros([2, 3, 64]), samples=tf.constant(500))
    assert out["audio"].shape == (2, 500)
    empty = helpers.run_script("train_framernn.py", "train", str(tmp_path / "none"), "--data_dir", str(tmp_path / "nope"),
                               check=False)
    assert empty.returncode == 2 and "is not a folder" in empty.stderr


def test_shared_flags_a_baseline_does_not_use_are_refused(tmp_path):
    """Refused before TensorFlow loads: each run takes well under a second."""
    wavenet = helpers.run_script("train_wavenet.py", "train", str(tmp_path / "wn"), "--data_first_slice", check=False)
    assert wavenet.returncode == 2
    assert wavenet.stderr.strip().splitlines()[-1].startswith("error: --data_first_slice does not apply to the WaveNet: ")
    framernn = helpers.run_script("train_framernn.py", "generate", str(tmp_path / "fr"), "--data_overlap_ratio", "0.5",
                                  check=False)
    assert framernn.returncode == 2
    assert framernn.stderr.strip().splitlines()[-1].startswith("error: --data_overlap_ratio does not apply to the frame GRU: ")
    assert not os.path.exists(tmp_path / "wn") and not os.path.exists(tmp_path / "fr")
