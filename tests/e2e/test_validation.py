"""End to end: train_wavegan.py / train_wavenet.py / train_framernn.py with a validation split: the held-out
list, the scalars, the best checkpoint and its export, the split kept on resume."""

import json
import os

import pytest

from tests import audio_fixtures as fx
from tests import helpers
from tests.helpers import TINY, event_tags

pytestmark = pytest.mark.slow
SPLIT = ["--data_valid_fraction", "0.2", "--train_valid_secs", "0", "--train_valid_n", "8"]


def held_out(train_dir):
    return [line for line in open(os.path.join(train_dir, "valid_files.txt")).read().splitlines()
            if not line.startswith("#")]


def test_a_wavegan_run_with_held_out_data(tmp_path):
    train_dir = str(tmp_path / "train")
    first = helpers.run_script("train_wavegan.py", "train", train_dir, "--train_max_steps", "2", *TINY, *SPLIT)
    assert "Holding out 13 of 64 files" in first.stderr  # 20 % of the bundled drums, rounded half up
    assert "validation at step 2: frechet_distance" in first.stdout
    listed = held_out(train_dir)
    assert len(listed) == 13
    tags = event_tags(train_dir)
    for tag in ("valid/frechet_distance", "valid/D_x_valid", "valid/D_x_train", "valid/D_G_z", "valid/D_gap",
                "valid/artifact_share", "valid/spread"):
        assert tags.get(tag) == {"scalars"}, tags
    record = json.load(open(os.path.join(train_dir, "validation.json")))
    assert [e["step"] for e in record["evaluations"]] == [1, 2]
    assert os.path.exists(os.path.join(train_dir, "best", f"model.ckpt-{record['best']['step']}.index"))

    second = helpers.run_script("train_wavegan.py", "train", train_dir, "--train_max_steps", "3", *TINY, *SPLIT)
    assert "as recorded in" in second.stderr and held_out(train_dir) == listed
    changed = helpers.run_script("train_wavegan.py", "train", train_dir, "--train_max_steps", "4", *TINY,
                                 "--data_valid_fraction", "0.3", check=False)
    assert changed.returncode == 2 and "resume with the same split" in changed.stderr.strip().splitlines()[-1]

    exported = helpers.run_script("train_wavegan.py", "infer", train_dir, "--infer_ckpt", "best",
                                  "--infer_dir", str(tmp_path / "best_export"))
    best = json.load(open(os.path.join(train_dir, "validation.json")))["best"]["step"]
    assert f"Exported step {best} to" in exported.stdout
    generated = helpers.run_script("train_wavegan.py", "generate", train_dir, "--generate_from",
                                   os.path.join(train_dir, "best"), "--generate_n", "2",
                                   "--generate_dir", str(tmp_path / "gen"))
    assert f"(step {best})" in generated.stdout and len(os.listdir(tmp_path / "gen")) >= 2


def test_no_split_writes_nothing_new_and_validation_flags_alone_are_refused(tmp_path):
    train_dir = str(tmp_path / "plain")
    helpers.run_script("train_wavegan.py", "train", train_dir, "--train_max_steps", "1", *TINY)
    assert not {"valid_files.txt", "validation.json", "best"} & set(os.listdir(train_dir))
    refused = helpers.run_script("train_wavegan.py", "train", str(tmp_path / "x"), "--train_stop_patience", "3",
                                 check=False)
    assert refused.returncode == 2 and "needs held-out data" in refused.stderr


@pytest.fixture(scope="module")
def tones(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tones")
    for i, freq in enumerate([300, 500, 350, 550, 320, 520]):
        fx.write(str(folder / f"tone_{i}.wav"), fx.tone(0.5, 16000, freq, 0.6), 16000)
    return str(folder)


def test_the_baselines_log_their_held_out_loss_and_keep_their_best(tones, tmp_path):
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"filter_width": 2, "dilations": [1, 2, 4, 1, 2, 4], "residual_channels": 4,
                                  "dilation_channels": 4, "quantization_channels": 16, "skip_channels": 8,
                                  "use_biases": True}))
    common = ["--data_dir", tones, "--data_valid_fraction", "0.3", "--train_valid_secs", "0", "--train_max_steps", "2",
              "--train_save_secs", "0", "--train_summary_secs", "0", "--train_batch_size", "2"]
    runs = {"wavenet": ("train_wavenet.py", ["--wavenet_params", str(params), "--wavenet_sample_size", "1000"],
                        "nll_bits_per_sample"),
            "framernn": ("train_framernn.py", ["--framernn_frame_size", "64", "--framernn_seq_len", "7",
                                               "--framernn_units", "4"], "mse")}
    for name, (script, flags, metric) in runs.items():
        train_dir = str(tmp_path / name)
        proc = helpers.run_script(script, "train", train_dir, *common, *flags)
        assert f"validation at step 2: {metric}" in proc.stdout, proc.stdout
        assert event_tags(train_dir).get(f"valid/{metric}") == {"scalars"}
        assert len(held_out(train_dir)) == 2  # 0.3 × 6 files, rounded half up
        assert os.listdir(os.path.join(train_dir, "best"))
    first_bits = json.load(open(os.path.join(tmp_path, "wavenet", "validation.json")))["evaluations"][0]
    assert 3.0 < first_bits["nll_bits_per_sample"] < 6.0  # an untrained model: about log2(16) = 4 bits
