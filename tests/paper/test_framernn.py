"""Pins of reference §B10 (the GRU next-frame generator of the blog post) on the project's model, data
functions, loss, optimiser and generation.

What the post states is pinned against it (§B10.1: two GRU layers, frames and sequences, next-frame MSE,
mini-batches of 128, the seed fed and then removed, the last frame of each prediction kept). What it
leaves open (§B10.2–§B10.3) is pinned against the reading docs/differences.md states (256 units in both
layers, a linear Dense head, Adam 1e-3 with norm clipping at 1, targets shifted by one frame), so that a
change of reading cannot pass unnoticed either. Expected values are literals; the GRU's equations are the
NumPy reference of tests/paper/baselines_reference.py.
"""

import dataclasses

import keras
import numpy as np
import pytest
import soundfile
import tensorflow as tf

from framernn import kind as framernn_kind
from framernn import run as framernn_run
from framernn.config import FrameRNNConfig
from framernn.data import make_dataset, sequence_config, to_frames
from framernn.models import FrameRNN
from tests import audio_fixtures as fx
from tests.paper import baselines_reference as ref
from tests.paper.script_flags import default_settings, script_defaults
from wavegan.audio import pipeline as data
from wavegan.config import DataConfig, RunConfig, TrainConfig


def randomised(frame_size=8, units=6, layers=2, seed=0) -> FrameRNN:
    """A small FrameRNN whose biases are far from zero, so every term of the GRU shows."""
    keras.utils.set_random_seed(seed)
    model = FrameRNN(frame_size, units, layers).build_for()
    rng = np.random.default_rng(seed)
    for v in model.trainable_variables:
        if "bias" in v.path:
            v.assign(rng.normal(0, 0.5, v.shape).astype(np.float32))
    return model


def reference_forward(model: FrameRNN, frames: np.ndarray) -> np.ndarray:
    """Stacked GRUs from zero states, then a linear Dense to one frame per step."""
    w = lambda v: np.asarray(v.numpy(), np.float64)
    x = frames.astype(np.float64)
    for gru in model.grus:
        cell = gru.cell
        x = ref.gru_layer(x, w(cell.kernel), w(cell.recurrent_kernel), w(cell.bias))
    return x @ w(model.out.kernel) + w(model.out.bias)


def count(model) -> int:
    return sum(int(np.prod(v.shape)) for v in model.trainable_variables)


# --- defaults (reference §B10.1; the readings of docs/differences.md) ---------------------------------------------

def test_flag_defaults():
    defaults = script_defaults("train_framernn.py")
    expected = {
        "framernn_frame_size": 800,    # a frame size the post tried (40 … 40000)
        "framernn_seq_len": 50,        # a sequence length it tried (50 … 10000)
        "framernn_units": 256,         # "(199, 256)" read as 256 in both layers
        "framernn_layers": 2,          # "2 layers"
        "train_batch_size": 128,       # "mini-batches of 128"
        "framernn_learning_rate": 1e-3, "framernn_clipnorm": 1.0,  # unspecified: Adam's default rate, clip at 1
        "generate_seed_frames": 2, "generate_samples": 16000, "generate_wav_seed": None,
        "data_normalize": True,        # unspecified: every file peak-normalised
    }
    for name, value in expected.items():
        assert defaults.get(name, "missing") == value, name


def test_a_run_with_no_flags_gets_the_stated_model(tmp_path):
    """The defaults through the kind's make_run and the train mode's build_model: two GRU layers of 256
    units returning every step, a linear Dense of 800, and the parameter count of those shapes."""
    run = framernn_kind.make_run(default_settings("train_framernn.py"), str(tmp_path / "run"))
    assert run.model == FrameRNNConfig(frame_size=800, seq_len=50, units=256, layers=2, learning_rate=1e-3,
                                       clipnorm=1.0)
    assert run.train.batch_size == 128 and run.data.normalize is True
    model = framernn_run.build_model(run)
    assert len(model.grus) == 2
    for gru in model.grus:
        assert (gru.units, gru.return_sequences, gru.cell.reset_after) == (256, True, True)
        assert (gru.cell.activation, gru.cell.recurrent_activation) == (keras.activations.tanh,
                                                                       keras.activations.sigmoid)
    assert (model.out.units, model.out.activation, model.out.use_bias) == (800, keras.activations.linear, True)
    # GRU: 3·(in·u + u·u + 2u) per layer; Dense: u·F + F.
    # 3·(800·256 + 256·256 + 512) + 3·(256·256 + 256·256 + 512) + (256·800 + 800) = 812,544 + 394,752 + 205,600
    assert count(model) == 1412896
    assert (FrameRNN().frame_size, FrameRNN().units, FrameRNN().num_layers) == (800, 256, 2)


