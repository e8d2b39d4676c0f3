"""One run's validation distance against its Inception score, and whether the best checkpoint by each agree.

    python -m eval.validation_curve --run runs/valid_digits --out docs/validation_curve.png

Reads what the run wrote while it trained with held-out data (`RUN/validation.json`: the Fréchet distance of
every evaluation, wavegan/train/validation.py) and what an `incept` follower wrote beside it (the
`incept_mean` summaries in `RUN/incept/`), draws both against generator iterations (the distance on a log
scale, left; the Inception score, right; each one's best marked), writes the numbers as CSV beside the
figure, and prints which step each picks as best and what the other says there.

The two are measured at different steps (the distance every --train_valid_secs, the score at every
checkpoint), so "the other at that step" is the other's evaluation nearest to it.
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import os
import sys

import numpy as np

from wavegan.errors import UserError


def read_distance(run_dir: str, metric: str = "frechet_distance") -> list[tuple[int, float]]:
    """(step, distance) of every validation evaluation, by step (a resumed run's repeated step: the last)."""
    path = os.path.join(run_dir, "validation.json")
    if not os.path.exists(path):
        raise UserError(f"{path} does not exist: train with --data_valid_fraction or --data_valid_dir first.")
    with open(path) as f:
        evaluations = json.load(f)["evaluations"]
    by_step = {int(e["step"]): float(e[metric]) for e in evaluations if metric in e}
    return sorted(by_step.items())


def read_inception(run_dir: str, tag: str = "incept_mean") -> list[tuple[int, float]]:
    """(step, Inception score) from the incept follower's event files in RUN/incept/."""
    import tensorflow as tf

    paths = sorted(glob.glob(os.path.join(run_dir, "incept", "events.out.tfevents.*")))
    if not paths:
        raise UserError(f"No incept summaries in {os.path.join(run_dir, 'incept')}: run "
                        "`train_wavegan.py incept RUN` beside training.")
    by_step = {}
    for path in paths:
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.tag == tag:
                    by_step[int(event.step)] = float(tf.make_ndarray(value.tensor))
    return sorted(by_step.items())


def nearest(curve: list[tuple[int, float]], step: int) -> tuple[int, float]:
    return min(curve, key=lambda point: (abs(point[0] - step), point[0]))


def compare(distance: list[tuple[int, float]], inception: list[tuple[int, float]]) -> dict:
    """The best step by each, the other's value nearest to it, and whether they pick the same checkpoint
    (the score's checkpoint nearest the distance's best is the score's best)."""
    by_distance = min(distance, key=lambda point: point[1])
    by_score = max(inception, key=lambda point: point[1])
    score_there = nearest(inception, by_distance[0])
    distance_there = nearest(distance, by_score[0])
    return {"best_by_distance": {"step": by_distance[0], "frechet_distance": by_distance[1],
                                 "inception_score_nearest": {"step": score_there[0], "value": score_there[1]}},
            "best_by_inception": {"step": by_score[0], "inception_score": by_score[1],
                                  "frechet_distance_nearest": {"step": distance_there[0], "value": distance_there[1]}},
            "agree": score_there[0] == by_score[0]}


def plot(distance: list[tuple[int, float]], inception: list[tuple[int, float]], summary: dict, out: str,
         title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, left = plt.subplots(figsize=(8, 4.5))
    steps, values = zip(*distance)
    left.plot(steps, values, "o-", color="tab:blue", markersize=3, label="Fréchet distance to held-out clips")
    left.set_yscale("log")
    left.set_xlabel("generator iterations")
    left.set_ylabel("Fréchet distance to held-out clips (log scale)", color="tab:blue")
    right = left.twinx()
    s_steps, s_values = zip(*inception)
    right.plot(s_steps, s_values, "s-", color="tab:red", markersize=3, label="Inception score")
    right.set_ylabel("Inception score (digit classifier)", color="tab:red")
    best_d, best_s = summary["best_by_distance"]["step"], summary["best_by_inception"]["step"]
    left.axvline(best_d, color="tab:blue", linestyle="--", linewidth=1, label=f"best by distance (step {best_d})")
    right.axvline(best_s, color="tab:red", linestyle=":", linewidth=1.5, label=f"best by Inception score (step {best_s})")
    handles = left.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    left.legend(handles, [h.get_label() for h in handles], loc="upper center", fontsize=8)
    left.set_title(title)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def write_csv(distance, inception, path: str) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["step", "frechet_distance", "inception_score"])
        d, s = dict(distance), dict(inception)
        for step in sorted(set(d) | set(s)):
            writer.writerow([step, d.get(step, ""), s.get(step, "")])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="train dir of a run with held-out data and an incept follower")
    parser.add_argument("--out", required=True, help="the figure (.png); the CSV and JSON go beside it")
    parser.add_argument("--title", default="WaveGAN on the spoken digits: validation distance and Inception score")
    args = parser.parse_args(argv)
    try:
        distance, inception = read_distance(args.run), read_inception(args.run)
        if not distance or not inception:
            raise UserError(f"{args.run} has {len(distance)} validation evaluations and {len(inception)} Inception "
                            "scores: both are needed.")
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    summary = compare(distance, inception)
    stem = os.path.splitext(args.out)[0]
    plot(distance, inception, summary, args.out, args.title)
    write_csv(distance, inception, stem + ".csv")
    with open(stem + ".json", "w") as f:
        json.dump(summary, f, indent=1)
    d, s = summary["best_by_distance"], summary["best_by_inception"]
    print(f"best by Fréchet distance: step {d['step']} ({d['frechet_distance']:.4g}); Inception score at the nearest "
          f"checkpoint (step {d['inception_score_nearest']['step']}): {d['inception_score_nearest']['value']:.3f}")
    print(f"best by Inception score: step {s['step']} ({s['inception_score']:.3f}); Fréchet distance at the nearest "
          f"evaluation (step {s['frechet_distance_nearest']['step']}): {s['frechet_distance_nearest']['value']:.4g}")
    print(f"correlation of the two over the score's checkpoints: {correlation(distance, inception):+.2f}; "
          f"the best checkpoints {'agree' if summary['agree'] else 'differ'}")
    print(f"wrote {args.out}, {stem}.csv, {stem}.json")
    return 0


def correlation(distance, inception) -> float:
    """Spearman's rank correlation of −distance (nearest evaluation) and the score, over the score's steps."""
    if len(inception) < 3:
        return float("nan")
    scores = np.array([v for _, v in inception])
    distances = np.array([nearest(distance, step)[1] for step, _ in inception])
    ranks = lambda x: np.argsort(np.argsort(x)).astype(float)  # noqa: E731
    a, b = ranks(-distances), ranks(scores)
    if a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


if __name__ == "__main__":
    sys.exit(main())
