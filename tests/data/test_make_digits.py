"""data/make_digits.py: the spoken-digit corpus is SC09-like and its splits have no speaker in common."""

import glob
import os
import re

import pytest
import soundfile


@pytest.mark.slow
def test_corpus_is_sc09_like_and_speaker_disjoint(digit_corpus):
    speakers = {}
    for split in ("train", "valid", "test"):
        paths = glob.glob(os.path.join(digit_corpus, split, "*.wav"))
        assert paths
        labels = {os.path.basename(p).split("_")[0] for p in paths}
        assert labels == {"Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine"}
        for path in paths[:20]:
            info = soundfile.info(path)
            assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16") and 0 < info.frames <= 16000
        speakers[split] = {re.match(r"[A-Za-z]+_(.+)-s\d+-p\d+-\d+\.wav", os.path.basename(p)).group(1) for p in paths}
    assert not speakers["train"] & speakers["test"] and not speakers["train"] & speakers["valid"]
