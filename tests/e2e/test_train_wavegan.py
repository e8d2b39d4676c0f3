"""End-to-end runs of train_wavegan.py in a temp dir: tiny model, a few steps, files read back; with labels,
with a prepared corpus, on the JAX backend."""

import glob
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from tests import audio_fixtures as fx
from tests import helpers
from tests.audio_fixtures import write
from tests.helpers import TINY, audio_summary, event_tags, newest_step

# Every test here runs the train script or worker processes (the fast tier skips them).
pytestmark = pytest.mark.slow
RATE = 16000


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


def read_args_txt(train_dir):
    return dict(line.split(",", 1) for line in open(os.path.join(train_dir, "args.txt")).read().splitlines())


def test_args_txt_agrees_with_config_json(trained):
    train_dir = trained[0]
    args, config = read_args_txt(train_dir), json.load(open(os.path.join(train_dir, "config.json")))
    assert args["data_dir"] == config["data"]["data_dir"] and args["data_dir"].endswith(os.path.join("data", "drums"))
    assert args["data_first_slice"] == args["data_pad_end"] == "True" == str(config["data"]["pad_end"])
    assert args["wavegan_dim"] == str(config["model"]["dim"]) and args["train_batch_size"] == str(config["train"]["batch_size"])


@pytest.mark.slow
def test_a_corpus_that_cannot_feed_training_stops_before_it_and_leaves_nothing(tmp_path):
    """The drum one-shots without the short-clip flags: refused with the flags to pass, no checkpoint, no
    settings, so the next attempt in that folder may use other model flags."""
    train_dir = str(tmp_path / "train")
    drums = os.path.join(helpers.REPO, "data", "drums")
    proc = run_script("train", train_dir, "--data_dir", drums, "--train_max_steps", "1", *TINY, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "--data_first_slice --data_pad_end" in proc.stderr.strip().splitlines()[-1]
    assert checkpoint_steps(train_dir) == []
    assert not any(os.path.exists(os.path.join(train_dir, f)) for f in ("config.json", "args.txt"))
    retry = ["train", train_dir, "--data_dir", drums, "--data_first_slice", "--data_pad_end", *TINY,
             "--wavegan_dim", "4"]
    run_script(*retry, "--train_max_steps", "1")
    assert checkpoint_steps(train_dir) == [1]
    settings = {f: open(os.path.join(train_dir, f)).read() for f in ("config.json", "args.txt")}
    noop = run_script(*retry, "--train_max_steps", "1", "--train_batch_size", "4")
    assert "nothing to do" in noop.stdout
    assert {f: open(os.path.join(train_dir, f)).read() for f in settings} == settings


@pytest.mark.slow
def test_ten_one_shots_train_at_batch_64(tmp_path):
    data_dir = tmp_path / "ten"
    data_dir.mkdir()
    drums = sorted(glob.glob(os.path.join(helpers.REPO, "data", "drums", "*.wav")))[:10]
    for path in drums:
        os.symlink(path, data_dir / os.path.basename(path))
    train_dir = str(tmp_path / "train")
    proc = run_script("train", train_dir, "--data_dir", str(data_dir), "--data_first_slice", "--data_pad_end",
                      "--wavegan_dim", "8", "--train_batch_size", "64", "--train_max_steps", "1",
                      "--train_summary_secs", "0")
    assert checkpoint_steps(train_dir) == [1]
    assert "D_loss" in proc.stdout and "crawl" not in proc.stderr
    reader = tf.train.load_checkpoint(os.path.join(train_dir, "model.ckpt-1"))
    d_iter = [n for n in reader.get_variable_to_shape_map() if n.startswith("d_optimizer/") and "iteration" in n]
    assert reader.get_tensor(d_iter[0]) == 5


@pytest.mark.slow
@pytest.mark.parametrize("script,model_flag", [("train_wavegan.py", "--wavegan_dim"), ("train_specgan.py", "--specgan_ngl")])
def test_help_lists_the_scripts_flags_by_group_with_defaults(script, model_flag):
    proc = helpers.run_script(script, "--help")
    out = proc.stdout
    headings = [out.index(h) for h in ("\nData:", "\nModel:", "\nTraining:", "\nAfter training")]
    assert headings == sorted(headings)
    model = out[headings[1]:headings[2]]
    assert model_flag in model and ("(default: 64)" in model if "dim" in model_flag else "(default: 16)" in model)
    assert "--train_batch_size\n        Batch size. (default: 64)" in out[headings[2]:headings[3]]
    assert "--data_first_slice / --nodata_first_slice" in out[headings[0]:headings[1]]
    assert "--preview_n" in out[headings[3]:] and "Try --helpfull" not in out
    assert "--alsologtostderr" not in out  # absl's own flags stay in --helpfull


@pytest.mark.slow
def test_tensorflow_start_up_chatter_is_hidden_unless_asked_for(tmp_path):
    """TensorFlow's C++ start-up lines (printed whatever TF_CPP_MIN_LOG_LEVEL says) stay out of the
    console; our own error still arrives; --verbosity 0 brings TensorFlow's lines back."""
    chatter = ("absl::InitializeLog", "oneDNN custom operations are on")
    quiet = run_script("generate", str(tmp_path), check=False)  # loads TensorFlow, then stops: no run there
    assert quiet.returncode == 2 and quiet.stderr.strip().splitlines()[-1].startswith("error: ")
    assert not any(c in quiet.stderr for c in chatter), quiet.stderr
    assert len(quiet.stderr.strip().splitlines()) == 1, quiet.stderr
    verbose = run_script("generate", str(tmp_path), "--verbosity", "0", check=False)
    assert verbose.returncode == 2 and "oneDNN custom operations are on" in verbose.stderr


@pytest.mark.slow
def test_conditional_wavegan_end_to_end(tmp_path):
    """Train with --data_labels prefix, then generate by name and index, walk between classes, preview,
    score against the digit classifier, and refuse a resume whose data has another label set."""
    from tests import helpers

    corpus = tmp_path / "data"
    for c, word in enumerate(("One", "Two", "Three")):
        for i in range(3):
            tone = 0.5 * np.sin(2 * np.pi * (200 + 150 * c + 10 * i) * np.arange(8000) / 16000)
            write(str(corpus / f"{word}_{i}.wav"), tone[:, None].astype(np.float32), 16000)
    write(str(corpus / "unlabelled.wav"), np.zeros((8000, 1), np.float32), 16000)
    train_dir = str(tmp_path / "run")
    flags = ["--data_dir", str(corpus), "--data_first_slice", "--data_pad_end", "--data_labels", "prefix",
             "--train_max_steps", "2", *helpers.TINY]
    proc = run_script("train", train_dir, *flags)
    assert "3 classes by prefix: 0 One (3 files), 1 Three (3 files), 2 Two (3 files)" in proc.stderr
    assert "unlabelled.wav" in proc.stderr and "match no class" in proc.stderr
    with open(os.path.join(train_dir, "config.json")) as f:
        assert json.load(f)["data"]["classes"] == ["One", "Three", "Two"]
    tags = helpers.event_tags(train_dir)
    assert {"G_z/One", "G_z/Three", "G_z/Two"} <= set(tags)

    out = str(tmp_path / "gen")
    run_script("generate", train_dir, "--generate_n", "2", "--generate_label", "two,1", "--generate_dir", out)
    assert sorted(os.listdir(out)) == ["Three_00000.wav", "Three_00001.wav", "Three_z.npy",
                                       "Two_00000.wav", "Two_00001.wav", "Two_z.npy"]
    saved = os.path.join(train_dir, "infer", "saved_model")
    walk = str(tmp_path / "walk")
    run_script("generate", train_dir, "--generate_from", saved, "--generate_n", "3", "--generate_dir", walk,
            "--generate_interp", os.path.join(out, "Two_z.npy"), "--generate_label", "One,Two")
    assert sorted(os.listdir(walk))[:3] == ["One_to_Two_00000.wav", "One_to_Two_00001.wav", "One_to_Two_00002.wav"]
    everything = str(tmp_path / "all")
    run_script("generate", saved, "--generate_n", "1", "--generate_dir", everything)
    assert sorted(p for p in os.listdir(everything) if p.endswith(".wav")) == [
        "One_00000.wav", "Three_00000.wav", "Two_00000.wav"]
    bad = run_script("generate", train_dir, "--generate_label", "Nine", check=False)
    assert bad.returncode == 2 and "'Nine' is not a class of this model" in bad.stderr

    run_script("preview", train_dir, "--preview_once", "--preview_n", "3")
    assert sorted(p for p in os.listdir(os.path.join(train_dir, "preview")) if p.endswith(".wav")) == [
        "00000002_One.wav", "00000002_Three.wav", "00000002_Two.wav"]

    scores = str(tmp_path / "scores.json")
    helpers.run_script("-m eval.score", "--classifier", os.path.join(helpers.REPO, "eval", "digits_classifier.keras"),
                       "--model", train_dir, "--n", "30", "--k", "3", "--json", scores)
    with open(scores) as f:
        row = json.load(f)[train_dir]
    assert 0.0 <= row["accuracy"] <= 1.0 and row["n"] == 30

    write(str(corpus / "Four_0.wav"), np.zeros((8000, 1), np.float32) + 0.1, 16000)
    refused = run_script("train", train_dir, *flags, check=False)
    assert refused.returncode == 2
    assert "was trained with 3 classes (One, Three, Two) but this run has 4 classes" in refused.stderr


@pytest.mark.slow
def test_train_script_prepares_the_corpus_once_and_trains_from_it(tmp_path):
    from tests import helpers

    for i in range(20):  # enough files for the decoding processes
        fx.write(os.path.join(tmp_path / "audio", f"clip{i:02d}.wav"), fx.tone(0.5 + 0.05 * i, RATE, freq=200.0 + i), RATE)
    prepared = str(tmp_path / "corpus")
    args = ["--data_dir", str(tmp_path / "audio"), "--data_first_slice", "--data_pad_end", "--data_prepared", prepared,
            *helpers.TINY]
    first = helpers.run_script("train_wavegan.py", "train", str(tmp_path / "run"), "--train_max_steps", "1", *args)
    assert "Preparing the corpus" in first.stdout + first.stderr
    assert len([f for f in os.listdir(prepared) if f.endswith(".i16")]) == 20
    second = helpers.run_script("train_wavegan.py", "train", str(tmp_path / "run"), "--train_max_steps", "2", *args)
    assert "Preparing the corpus" not in second.stdout + second.stderr
    assert os.path.exists(tmp_path / "run" / "model.ckpt-2.index")


# Smaller than helpers.TINY: one critic update per iteration halves the step JAX compiles.
TINY_JAX = ["--wavegan_dim", "4", "--train_batch_size", "4", "--wavegan_disc_nupdates", "1",
            "--train_save_secs", "0", "--train_summary_secs", "0"]


@helpers.requires_jax
def test_train_script_on_jax_survives_sigkill_stops_on_sigterm_and_resumes_on_tensorflow(tmp_path):
    """SIGKILL mid-run (checkpoints every step), resume on JAX and stop it with SIGTERM (the step reached
    is saved and exported), then TensorFlow resumes the JAX-written run."""
    train_dir, cache = str(tmp_path / "run"), str(tmp_path / "jax_cache")
    cmd = [sys.executable, os.path.join(helpers.REPO, "train_wavegan.py"), "train", train_dir, *TINY_JAX]

    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=helpers.jax_env(cache))
    deadline = time.monotonic() + 300
    while newest_step(train_dir) < 2 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first_output = first.communicate()[0]
    killed_at = newest_step(train_dir)
    assert killed_at >= 2, first_output

    second = subprocess.Popen(cmd + ["--train_save_secs", "3600"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env=helpers.jax_env(cache))
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
