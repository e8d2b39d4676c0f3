"""tools/check_demo_model.py: the shape of a hit, on clips whose answer is known by construction."""

import os
import sys

import numpy as np

from tests.helpers import REPO

sys.path.insert(0, os.path.join(REPO, "tools"))

from check_demo_model import hit_shape, noise_bursts, silence_after_hit  # noqa: E402

RATE = 16000
N = 16384


def test_a_struck_tone_peaks_at_once_sounds_until_it_falls_30_db_and_has_its_pitch_as_centroid():
    t = np.arange(N) / RATE
    # 1 kHz falling 60 dB per second: 30 dB under the start after 0.5 s
    clip = np.sin(2 * np.pi * 1000 * t) * 10 ** (-3 * t)  # amplitude -60 dB/s: energy too
    shape = hit_shape(clip[None])
    assert shape["peak_s"][0] == 0.0
    assert abs(shape["sounding_s"][0] - 0.5) <= 0.016  # one 16 ms frame
    assert abs(shape["centroid_hz"][0] - 1000) < 5


def test_a_late_hit_peaks_late_and_silence_after_it_does_not_count():
    clip = np.zeros(N)
    clip[8000:8000 + 1600] = np.sin(2 * np.pi * 250 * np.arange(1600) / RATE)  # 0.1 s of 250 Hz at 0.5 s
    shape = hit_shape(clip[None])
    assert 0.48 <= shape["peak_s"][0] <= 0.6
    assert 0.592 <= shape["sounding_s"][0] <= 0.608  # ends within the frame holding sample 9600
    assert abs(shape["centroid_hz"][0] - 250) < 25


def test_steady_white_noise_sounds_throughout_with_its_centroid_at_a_quarter_of_the_rate():
    clip = np.random.default_rng(0).standard_normal(N)
    shape = hit_shape(clip[None])
    assert shape["sounding_s"][0] == 16384 / RATE
    assert abs(shape["centroid_hz"][0] - 4000) < 100


def test_silencing_after_a_hit_keeps_the_hit_and_zeroes_the_quiet_tail():
    t = np.arange(N) / RATE
    hit = np.where(t < 0.25, np.sin(2 * np.pi * 500 * t), 0.0)
    tail = np.where(t >= 0.25, 0.01 * np.random.default_rng(1).standard_normal(N), 0.0)  # 40 dB under the hit
    out = silence_after_hit((hit + tail)[None])[0]
    np.testing.assert_allclose(out[:4000], hit[:4000], atol=1e-6)  # the hit ends at sample 4000
    assert not out[4096:].any()  # the frame holding sample 4000 ends at 4096
    # a 20 dB tail is within 30 dB of the hit: kept
    kept = silence_after_hit((hit + 10 * tail)[None])[0]
    assert np.abs(kept[-1000:]).max() > 0.05


def test_noise_bursts_ring_as_long_as_the_durations_they_are_given():
    bursts = noise_bursts(np.array([0.1, 0.4]), 64, seed=0)
    sounding = hit_shape(bursts)["sounding_s"]
    assert set(np.round(sounding, 1)) <= {0.1, 0.4}
    assert abs(sounding - np.round(sounding, 1)).max() <= 0.016
