"""Train dirs written by the code before the library was split into layers (tests/fixtures/legacy_runs,
made by commit 350221a) still load, generate and resume."""

import os
import shutil

import numpy as np
import pytest
import tensorflow as tf

from tests import helpers
from wavegan import config
from wavegan.train import checkpoints

FIXTURES = os.path.join(helpers.REPO, "tests", "fixtures", "legacy_runs")
DRUMS = os.path.join(helpers.REPO, "data", "drums")


@pytest.fixture
def legacy(tmp_path):
    def copy(name: str) -> str:
        return shutil.copytree(os.path.join(FIXTURES, name), str(tmp_path / name))

    return copy


def stored(prefix: str, key: str) -> np.ndarray:
    """A variable's value as the old code wrote it, read straight from the checkpoint file."""
    reader = tf.train.load_checkpoint(prefix)
    names = [n for n in reader.get_variable_to_shape_map() if n.startswith(key) and "OPTIMIZER_SLOT" not in n]
    assert len(names) == 1, names
    return reader.get_tensor(names[0])


def test_a_legacy_wavegan_run_rebuilds_its_generator_from_the_registry(legacy):
    train_dir = legacy("wavegan")
    kind = config.kind_of_run(train_dir)
    generator, run, step = checkpoints.load_generator(train_dir, kind.gan(train_dir).build_generator)
    assert (kind.name, step, run.model.dim, run.model.latent_dim) == ("wavegan", 2, 2, 8)
    kernel = next(v for v in generator.variables if v.path == "G/z_project/kernel")
    np.testing.assert_array_equal(kernel.numpy(), stored(os.path.join(train_dir, "model.ckpt-2"),
                                                         "generator/G.Sz_project.Skernel"))


def test_a_legacy_wavenet_run_rebuilds_its_model_from_the_registry(legacy):
    train_dir = legacy("wavenet")
    kind = config.kind_of_run(train_dir)
    from wavenet import run as wavenet_run

    model, run, step, path = checkpoints.load_model(train_dir, wavenet_run.build_model, kind.name)
    assert (kind.name, step, run.model.dilations) == ("wavenet", 2, [1, 2, 4, 8])
    assert os.path.basename(path) == "model.ckpt-2"


@pytest.mark.slow
def test_a_legacy_wavegan_run_resumes_generates_and_exports(legacy):
    train_dir = legacy("wavegan")
    args = ["--data_dir", DRUMS, "--data_first_slice", "--wavegan_dim", "2", "--wavegan_latent_dim", "8", "--train_batch_size", "2",
            "--wavegan_disc_nupdates", "2", "--train_save_secs", "0", "--train_summary_secs", "0"]
    out = helpers.run_script("train_wavegan.py", "train", train_dir, "--train_max_steps", "3", *args)
    assert "Resumed from" in out.stdout and "model.ckpt-2 at step 2" in out.stdout
    assert os.path.exists(os.path.join(train_dir, "model.ckpt-3.index"))
    helpers.run_script("train_wavegan.py", "generate", train_dir, "--generate_n", "2")
    assert len(os.listdir(os.path.join(train_dir, "generated"))) >= 2


@pytest.mark.slow
def test_a_legacy_wavenet_run_resumes_and_generates(legacy, tmp_path):
    train_dir = legacy("wavenet")
    args = ["--data_dir", DRUMS, "--wavenet_params", os.path.join(FIXTURES, "wavenet_params.json"),
            "--wavenet_sample_size", "1000", "--train_save_secs", "0"]
    out = helpers.run_script("train_wavenet.py", "train", train_dir, "--train_max_steps", "3", *args)
    assert "Resumed from" in out.stdout and "model.ckpt-2 at step 2" in out.stdout
    helpers.run_script("train_wavenet.py", "generate", train_dir, "--generate_n", "1", "--generate_samples", "50",
                       "--generate_dir", str(tmp_path / "gen"))
    assert len(os.listdir(tmp_path / "gen")) == 1
