"""Writes the paper's Table 2 (Inception score, |D|self, |D|train; plus Fréchet distance) for every row of
the spoken-digit protocol into docs/results.md, between the table2 markers, from eval/digits_protocol.sh's
output folder:

    python -m eval.table2 --runs runs/digits --minutes 25 --results docs/results.md
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

ROWS = [("real train", "real", "data/digits/train"), ("real test", "real", "data/digits/test"),
        ("WaveNet", "run", "wavenet"), ("frame GRU (the paper: SampleRNN)", "run", "framernn"),
        ("WaveGAN, phase shuffle 0", "run", "wavegan_ps0"), ("WaveGAN, phase shuffle 2", "run", "wavegan_ps2"),
        ("SpecGAN", "run", "specgan")]
# The paper's Table 2 (SC09), Inception scores; its |D| values use another feature scale.
PAPER_IS = {"real train": "9.18 ± 0.04", "real test": "8.01 ± 0.24", "WaveNet": "1.59 ± 0.06",
            "frame GRU (the paper: SampleRNN)": "1.71 ± 0.01 (SampleRNN)", "WaveGAN, phase shuffle 0": "4.12 ± 0.03",
            "WaveGAN, phase shuffle 2": "4.67 ± 0.01", "SpecGAN": "6.03 ± 0.04"}
START, END = "<!-- table2:start -->", "<!-- table2:end -->"


def latest_step(run_dir: str) -> str:
    try:
        with open(os.path.join(run_dir, "checkpoint")) as f:
            match = re.search(r"model\.ckpt-(\d+)", f.readline())
        return match.group(1) if match else "?"
    except OSError:
        return "-"


def parameters(log_path: str) -> str:
    """The total(s) the train mode printed ("Total params: N"), G first for the GANs."""
    try:
        with open(log_path) as f:
            totals = re.findall(r"Total params: ([\d,]+)", f.read())
    except OSError:
        return "-"
    return " + ".join(dict.fromkeys(totals)) or "-"


def rows(runs: str) -> list[str]:
    real = {}
    real_path = os.path.join(runs, "real.scores.json")
    if os.path.exists(real_path):
        real = json.load(open(real_path))
    lines = ["| model | steps | parameters | n | Inception score | Fréchet distance | \\|D\\|self | \\|D\\|train "
             "| paper (SC09) Inception score |", "|---|---|---|---|---|---|---|---|---|"]
    for name, kind, key in ROWS:
        if kind == "real":
            score, steps, params = real.get(key), "", ""
        else:
            path = os.path.join(runs, f"{key}.scores.json")
            score = next(iter(json.load(open(path)).values())) if os.path.exists(path) else None
            steps = latest_step(os.path.join(runs, key))
            params = parameters(os.path.join(runs, f"{key}.train.log"))
        if score is None:
            lines.append(f"| {name} | {steps} | {params} | | not scored in time | | | | {PAPER_IS[name]} |")
            continue
        fd = f"{score['frechet_distance']:.1f}" if "frechet_distance" in score else ""
        dt = f"{score['d_train']:.2f}" if "d_train" in score else ""
        lines.append(f"| {name} | {steps} | {params} | {score['n']} | {score['inception_score']:.3f} ± "
                     f"{score['inception_std']:.3f} | {fd} | {score['d_self']:.2f} | {dt} | {PAPER_IS[name]} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default="runs/digits")
    parser.add_argument("--results", default="docs/results.md")
    parser.add_argument("--header", default="", help="text (budget, sizes, commands) placed above the table")
    args = parser.parse_args()
    block = "\n".join([START, args.header.strip(), "", *rows(args.runs), END])
    text = open(args.results).read() if os.path.exists(args.results) else "# Results\n"
    if START in text and END in text:
        text = text[:text.index(START)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n## Table 2: all four models on the spoken digits\n\n" + block + "\n"
    with open(args.results, "w") as f:
        f.write(text)
    print("\n".join(rows(args.runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
