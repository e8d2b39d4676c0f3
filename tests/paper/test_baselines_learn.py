"""The baselines learn: each trains a tiny model, with the project's data functions, loss and optimiser, on a
signal it can learn, its loss falls by a stated factor, and what it generates has the signal's period; and
reference §B8's end-to-end criteria, in the variant that fits the fast tier.

Fixed seeds throughout; sizes are the smallest at which the criteria hold with a margin.
"""

import dataclasses

import keras
import numpy as np
import pytest
import soundfile
import tensorflow as tf

from framernn import run as framernn_run
from framernn.config import FrameRNNConfig
from framernn.data import make_dataset
from framernn.models import FrameRNN
from tests import audio_fixtures as fx
from tests.paper import baselines_reference as ref
from wavegan.audio import pipeline as data
from wavegan.config import DataConfig, RunConfig, TrainConfig
from wavenet import generation
from wavenet.config import WaveNetConfig
from wavenet.data import pieces, to_training_pair
from wavenet.models import WaveNet
from wavenet.run import make_loss, make_optimizer


# The last block's residual output feeds nothing (reference §B2.3): Keras says so at every compile.
NO_DENSE_GRADIENT = pytest.mark.filterwarnings("ignore:Gradients do not exist for variables")


def train_wavenet(model: WaveNet, cfg: WaveNetConfig, inputs, targets, steps: int) -> list[float]:
    model.compile(optimizer=make_optimizer(cfg), loss=make_loss(), jit_compile=False)
    return [float(model.train_on_batch(inputs, targets)) for _ in range(steps)]


def smallest_period(classes: np.ndarray, longest: int) -> int | None:
    """The smallest lag at which the sequence repeats exactly, if any up to `longest`."""
    return next((lag for lag in range(1, longest + 1) if np.array_equal(classes[lag:], classes[:-lag])), None)


@NO_DENSE_GRADIENT
def test_wavenet_learns_a_repeated_pattern_and_generates_its_period():
    """16 distinct loud μ-law classes repeated: a 5-layer WaveNet (RF 33) learns them from the pieces the train
    mode cuts (silence trim at 0.3 included) with Adam; its loss falls 1000-fold in 100 steps, and clips
    generated from silence and a random class settle into the pattern: period exactly 16."""
    q, period = 64, 16
    keras.utils.set_random_seed(0)
    model = WaveNet(dilations=[1, 2, 4, 8, 16], residual_channels=8, dilation_channels=8, skip_channels=16,
                    quantization_channels=q).build_for()
    rf = model.receptive_field
    pattern = np.random.default_rng(0).permutation(np.r_[0:8, 56:64])  # |decoded| > 0.3: kept by the trim
    audio = np.tile(ref.mulaw_decode(pattern, q), 256).astype(np.float32)
    cut = pieces(tf.constant(audio[:, None]), rf, 256, 0.3)
    inputs, targets = to_training_pair(cut, rf, q)
    assert inputs.shape[0] >= 14
    losses = train_wavenet(model, WaveNetConfig(learning_rate=1e-2), inputs, targets, 100)
    assert losses[0] > 3.5  # about ln 64 = 4.16 at the start
    assert losses[-1] < losses[0] / 1000, losses[::10]
    clips = generation.generate(model, 3, 200, temperature=1.0, seed=0)
    for clip in clips:
        tail = clip[100:]
        assert smallest_period(tail, 40) == period
        rotations = {tuple(np.roll(pattern, -k)) for k in range(period)}
        assert tuple(tail[:period]) in rotations  # the pattern itself, at some phase


