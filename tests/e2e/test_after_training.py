"""After training, on real runs of the scripts: preview, infer/export, generate, incept, backup.py, and crash safety."""

import glob
import json
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile
import tensorflow as tf

from tests import helpers
from tests.helpers import TINY, event_tags, newest_step

SLICE, RATE = 16384, 16000


def wavegan(*args, check=True):
    return helpers.run_script("train_wavegan.py", *args, check=check)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """Two steps of a tiny WaveGAN with the post-processing filter on the bundled drums."""
    train_dir = str(tmp_path_factory.mktemp("run"))
    wavegan("train", train_dir, "--train_max_steps", "2", "--wavegan_genr_pp", "--wavegan_genr_pp_len", "64", *TINY)
    return train_dir


@pytest.mark.slow
def test_training_refreshes_the_export_at_every_checkpoint(run_dir):
    info = json.load(open(os.path.join(run_dir, "infer", "saved_model", "wavegan.json")))
    assert info == {"model_type": "wavegan", "latent_dim": 100, "sample_rate": RATE, "slice_len": SLICE,
                    "num_channels": 1, "step": 2}


LOAD_WITH_PLAIN_TENSORFLOW = """
import json, sys
import numpy as np
import tensorflow as tf
assert not any('wavegan' in m for m in sys.modules), 'project imported'
m = tf.saved_model.load(sys.argv[1])
z = np.random.uniform(-1, 1, (3, 100)).astype(np.float32)
out = m.signatures['serving_default'](z=tf.constant(z))
sample = m.signatures['sample'](samp_z_n=tf.constant(4))
flat = m.signatures['flat'](z=tf.constant(z), flat_pad=tf.constant(8000))
samp = m.signatures['samp_z'](samp_z_n=tf.constant(5))['z'].numpy()
print(json.dumps({
    'G_z': [list(out['G_z'].shape), out['G_z'].dtype.name], 'G_z_int16': [list(out['G_z_int16'].shape), out['G_z_int16'].dtype.name],
    'max_abs_int16': int(np.abs(out['G_z_int16'].numpy()).max()),
    'int16_matches': bool(np.array_equal(out['G_z_int16'].numpy(), np.clip(out['G_z'].numpy() * 32767, -32767, 32767).astype(np.int16))),
    'sample': {k: list(v.shape) for k, v in sample.items()}, 'flat': [list(flat['G_z_flat'].shape), flat['G_z_flat_int16'].dtype.name],
    'flat_tail_zero': bool(np.all(flat['G_z_flat'].numpy()[16384:24384] == 0)),
    'samp_z_range': [float(samp.min()), float(samp.max())], 'samp_z_shape': list(samp.shape)}))
"""


