"""Label conditioning (issue 17): the unconditional models are untouched, the conditional ones add exactly
a class embedding with z (G) and a projection head (D), labels come from folders or name prefixes."""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from specgan.models import SpecGANDiscriminator, SpecGANGenerator
from tests.audio_fixtures import write
from wavegan.train import checkpoints
from wavegan.audio import pipeline as data
from wavegan.audio import labels
from wavegan.train import losses
from wavegan.train import step_tf as trainer_tf
from wavegan.audio.files import AudioFileInfo
from wavegan.config import DataConfig, RunConfig, TrainConfig, save_run_config
from wavegan.models.config import WaveGANConfig
from wavegan.errors import UserError
from wavegan.layers import LABEL_EMBED_DIM
from tests.model_fixtures import Z, built, tiny_pair
from wavegan.models import WaveGANDiscriminator, WaveGANGenerator
from wavegan.train.trainer import AdversarialTrainer


# --- labels off: the unconditional model, as before the change --------------------------------------


# --- labels on: shapes, parameters, projection --------------------------------------------------------


# --- labels of files ----------------------------------------------------------------------------------


# --- after training: the SavedModel, and the scripts end to end ----------------------------------------


def wavegan(*args, check=True):
    from tests import helpers

    return helpers.run_script("train_wavegan.py", *args, check=check)


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
    proc = wavegan("train", train_dir, *flags)
    assert "3 classes by prefix: 0 One (3 files), 1 Three (3 files), 2 Two (3 files)" in proc.stderr
    assert "unlabelled.wav" in proc.stderr and "match no class" in proc.stderr
    with open(os.path.join(train_dir, "config.json")) as f:
        assert json.load(f)["data"]["classes"] == ["One", "Three", "Two"]
    tags = helpers.event_tags(train_dir)
    assert {"G_z/One", "G_z/Three", "G_z/Two"} <= set(tags)

    out = str(tmp_path / "gen")
    wavegan("generate", train_dir, "--generate_n", "2", "--generate_label", "two,1", "--generate_dir", out)
    assert sorted(os.listdir(out)) == ["Three_00000.wav", "Three_00001.wav", "Three_z.npy",
                                       "Two_00000.wav", "Two_00001.wav", "Two_z.npy"]
    saved = os.path.join(train_dir, "infer", "saved_model")
    walk = str(tmp_path / "walk")
    wavegan("generate", train_dir, "--generate_from", saved, "--generate_n", "3", "--generate_dir", walk,
            "--generate_interp", os.path.join(out, "Two_z.npy"), "--generate_label", "One,Two")
    assert sorted(os.listdir(walk))[:3] == ["One_to_Two_00000.wav", "One_to_Two_00001.wav", "One_to_Two_00002.wav"]
    everything = str(tmp_path / "all")
    wavegan("generate", saved, "--generate_n", "1", "--generate_dir", everything)
    assert sorted(p for p in os.listdir(everything) if p.endswith(".wav")) == [
        "One_00000.wav", "Three_00000.wav", "Two_00000.wav"]
    bad = wavegan("generate", train_dir, "--generate_label", "Nine", check=False)
    assert bad.returncode == 2 and "'Nine' is not a class of this model" in bad.stderr

    wavegan("preview", train_dir, "--preview_once", "--preview_n", "3")
    assert sorted(p for p in os.listdir(os.path.join(train_dir, "preview")) if p.endswith(".wav")) == [
        "00000002_One.wav", "00000002_Three.wav", "00000002_Two.wav"]

    scores = str(tmp_path / "scores.json")
    helpers.run_script("-m eval.score", "--classifier", os.path.join(helpers.REPO, "eval", "digits_classifier.keras"),
                       "--model", train_dir, "--n", "30", "--k", "3", "--json", scores)
    with open(scores) as f:
        row = json.load(f)[train_dir]
    assert 0.0 <= row["accuracy"] <= 1.0 and row["n"] == 30

    write(str(corpus / "Four_0.wav"), np.zeros((8000, 1), np.float32) + 0.1, 16000)
    refused = wavegan("train", train_dir, *flags, check=False)
    assert refused.returncode == 2
    assert "was trained with 3 classes (One, Three, Two) but this run has 4 classes" in refused.stderr
