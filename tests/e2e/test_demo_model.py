"""tools/make_demo_model.py: a train dir holding the generator alone serves every after-training mode and
refuses `train`; the shipped demo model (models/drums) is such a folder, small, and makes sound."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from tests.helpers import REPO, run_script
from wavegan.serve import web as web_export
from wavegan.train import checkpoints

pytestmark = pytest.mark.slow

DEMO = os.path.join(REPO, "models", "drums")


def _wavs(folder):
    return [sf.read(os.path.join(folder, f), dtype="int16")[0] for f in sorted(os.listdir(folder)) if f.endswith(".wav")]


def test_the_generator_alone_generates_what_the_full_run_generates(tmp_path):
    run = tmp_path / "run"
    run_script("train_wavegan.py", "train", str(run), "--wavegan_dim", "4", "--train_batch_size", "2",
               "--train_max_steps", "1")
    alone = tmp_path / "alone"
    subprocess.run([sys.executable, os.path.join(REPO, "tools", "make_demo_model.py"), str(run), str(alone)],
                   check=True, cwd=tmp_path)
    assert sorted(os.listdir(alone)) == ["checkpoint", "config.json", "model.ckpt-1.data-00000-of-00001",
                                         "model.ckpt-1.index"]
    full_bytes = sum(os.path.getsize(run / f) for f in os.listdir(run) if f.startswith("model.ckpt-1"))
    assert sum(os.path.getsize(alone / f) for f in os.listdir(alone)) < full_bytes / 2  # no D, no Adam slots
    for source in (run, alone):
        run_script("train_wavegan.py", "generate", str(source), "--generate_n", "3", "--generate_seed", "7",
                   "--generate_dir", str(tmp_path / f"gen_{source.name}"))
    for a, b in zip(_wavs(tmp_path / "gen_run"), _wavs(tmp_path / "gen_alone")):
        np.testing.assert_array_equal(a, b)
    refused = run_script("train_wavegan.py", "train", str(alone), "--wavegan_dim", "4", "--train_batch_size", "2",
                         "--train_max_steps", "2", check=False)
    assert refused.returncode == 2
    assert "train in a new folder" in refused.stderr
    assert "Traceback" not in refused.stderr


@pytest.mark.skipif(not os.path.isdir(DEMO), reason="no demo model in models/drums")
def test_the_demo_model_is_small_and_makes_sound(tmp_path):
    files = [os.path.join(DEMO, f) for f in os.listdir(DEMO)]
    assert sum(os.path.getsize(f) for f in files if os.path.isfile(f)) <= 10_500_000
    assert os.path.isfile(os.path.join(DEMO, "README.md"))
    run_script("train_wavegan.py", "generate", DEMO, "--generate_n", "4", "--generate_dir", str(tmp_path / "gen"))
    clips = _wavs(tmp_path / "gen")
    assert len(clips) == 4
    assert all(np.abs(c).max() > 3000 for c in clips)  # audible hits, not a near-silent generator


@pytest.mark.skipif(not os.path.isdir(DEMO), reason="no demo model in models/drums")
def test_the_demo_model_exports_for_the_browser_in_one_command(tmp_path):
    if web_export.runtime_missing():
        pytest.skip("needs onnxruntime-web: npm ci --prefix web (.ci/run runs it)")
    step = checkpoints.checkpoint_step(checkpoints.latest_checkpoint(DEMO))
    out = run_script("train_wavegan.py", "web", DEMO, "--web_dir", str(tmp_path / "web"))
    assert f"Exported step {step}" in out.stdout
    facts = json.load(open(tmp_path / "web" / "run.json"))
    assert (facts["step"], facts["sample_rate"], facts["slice_len"]) == (step, 16000, 16384)
    assert os.path.getsize(tmp_path / "web" / "generator.onnx") > 1_000_000  # the d = 16 generator's weights