# --- the model (reference §B10.1) -----------------------------------------------------------------------------

@pytest.mark.parametrize("layers", [2, 3])
def test_model_is_stacked_grus_and_a_linear_head(layers):
    model = randomised(layers=layers)
    frames = np.random.default_rng(1).normal(0, 0.5, (3, 5, 8)).astype(np.float32)
    got = np.asarray(model(frames))
    assert got.shape == (3, 5, 8) and len(model.grus) == layers
    np.testing.assert_allclose(got, reference_forward(model, frames), rtol=1e-4, atol=1e-5)


def test_output_step_i_sees_frames_up_to_i_only():
    """Next-step prediction: output i depends on input frames 0 … i, never on a later one."""
    model = randomised()
    frames = np.random.default_rng(2).normal(0, 0.5, (1, 6, 8)).astype(np.float32)
    base = np.asarray(model(frames))[0]
    changed = frames.copy()
    changed[0, 3] += 1.0
    differs = (np.asarray(model(changed))[0] != base).any(axis=1)
    assert differs.tolist() == [False, False, False, True, True, True]


# --- frames, sequences and the loss (reference §B10.1–§B10.2) ------------------------------------------------------

def test_sequence_and_frame_sizes():
    """A training window holds seq_len + 1 frames (seq_len inputs, each predicting the next); windows do not
    overlap: at the defaults 51 · 800 = 40,800 samples, one every 40,800."""
    assert FrameRNNConfig().window == 40800
    cfg = sequence_config(DataConfig(overlap_ratio=0.5), FrameRNNConfig())
    assert (cfg.slice_len, cfg.hop) == (40800, 40800)
    frames = np.asarray(to_frames(tf.constant(np.arange(2 * 12, dtype=np.float32).reshape(2, 12, 1)), 4))
    assert frames.shape == (2, 3, 4) and frames[1, 2].tolist() == [20, 21, 22, 23]  # consecutive samples


def test_pipeline_pairs_inputs_with_the_next_frame(tmp_path):
    """Input frames 0 … n−2 and target frames 1 … n−1 of consecutive samples of one file."""
    folder = tmp_path / "audio"
    fx.write(str(folder / "ramp.wav"), fx.ramp(3000), 16000)
    cfg = FrameRNNConfig(frame_size=10, seq_len=7)
    data_cfg = dataclasses.replace(DataConfig(data_dir=str(folder), normalize=False).resolved(), slice_len=cfg.window)
    files = data.prepare_files(data_cfg, 4)
    x, y = (np.asarray(t) for t in next(iter(make_dataset(files, data_cfg, cfg, 4))))
    assert x.shape == y.shape == (4, 7, 10)
    for window_x, window_y in zip(x, y):
        window = np.concatenate([window_x[:1], window_y]).ravel() * 32768  # the 80 samples of the window
        assert np.allclose(np.diff(window), 1)  # consecutive samples of the ramp, frame after frame
        np.testing.assert_array_equal(window_x[1:], window_y[:-1])


def test_loss_is_mean_squared_error_over_the_sequence():
    model = randomised()
    rng = np.random.default_rng(3)
    x, y = rng.normal(0, 0.5, (2, 4, 8)).astype(np.float32), rng.normal(0, 0.5, (2, 4, 8)).astype(np.float32)
    expected = float(np.mean((reference_forward(model, x) - y) ** 2))
    assert float(framernn_run.make_loss()(y, model(x))) == pytest.approx(expected, rel=1e-5)
    model.compile(optimizer=framernn_run.make_optimizer(FrameRNNConfig()), loss=framernn_run.make_loss(),
                  jit_compile=False)
    assert float(model.evaluate(x, y, verbose=0, batch_size=2)) == pytest.approx(expected, rel=1e-5)


