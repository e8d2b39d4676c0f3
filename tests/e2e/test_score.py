"""python -m eval.score: a table and JSON from folders, and clips generated from a train dir."""

import json
import os

import pytest

from tests import helpers
from tests.helpers import TINY

pytestmark = pytest.mark.slow


@pytest.mark.slow
def test_score_cli_prints_a_table_and_writes_json(digit_corpus, digit_classifier, tmp_path):
    out = str(tmp_path / "scores.json")
    proc = helpers.run_script("-m eval.score", "--classifier", digit_classifier[0],
                              "--audio_dir", os.path.join(digit_corpus, "test"),
                              "--real_dir", os.path.join(digit_corpus, "train"),
                              "--k", "5", "--json", out)
    assert "Inception score" in proc.stdout and "predicted labels" in proc.stdout
    (row,) = json.load(open(out)).values()
    assert {"inception_score", "inception_std", "frechet_distance", "d_self", "d_train", "label_histogram"} <= set(row)
    assert sum(row["label_histogram"].values()) == row["n"]


@pytest.mark.slow
def test_score_generates_from_a_model(digit_classifier, tmp_path):
    train_dir = str(tmp_path / "run")
    helpers.run_script("train_wavegan.py", "train", train_dir, "--train_max_steps", "1", *TINY)
    out = str(tmp_path / "model.json")
    proc = helpers.run_script("-m eval.score", "--classifier", digit_classifier[0], "--model", train_dir,
                              "--n", "20", "--k", "2", "--json", out)
    assert train_dir in proc.stdout
    assert json.load(open(out))[train_dir]["n"] == 20