@pytest.mark.slow
def test_export_loads_in_a_fresh_process_without_the_project(run_dir, tmp_path):
    export_dir = os.path.join(tmp_path, "exported")
    out = wavegan("infer", run_dir, "--infer_ckpt", os.path.join(run_dir, "model.ckpt-1"), "--infer_dir", export_dir)
    assert "Exported step 1" in out.stdout
    env = {k: v for k, v in helpers.script_env().items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-c", LOAD_WITH_PLAIN_TENSORFLOW, export_dir], capture_output=True,
                          text=True, env=env, cwd=str(tmp_path), timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["G_z"] == [[3, SLICE, 1], "float32"] and result["G_z_int16"] == [[3, SLICE, 1], "int16"]
    assert result["int16_matches"] and 0 < result["max_abs_int16"] <= 32767
    assert result["sample"] == {"z": [4, 100], "G_z": [4, SLICE, 1], "G_z_int16": [4, SLICE, 1]}
    assert result["flat"] == [[3 * (SLICE + 8000), 1], "int16"] and result["flat_tail_zero"]
    assert result["samp_z_shape"] == [5, 100] and -1 <= result["samp_z_range"][0] < result["samp_z_range"][1] <= 1
    assert json.load(open(os.path.join(export_dir, "wavegan.json")))["step"] == 1
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    shown = subprocess.run([cli, "show", "--dir", export_dir, "--tag_set", "serve"], capture_output=True, text=True, env=env).stdout
    for signature in ("serving_default", "samp_z", "sample", "flat"):
        assert signature in shown


@pytest.mark.slow
def test_infer_precision_bfloat16_writes_the_bfloat16_export(run_dir, tmp_path):
    exports = {}
    for precision in ("float32", "bfloat16"):
        exports[precision] = os.path.join(tmp_path, precision)
        out = wavegan("infer", run_dir, "--infer_ckpt", os.path.join(run_dir, "model.ckpt-1"), "--infer_dir",
                      exports[precision], "--infer_precision", precision)
        assert "Exported step 1" in out.stdout
    assert json.load(open(os.path.join(exports["bfloat16"], "wavegan.json")))["precision"] == "bfloat16"
    z = tf.constant(np.random.default_rng(0).uniform(-1, 1, (2, 100)).astype(np.float32))
    expected, out = (tf.saved_model.load(exports[p]).signatures["serving_default"](z=z)["G_z"].numpy()
                     for p in ("float32", "bfloat16"))
    error = out - expected
    assert out.dtype == np.float32 and 10 * np.log10(np.sum(expected ** 2) / np.sum(error ** 2)) > 30


def read_wavs(folder):
    paths = sorted(glob.glob(os.path.join(folder, "*.wav")))
    return paths, [soundfile.read(p, dtype="int16", always_2d=True) for p in paths]


@pytest.mark.slow
def test_generate_writes_reproducible_wavs_in_batches(run_dir, tmp_path):
    a, b, c = (os.path.join(tmp_path, x) for x in "abc")
    wavegan("generate", run_dir, "--generate_n", "7", "--generate_batch_size", "3", "--generate_seed", "5",
            "--generate_dir", a)
    wavegan("generate", run_dir, "--generate_n", "7", "--generate_batch_size", "7", "--generate_seed", "5",
            "--generate_dir", b, "--generate_from", os.path.join(run_dir, "infer", "saved_model"))
    wavegan("generate", run_dir, "--generate_n", "7", "--generate_seed", "6", "--generate_dir", c)
    paths, clips = read_wavs(a)
    assert [os.path.basename(p) for p in paths] == [f"{i:05d}.wav" for i in range(7)]
    for audio, rate in clips:
        assert rate == RATE and audio.shape == (SLICE, 1) and audio.dtype == np.int16
        assert soundfile.info(paths[0]).subtype == "PCM_16"
    same_seed_other_source = [x[0] for x in read_wavs(b)[1]]
    # Same latents, other batch size and source: equal up to one int16 step (float rounding differs by batch).
    np.testing.assert_allclose(np.stack([x[0] for x in clips]), np.stack(same_seed_other_source), atol=1, rtol=0)
    other_seed = np.stack([x[0] for x in read_wavs(c)[1]])
    assert not np.array_equal(np.stack([x[0] for x in clips]), other_seed)
    np.testing.assert_array_equal(np.load(os.path.join(a, "z.npy")), np.load(os.path.join(b, "z.npy")))


@pytest.mark.slow
def test_generate_interpolates_between_saved_latents(run_dir, tmp_path):
    first, interp = os.path.join(tmp_path, "first"), os.path.join(tmp_path, "interp")
    wavegan("generate", run_dir, "--generate_n", "4", "--generate_dir", first)
    wavegan("generate", run_dir, "--generate_n", "5", "--generate_dir", interp,
            "--generate_interp", os.path.join(first, "z.npy"), "--generate_interp_rows", "1,3")
    z, saved = np.load(os.path.join(interp, "z.npy")), np.load(os.path.join(first, "z.npy"))
    np.testing.assert_allclose(z[0], saved[1])
    np.testing.assert_allclose(z[-1], saved[3])
    np.testing.assert_allclose(z[2], (saved[1] + saved[3]) / 2, rtol=1e-6)
    # The ends sound like the clips those latents made.
    ends = read_wavs(interp)[1]
    starts = read_wavs(first)[1]
    np.testing.assert_allclose(ends[0][0], starts[1][0], atol=1, rtol=0)  # batch-size rounding, as above
    np.testing.assert_allclose(ends[-1][0], starts[3][0], atol=1, rtol=0)


@pytest.mark.slow
def test_preview_writes_fixed_latent_previews(run_dir):
    out = wavegan("preview", run_dir, "--preview_once", "--preview_n", "4")
    preview = os.path.join(run_dir, "preview")
    audio, rate = soundfile.read(os.path.join(preview, "00000002.wav"), dtype="int16", always_2d=True)
    assert rate == RATE and audio.shape == (4 * (SLICE + RATE // 2), 1)
    for i in range(4):  # half a second of silence after every clip
        assert np.all(audio[i * (SLICE + 8000) + SLICE:(i + 1) * (SLICE + 8000)] == 0)
    z = np.load(os.path.join(preview, "z.npy"))
    assert z.shape == (4, 100) and "00000002.wav" in out.stdout
    png = tf.io.decode_png(open(os.path.join(preview, "00000002_ppfilt.png"), "rb").read())
    assert png.shape[2] == 3 and png.shape[0] > 100
    tags = event_tags(preview)
    assert tags["preview"] == {"audio"} and tags["pp_filt"] == {"images"}
    before = open(os.path.join(preview, "00000002.wav"), "rb").read()
    wavegan("preview", run_dir, "--preview_once", "--preview_n", "4")  # same latents → same file
    np.testing.assert_array_equal(np.load(os.path.join(preview, "z.npy")), z)
    assert open(os.path.join(preview, "00000002.wav"), "rb").read() == before


@pytest.mark.slow
def test_modes_before_training_say_so(tmp_path):
    for mode in ("preview", "infer", "generate"):
        proc = wavegan(mode, str(tmp_path), check=False)
        assert proc.returncode == 2 and "train" in proc.stderr and "Traceback" not in proc.stderr


# ---------------------------------------------------------------------------------------------- backup


@pytest.mark.slow
def test_backup_script_on_a_real_run(run_dir, tmp_path):
    proc = helpers.run_script("backup.py", os.path.join(tmp_path, "missing"), "60", check=False)
    assert proc.returncode == 2 and "does not exist" in proc.stderr and "Traceback" not in proc.stderr
    proc = helpers.run_script("backup.py", run_dir, "60", "--once")
    assert "model.ckpt-2.index" in proc.stdout
    backup_dir = os.path.join(run_dir, "backup")
    # The backup folder is a usable train dir: generate from it.
    out = os.path.join(tmp_path, "from_backup")
    wavegan("generate", backup_dir, "--generate_n", "2", "--generate_dir", out)
    assert len(read_wavs(out)[0]) == 2


# ------------------------------------------------------------------------------------------ crash safety


def start_training(train_dir):
    cmd = [sys.executable, os.path.join(helpers.REPO, "train_wavegan.py"), "train", train_dir, *TINY]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=helpers.script_env())


def wait_for(condition, timeout=120.0, interval=0.0005):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(interval)
    return False


@pytest.mark.slow
def test_sigkill_at_any_moment_resumes_from_the_newest_complete_checkpoint(tmp_path):
    """Checkpoint, export and summary every step; SIGKILL inside each of them and at random moments."""
    train_dir = str(tmp_path)
    rng = random.Random(0)
    kill_points = {
        "checkpoint write": lambda: glob.glob(os.path.join(train_dir, "model.ckpt-*_temp*")),
        "export write": lambda: os.path.exists(os.path.join(train_dir, "infer", "saved_model.staging")),
        "random moment": lambda: time.sleep(rng.uniform(0.0, 1.5)) or True,
    }
    report = []
    for name, at_kill_point in kill_points.items():
        before = newest_step(train_dir)
        proc = start_training(train_dir)
        # Arm only once this run has saved a checkpoint of its own, so the kill has something to lose.
        assert wait_for(lambda before=before: newest_step(train_dir) > before)
        caught = wait_for(at_kill_point)
        proc.send_signal(signal.SIGKILL)
        output = proc.communicate()[0]
        step = newest_step(train_dir)
        resumed = [line for line in output.splitlines() if line.startswith("Resumed from")]
        report.append((name, caught, before, resumed, step))
        assert caught, f"never saw a {name}"
        assert resumed == ([] if before == 0 else [f"Resumed from {train_dir}/model.ckpt-{before} at step {before}"])
        # The newest named checkpoint is whole: its files read back with the step in the optimiser.
        reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(train_dir))
        names = reader.get_variable_to_shape_map()
        assert [reader.get_tensor(n) for n in names if n.startswith("g_optimizer/") and "iteration" in n] == [step]
    final = wavegan("train", train_dir, "--train_max_steps", str(step + 2), *TINY)
    print("\n".join(f"killed during {n} (seen: {c}); that run had resumed at {b}; newest complete after kill: {s}"
                    for n, c, b, _, s in report))
    assert f"Resumed from {train_dir}/model.ckpt-{step} at step {step}" in final.stdout
    assert newest_step(train_dir) == step + 2
    assert not glob.glob(os.path.join(train_dir, "*_temp*"))
    assert json.load(open(os.path.join(train_dir, "infer", "saved_model", "wavegan.json")))["step"] == step + 2
    assert not os.path.exists(os.path.join(train_dir, "infer", "saved_model.staging"))


@pytest.mark.slow
def test_sigterm_stops_after_the_current_step_and_saves_it(tmp_path):
    """A scheduler's SIGTERM (or `timeout`, or Ctrl-C) with no checkpoint due: the step reached is saved."""
    train_dir = str(tmp_path)
    cmd = [sys.executable, os.path.join(helpers.REPO, "train_wavegan.py"), "train", train_dir, *TINY,
           "--train_save_secs", "3600", "--train_summary_secs", "3600"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=helpers.script_env())
    lines = []
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("step "):  # the first progress line: training runs, nothing saved yet
            break
    assert newest_step(train_dir) == 0
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=120)
    lines += rest.splitlines()
    assert proc.returncode == 0, "\n".join(lines)
    assert any(line.startswith("SIGTERM received") for line in lines)
    last_reported = int([line for line in lines if line.startswith("step ")][-1].split()[1])
    assert newest_step(train_dir) == last_reported >= 1
    assert json.load(open(os.path.join(train_dir, "infer", "saved_model", "wavegan.json")))["step"] == last_reported


