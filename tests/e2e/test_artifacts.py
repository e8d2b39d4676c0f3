"""python -m eval.artifacts: an envelope made and folders scored."""

import os

import numpy as np
import pytest

from tests import helpers

pytestmark = pytest.mark.slow


@pytest.mark.slow
def test_cli_makes_an_envelope_and_scores_folders(tmp_path):
    out = str(tmp_path / "env.npy")
    helpers.run_script("-m eval.artifacts", "envelope", "--out", out, "--inits", "2", "--dim", "2")
    assert np.load(out).shape == (8193,)
    proc = helpers.run_script("-m eval.artifacts", "score", "--envelope", out, "--audio_dir",
                              os.path.join(helpers.REPO, "data", "drums"), "--n", "5")
    assert "artifact share" in proc.stdout and "Converted" in proc.stdout