def test_optimiser_is_adam_with_norm_clipping():
    """Adam, rate 1e-3, β 0.9/0.999, ε 1e-7, each gradient clipped to norm 1 (docs/differences.md); update by
    update against the formula, with gradients above and below the clip norm."""
    opt = framernn_run.make_optimizer(FrameRNNConfig())
    assert isinstance(opt, keras.optimizers.Adam) and not opt.amsgrad
    assert (float(opt.learning_rate), opt.beta_1, opt.beta_2, opt.epsilon) == (pytest.approx(1e-3), 0.9, 0.999, 1e-7)
    assert (opt.clipnorm, opt.global_clipnorm, opt.clipvalue) == (1.0, None, None)
    grads = [np.array([3.0, -4.0]), np.array([0.3, 0.4]), np.array([-6.0, 8.0])]  # norms 5, 0.5, 10
    clipped = [g / max(1.0, np.linalg.norm(g)) for g in grads]
    start = np.array([0.5, -0.25])
    v = keras.Variable(start.astype(np.float32))
    for g, expected in zip(grads, ref.tf1_adam(start, clipped, 1e-3, 0.9, 0.999, 1e-7)):
        opt.apply_gradients([(tf.constant(g, tf.float32), v)])
        np.testing.assert_allclose(v.numpy(), expected, rtol=1e-5)
    assert framernn_run.make_optimizer(FrameRNNConfig(clipnorm=0)).clipnorm is None  # 0: not clipped


# --- generation (reference §B10.1–§B10.2) -------------------------------------------------------------------------

def run_config(folder: str, frame_size: int = 8) -> RunConfig:
    return RunConfig("framernn", DataConfig(data_dir=folder, normalize=False), FrameRNNConfig(frame_size=frame_size),
                     TrainConfig())


def test_generation_continues_the_seed_and_cuts_it_off(tmp_path):
    """The seed frames (the start of --generate_wav_seed) go in, and are not in the output; the first output
    frame is the prediction after the last seed frame; each later frame is the last frame of the prediction
    fed the frames before it; the output is cut to the samples asked for."""
    model = randomised()
    seed_audio = np.random.default_rng(4).uniform(-0.5, 0.5, (200, 1)).astype(np.float32)
    path = fx.write(str(tmp_path / "seed.wav"), seed_audio, 16000)
    run = run_config(str(tmp_path))
    clips = framernn_run.generate_clips(model, run, n=2, samples=30, seed=0, seed_frame_count=3, wav_seed=path)
    assert clips.shape == (2, 30)
    seed = framernn_run.seed_frames(run, 1, 3, np.random.default_rng(0), wav_seed=path)
    stored = soundfile.read(path, dtype="float32")[0][:24]  # the file's first three frames, as 16-bit PCM stored them
    np.testing.assert_allclose(seed[0].ravel(), stored, atol=1e-7)
    # The reference loop: run the whole sequence so far, keep the last predicted frame (unclipped), append it.
    frames, new = seed[0], []
    for _ in range(4):  # ⌈30 / 8⌉ frames
        new.append(np.asarray(model(frames[None]))[0, -1])
        frames = np.concatenate([frames, new[-1][None]])
    np.testing.assert_allclose(clips[0, :8], np.clip(new[0], -1, 1), atol=1e-5)  # follows the last seed frame
    np.testing.assert_allclose(clips[0], np.clip(np.concatenate(new)[:30], -1, 1), atol=1e-5)
    np.testing.assert_allclose(clips[1], clips[0], atol=1e-6)  # the same seed file for every clip
    assert not np.isin(np.round(stored, 6), np.round(clips[0], 6)).any()  # no seed sample in the output


def test_generated_audio_is_clipped_to_plus_minus_one(tmp_path):
    model = randomised()
    model.out.bias.assign(np.linspace(-3, 3, 8).astype(np.float32))
    path = fx.write(str(tmp_path / "seed.wav"), np.full((100, 1), 0.25, np.float32), 16000)
    clips = framernn_run.generate_clips(model, run_config(str(tmp_path)), n=1, samples=16, wav_seed=path)
    assert clips.min() == -1.0 and clips.max() == 1.0


def test_without_a_wav_seed_each_clip_starts_from_a_training_file(tmp_path):
    """The post does not say where the seed comes from (§B10.3); here: the start of a random training file."""
    for i, level in enumerate((0.125, -0.25, 0.375)):
        fx.write(str(tmp_path / "data" / f"{i}.wav"), np.full((64, 1), level, np.float32), 16000)
    seeds = framernn_run.seed_frames(run_config(str(tmp_path / "data")), 12, 2, np.random.default_rng(0))
    assert seeds.shape == (12, 2, 8)
    levels = seeds[:, 0, 0]
    assert set(levels.tolist()) <= {0.125, -0.25, 0.375} and len(set(levels.tolist())) > 1
    assert all((s == s[0, 0]).all() for s in seeds)
