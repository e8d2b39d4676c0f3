"""The clips bench/gpu_kit.py brought back → one folder of 16-bit WAVs per checkpoint, for eval.score.

    python bench/gpu_kit_unpack.py /work/.device/<call>/ [more folders…] --out runs/gpu_kit

Each folder is what one device-tool call brought back (clips_*.npz and figures.json). A checkpoint's
clips are written as runs/gpu_kit/step_<step>/<latent index>.wav, the same latent index naming the same
latent at every step (a label-conditional model's as <class>_<latent index>.wav, the class it was asked
for: `eval.score --asked_from_names` scores the accuracy); each figures.json is copied as figures_<last step>.json. Then, for instance:

    python -m eval.score --classifier eval/digits_classifier.keras --audio_dir runs/gpu_kit/step_00012345 \\
        --real_dir data/digits_gpu/train --json runs/gpu_kit/scores.json
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import sys
import wave

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gpu_kit  # noqa: E402

from wavegan.errors import UserError  # noqa: E402


def write_wav(path: str, clip: np.ndarray, sample_rate: int = gpu_kit.SAMPLE_RATE) -> None:
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(np.asarray(clip, "<i2").tobytes())


def unpack(folders: list[str], out_dir: str) -> dict[int, int]:
    """Writes every step's clips as WAVs under out_dir; returns {step: clips}."""
    packs = sorted(p for folder in folders for p in glob.glob(os.path.join(folder, "clips_*.npz")))
    if not packs:
        raise UserError(f"No clips_*.npz in {', '.join(folders)}: pass the folders the device tool's calls returned.")
    counts = {}
    asked = gpu_kit.read_clip_classes(packs)  # a conditional model's: the file name starts with the class
    for step, clips in sorted(gpu_kit.read_clip_packs(packs).items()):
        folder = os.path.join(out_dir, f"step_{step:08d}")
        os.makedirs(folder, exist_ok=True)
        for index, clip in sorted(clips.items()):
            prefix = f"{asked[index]}_" if index in asked else ""
            write_wav(os.path.join(folder, f"{prefix}{index:05d}.wav"), clip)
        counts[step] = len(clips)
    for folder in folders:
        figures = os.path.join(folder, gpu_kit.FIGURES)
        if os.path.exists(figures):
            with open(figures) as f:
                step_end = json.load(f).get("train", {}).get("step_end", 0)
            shutil.copyfile(figures, os.path.join(out_dir, f"figures_{step_end:08d}.json"))
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", help="folders holding clips_*.npz (the device tool's files_at)")
    parser.add_argument("--out", default=os.path.join(gpu_kit.REPO, "runs", "gpu_kit"))
    args = parser.parse_args()
    try:
        counts = unpack(args.folders, args.out)
    except UserError as e:
        print(f"gpu_kit_unpack: {e}", file=sys.stderr)
        return 2
    for step, n in counts.items():
        print(f"step {step}: {n} clips in {os.path.join(args.out, f'step_{step:08d}')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
