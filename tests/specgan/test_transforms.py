"""specgan.transforms: the log-magnitude transform, its moments, Griffin-Lim."""

import glob
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile
import tensorflow as tf

from specgan import transforms as T
from specgan.gan import adopt_moments
from tests import helpers
from tests.helpers import event_tags
from wavegan.errors import UserError

DRUMS = sorted(glob.glob(os.path.join(helpers.REPO, "data", "drums", "*.wav")))


def real_clips(n=8):
    clips = np.zeros((n, T.SLICE_LEN, 1), np.float32)
    for i, path in enumerate(DRUMS[:: len(DRUMS) // n][:n]):
        audio, _ = soundfile.read(path, dtype="float32")
        clips[i, :len(audio), 0] = audio / np.abs(audio).max()
    return clips


def test_log_magnitude_matches_a_numpy_stft():
    """256-sample periodic Hann frames every 128 samples, end-padded: 128 frames × 129 bins."""
    x = np.random.default_rng(0).normal(size=(1, T.SLICE_LEN, 1)).astype(np.float32)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(256) / 256)  # periodic Hann
    padded = np.concatenate([x[0, :, 0], np.zeros(128)])
    frames = np.stack([padded[i * 128:i * 128 + 256] * window for i in range(128)])
    expected = np.log(np.abs(np.fft.rfft(frames, axis=1)) + 1e-6)
    np.testing.assert_allclose(T.log_magnitude(x).numpy()[0], expected, atol=2e-4)


def test_moments_of_a_known_tone():
    """A tone on bin 32 (2 kHz) at amplitude A: |X| = A/2 · Σ window = 64·A in every full frame."""
    amplitude = 0.4
    tone = amplitude * np.sin(2 * np.pi * 2000 * np.arange(T.SLICE_LEN) / 16000)
    frames = T.log_magnitude(tone[None, :, None].astype(np.float32)).numpy()[:, :127]  # the last frame is padded
    moments = T.Moments.from_frames(np.array_split(frames.reshape(-1, T.N_BINS), 5))  # streamed in chunks
    assert moments.mean[32] == pytest.approx(np.log(64 * amplitude), abs=1e-3)
    assert moments.std[32] < 1e-3
    silence = T.Moments.from_frames([T.log_magnitude(np.zeros((2, T.SLICE_LEN, 1), np.float32)).numpy()])
    np.testing.assert_allclose(silence.mean, np.log(1e-6), rtol=1e-5)
    np.testing.assert_allclose(silence.std, 0, atol=1e-6)


def test_streamed_moments_equal_population_statistics():
    frames = np.random.default_rng(1).normal(3.0, 2.0, (1000, T.N_BINS))
    moments = T.Moments.from_frames(np.array_split(frames, 7))
    np.testing.assert_allclose(moments.mean, frames.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(moments.std, frames.std(axis=0), rtol=1e-5)


def test_transform_is_normalised_and_clipped():
    x = real_clips()
    moments = T.Moments.from_frames([T.log_magnitude(x).numpy()])
    spec = T.audio_to_spectrogram(x, moments.mean, moments.std).numpy()
    assert spec.shape == (8, 128, 128, 1) and spec.min() >= -1 and spec.max() <= 1
    assert abs(spec.mean()) < 0.1  # standardised per bin with these clips' own moments
    image = T.spectrogram_to_image(spec[:1]).numpy()[0, :, :, 0]
    assert image.dtype == np.uint8
    # Rotated: time runs left to right, frequency bottom (low) to top (high).
    np.testing.assert_array_equal(image[::-1, :].T, np.clip((spec[0, :, :, 0] + 1) * 128, 0, 255).astype(np.uint8))


def test_griffin_lim_reconstructs_real_audio():
    """Spectral convergence ‖|S| − |S'|‖ / ‖|S|‖ of Griffin-Lim audio on real drum hits."""
    x = real_clips()
    moments = T.Moments.from_frames([T.log_magnitude(x).numpy()])
    spec = T.audio_to_spectrogram(x, moments.mean, moments.std)

    def convergence(ngl):
        y = T.spectrogram_to_audio(spec, moments.mean, moments.std, ngl)
        assert y.shape == (8, T.SLICE_LEN, 1)
        target = tf.abs(tf.signal.stft(x[..., 0], 256, 128, pad_end=True))
        rebuilt = tf.abs(tf.signal.stft(y[..., 0], 256, 128, pad_end=True))
        return float(tf.norm(target - rebuilt) / tf.norm(target))

    zero_phase, sixteen = convergence(0), convergence(16)
    assert sixteen < 0.35 and sixteen < 0.5 * zero_phase


def test_missing_or_wrong_moments_name_the_moments_command(tmp_path):
    with pytest.raises(UserError, match="train_specgan.py moments"):
        T.Moments.load(os.path.join(tmp_path, "missing.npz"))
    bad = os.path.join(tmp_path, "bad.npz")
    np.savez(bad, mean=np.zeros(10), std=np.ones(10))
    with pytest.raises(UserError, match="moments"):
        T.Moments.load(bad)
    with pytest.raises(UserError, match="moments"):
        adopt_moments(str(tmp_path / "train"), None)


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
    proc = subprocess.run([sys.executable, "-c", "import sys; from wavegan.cli.flags import kind_for_train_dir; "
                           "print(kind_for_train_dir(sys.argv[1]).name)", train_dir],
                          capture_output=True, text=True, env=helpers.script_env(), cwd=helpers.REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "specgan"
