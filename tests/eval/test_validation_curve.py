"""eval/validation_curve.py: the figure of a run's validation distance against its Inception score."""

import json
import os

import pytest
import tensorflow as tf

from eval import validation_curve


def fake_run(folder, distances, scores):
    os.makedirs(os.path.join(folder, "incept"), exist_ok=True)
    evaluations = [{"step": step, "frechet_distance": value, "collapse": None} for step, value in distances]
    with open(os.path.join(folder, "validation.json"), "w") as f:
        json.dump({"metric": "frechet_distance", "evaluations": evaluations}, f)
    writer = tf.summary.create_file_writer(os.path.join(folder, "incept"))
    for step, value in scores:
        with writer.as_default(step=step):
            tf.summary.scalar("incept_mean", value)
    writer.close()
    return str(folder)


@pytest.mark.parametrize("best_score_step,agree", [(300, True), (100, False)])
def test_the_figure_and_whether_the_best_checkpoints_agree(tmp_path, capsys, best_score_step, agree):
    distances = [(90, 900.0), (210, 400.0), (290, 150.0), (410, 300.0)]
    scores = [(step, 3.0 if step == best_score_step else 1.5) for step in (100, 200, 300, 400)]
    run = fake_run(tmp_path / "run", distances, scores)
    out = str(tmp_path / "curve.png")
    assert validation_curve.main(["--run", run, "--out", out]) == 0
    assert os.path.getsize(out) > 1000
    summary = json.load(open(str(tmp_path / "curve.json")))
    assert summary["best_by_distance"]["step"] == 290 and summary["best_by_inception"]["step"] == best_score_step
    assert summary["best_by_distance"]["inception_score_nearest"]["step"] == 300  # 290 is nearest checkpoint 300
    assert summary["agree"] is agree
    assert ("agree" if agree else "differ") in capsys.readouterr().out
    rows = open(str(tmp_path / "curve.csv")).read().splitlines()
    assert rows[0] == "step,frechet_distance,inception_score" and len(rows) == 1 + 8


def test_a_run_without_held_out_data_is_one_sentence(tmp_path, capsys):
    assert validation_curve.main(["--run", str(tmp_path), "--out", str(tmp_path / "x.png")]) == 2
    assert "--data_valid_fraction" in capsys.readouterr().err