@pytest.mark.slow
def test_incept_mode_writes_summaries_and_keeps_the_best_generator(digit_classifier, tmp_path):
    train_dir = str(tmp_path / "run")
    helpers.run_script("train_wavegan.py", "train", train_dir, "--train_max_steps", "1", *TINY)
    out = helpers.run_script("train_wavegan.py", "incept", train_dir, "--incept_ckpt_fp", digit_classifier[0],
                             "--incept_n", "50", "--incept_k", "5", "--incept_once")
    assert "step 1: Inception score" in out.stdout
    incept_dir = os.path.join(train_dir, "incept")
    # top_class_share is the one-class collapse signal the validation watch reads (docs/validation.md)
    assert event_tags(incept_dir) == {"incept_mean": {"scalars"}, "incept_std": {"scalars"},
                                      "top_class_share": {"scalars"}}
    best = json.load(open(os.path.join(incept_dir, "best.json")))
    assert best["step"] == 1 and best["incept_mean"] >= 1.0
    assert os.path.exists(os.path.join(incept_dir, "best_score-1.index"))
    gen = str(tmp_path / "from_best")
    helpers.run_script("train_wavegan.py", "generate", train_dir, "--generate_from",
                       os.path.join(incept_dir, "best_score-1"), "--generate_n", "2", "--generate_dir", gen)
    assert len(glob.glob(os.path.join(gen, "*.wav"))) == 2
