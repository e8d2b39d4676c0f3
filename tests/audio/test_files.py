"""wavegan.audio.files: every format decoded, resampled, its channels reconciled; files found, probed, skipped."""

import logging
import os

import numpy as np
import pytest
import tensorflow as tf

from tests import audio_fixtures as fx
from wavegan.audio import files as audio
from wavegan.errors import UserError

RATE = 16000


@pytest.mark.parametrize("ext,fmt,subtype,lossless", fx.FORMATS, ids=[f"{f[1]}-{f[2]}" for f in fx.FORMATS])
def test_every_format_decodes_to_the_written_signal(tmp_path, ext, fmt, subtype, lossless):
    signal = fx.tone(1.0, RATE)
    path = fx.write(os.path.join(tmp_path, f"tone.{ext}"), signal, RATE, fmt, subtype)
    decoded = audio.decode_audio(path, RATE, 1, normalize=False)
    assert decoded.dtype == np.float32 and decoded.shape[1] == 1
    if lossless:
        assert decoded.shape == signal.shape
        np.testing.assert_allclose(decoded, signal, atol=1.0 / 2 ** 15)
    else:
        # Lossy codecs add encoder delay and padding; the level must survive.
        assert abs(len(decoded) - len(signal)) < 0.2 * RATE
        assert np.sqrt(np.mean(decoded ** 2)) == pytest.approx(np.sqrt(np.mean(signal ** 2)), rel=0.05)


@pytest.mark.parametrize("file_rate", [8000, 22050, 44100, 48000])
def test_other_rates_are_resampled_keeping_pitch(tmp_path, file_rate):
    path = fx.write(os.path.join(tmp_path, "t.wav"), fx.tone(0.5, file_rate, freq=1000), file_rate, "WAV", "PCM_24")
    decoded = audio.decode_audio(path, RATE, 1, normalize=False)[:, 0]
    assert abs(len(decoded) - RATE // 2) <= 1
    peak_hz = np.argmax(np.abs(np.fft.rfft(decoded))) * RATE / len(decoded)
    assert peak_hz == pytest.approx(1000, abs=5)


def test_channels_reconciled_as_the_original(tmp_path):
    stereo = fx.write(os.path.join(tmp_path, "s.wav"), fx.tone(0.1, RATE, channels=2), RATE, "WAV", "FLOAT")
    mono = fx.write(os.path.join(tmp_path, "m.wav"), fx.tone(0.1, RATE), RATE, "WAV", "FLOAT")
    three = fx.write(os.path.join(tmp_path, "3.wav"), fx.tone(0.1, RATE, channels=3), RATE, "WAV", "FLOAT")
    source = fx.tone(0.1, RATE, channels=2)
    np.testing.assert_allclose(audio.decode_audio(stereo, RATE, 1, False)[:, 0], source.mean(axis=1), atol=1e-6)
    duplicated = audio.decode_audio(mono, RATE, 2, False)
    np.testing.assert_array_equal(duplicated[:, 0], duplicated[:, 1])
    with pytest.raises(audio.AudioDecodeError):
        audio.decode_audio(three, RATE, 2, False)


def test_normalize_toggles_peak_normalisation(tmp_path):
    path = fx.write(os.path.join(tmp_path, "quiet.wav"), fx.tone(0.2, RATE, amplitude=0.25), RATE)
    assert np.abs(audio.decode_audio(path, RATE, 1, normalize=True)).max() == pytest.approx(1.0)
    assert np.abs(audio.decode_audio(path, RATE, 1, normalize=False)).max() == pytest.approx(0.25, abs=1e-3)
    silent = fx.write(os.path.join(tmp_path, "silent.wav"), np.zeros((100, 1), np.float32), RATE)
    assert np.all(audio.decode_audio(silent, RATE, 1, normalize=True) == 0)


def test_find_is_recursive_sorted_and_filters_extensions(tmp_path):
    for rel in ["b.wav", "a/c.FLAC", "a/d.mp3", "notes.txt", ".hidden.wav", "z/e.ogg", "z/f.aiff"]:
        path = os.path.join(tmp_path, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "w").close()
    found = [os.path.relpath(p, tmp_path) for p in audio.find_audio_files(str(tmp_path))]
    assert found == ["b.wav", "a/c.FLAC", "a/d.mp3", "z/e.ogg", "z/f.aiff"]


def test_empty_or_missing_folder_is_one_clear_error(tmp_path):
    with pytest.raises(UserError, match="No audio files"):
        audio.find_audio_files(str(tmp_path))
    with pytest.raises(UserError, match="is not a folder"):
        audio.find_audio_files(os.path.join(tmp_path, "missing"))


def test_unreadable_files_are_skipped_with_one_warning_each(tmp_path, caplog):
    bad = fx.write_bad_files(os.path.join(tmp_path, "bad"))
    good = fx.write(os.path.join(tmp_path, "good.wav"), fx.tone(0.1, RATE), RATE)
    with caplog.at_level(logging.WARNING, logger="wavegan"):
        infos = audio.probe_audio_files(sorted(bad.values()) + [good])
    assert [i.path for i in infos] == [good]
    for path in bad.values():
        assert sum(path in r.getMessage() for r in caplog.records) == 1
    for path in bad.values():
        with pytest.raises(audio.AudioDecodeError):
            audio.decode_audio(path, RATE, 1, False)


def test_float_wav_with_nan_samples_is_rejected(tmp_path):
    signal = fx.tone(0.1, RATE)
    signal[10] = np.nan
    path = fx.write(os.path.join(tmp_path, "nan.wav"), signal, RATE, "WAV", "FLOAT")
    with pytest.raises(audio.AudioDecodeError, match="NaN"):
        audio.decode_audio(path, RATE, 1, normalize=True)


def test_probe_reports_header_facts(tmp_path):
    path = fx.write(os.path.join(tmp_path, "x.flac"), fx.tone(0.5, 44100, channels=2), 44100, "FLAC", "PCM_24")
    (info,) = audio.probe_audio_files([path])
    assert (info.frames, info.sample_rate, info.channels, info.format, info.subtype) == \
           (22050, 44100, 2, "FLAC", "PCM_24")
    assert info.frames_at(16000) == 8000


def test_decoder_backend_is_the_expected_one():
    """tensorflow-io only where its ops load (TF <= 2.17.1); CI sets WAVEGAN_EXPECT_TFIO=1 in that venv."""
    expect_tfio = os.environ.get("WAVEGAN_EXPECT_TFIO") == "1"
    assert audio.tfio_available() == expect_tfio, tf.__version__
    assert audio.audio_backend() == ("tfio" if expect_tfio else "soundfile")