@NO_DENSE_GRADIENT
def test_wavenet_end_to_end_criteria_of_reference_b8():
    """§B8's RMSProp variant: dilations [1…64]×2, R = Dc = 32, Q 256, S 256, no biases, batch 1; a 0.5 s chord
    of 155.56 + 196.00 + 233.08 Hz (each / 3) at 2 kHz, left-padded with RF − 1 zeros; RMSProp lr 1e-3.
    Initial loss > 0.1, final < 0.1, final / initial < 0.02; of 1000 samples generated from silence, the three
    tones carry more than 70 % of the power between 0 and 500 Hz (the power at the nearest FFT bin of each).
    150 iterations instead of the original's 400 (the fast tier): the criteria hold from about 60 on."""
    rate, tones = 2000, (155.56, 196.00, 233.08)
    keras.utils.set_random_seed(0)
    model = WaveNet(dilations=[1, 2, 4, 8, 16, 32, 64] * 2, residual_channels=32, dilation_channels=32,
                    skip_channels=256, quantization_channels=256, use_biases=False).build_for()
    rf = model.receptive_field
    assert rf == 256
    t = np.arange(rate // 2) / rate
    chord = sum(np.sin(2 * np.pi * f * t) for f in tones) / 3
    clip = np.pad(chord, (rf - 1, 0)).astype(np.float32)[None, :, None]
    inputs, targets = to_training_pair(tf.constant(clip), rf, 256)
    cfg = WaveNetConfig(optimizer="rmsprop", learning_rate=1e-3)
    losses = train_wavenet(model, cfg, inputs, targets, 150)
    assert losses[0] > 0.1 and losses[-1] < 0.1 and losses[-1] / losses[0] < 0.02, losses[::10]

    silence = np.full(rf, 128, np.int32)  # the original test's start: a receptive field of class 128
    waveform = ref.mulaw_decode(generation.generate(model, 1, 1000, 1.0, seed=0, wav_seed=silence)[0])
    power = np.abs(np.fft.fft(waveform)) ** 2
    freqs = np.fft.fftfreq(waveform.size, 1.0 / rate)
    band = (freqs >= 0) & (freqs <= 500)
    power, freqs = power[band], freqs[band]
    tone_power = sum(power[np.argmin(np.abs(freqs - f))] for f in tones)
    assert tone_power > 0.7 * power.sum()


def test_frame_gru_learns_a_sine_and_continues_it(tmp_path):
    """A 2-layer GRU of 32 units, frames of 16 and sequences of 15, trained through the train mode's pipeline,
    loss and optimiser (Adam, clip 1; rate 1e-2 here) on a sine of period 40 samples — which no frame
    boundary lines up with: its MSE falls 10-fold in 200 steps, and continuing two seed frames it follows
    the sine: the first frame is the one after the seed, and 160 generated samples have period 40."""
    period, size = 40, 16
    keras.utils.set_random_seed(0)
    sine = (0.5 * np.sin(2 * np.pi * np.arange(16000) / period)).astype(np.float32)[:, None]
    folder = str(tmp_path / "data")
    path = fx.write(folder + "/sine.wav", sine, 16000)
    cfg = FrameRNNConfig(frame_size=size, seq_len=15, units=32, layers=2, learning_rate=1e-2)
    data_cfg = dataclasses.replace(DataConfig(data_dir=folder, normalize=False).resolved(),
                                   slice_len=cfg.window)
    files = data.prepare_files(data_cfg, 8)
    dataset = make_dataset(files, data_cfg, cfg, 8)
    model = FrameRNN(size, cfg.units, cfg.layers).build_for()
    model.compile(optimizer=framernn_run.make_optimizer(cfg), loss=framernn_run.make_loss(), jit_compile=False)
    losses = []
    record = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: losses.append(logs["loss"]))
    model.fit(dataset, steps_per_epoch=200, epochs=1, verbose=0, callbacks=[record])
    assert losses[-1] < losses[0] / 10, losses[::20]

    run = RunConfig("framernn", DataConfig(data_dir=folder, normalize=False), cfg, TrainConfig())
    out = framernn_run.generate_clips(model, run, n=1, samples=160, seed_frame_count=2, wav_seed=path)[0]
    stored = soundfile.read(path, dtype="float32")[0]
    np.testing.assert_allclose(out[:size], stored[2 * size:3 * size], atol=0.05)  # not the seed again
    assert np.abs(out[:size] - stored[size:2 * size]).max() > 0.3
    spectrum = np.abs(np.fft.rfft(out - out.mean()))
    assert len(out) / np.argmax(spectrum) == period
    np.testing.assert_allclose(out, stored[2 * size:2 * size + 160], atol=0.1)
