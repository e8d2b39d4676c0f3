"""Builds a spoken-digit corpus like SC09 with espeak-ng: `python data/make_digits.py --out_dir data/digits`.

"zero" … "nine" spoken by espeak-ng's English voices and voice variants at random speeds and pitches,
16 kHz mono 16-bit WAV, silence trimmed, at most 1 s, named `<Label>_<id>.wav` (as SC09's
`Seven_….wav`) in train/ valid/ test/. Splits are speaker-disjoint: every (voice, variant) pair,
the stand-in for a speaker, lands in one split only. Needs `apt-get install espeak-ng`.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import soundfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from wavegan.audio.files import resample  # noqa: E402

LABELS = ["Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine"]
VOICES = ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp", "en-gb-x-gbcwmd", "en-029"]
VARIANTS = ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5", "klatt", "klatt2"]
RATE, MAX_LEN = 16000, 16000


def speak(word: str, voice: str, speed: int, pitch: int, workdir: str) -> np.ndarray:
    path = os.path.join(workdir, "say.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", path, word],
                   check=True, capture_output=True)
    audio, rate = soundfile.read(path, dtype="float32", always_2d=True)
    return resample(audio, rate, RATE)[:, 0]


def trim(audio: np.ndarray, threshold: float = 0.02) -> np.ndarray:
    """Drops leading and trailing silence (below `threshold` of the peak), then keeps at most 1 s."""
    loud = np.flatnonzero(np.abs(audio) > threshold * np.abs(audio).max())
    return audio[loud[0]:loud[-1] + 1][:MAX_LEN] if len(loud) else audio[:MAX_LEN]


def speakers(seed: int) -> dict[str, list[tuple[str, str]]]:
    """(voice, variant) pairs split 80/10/10 into train/valid/test."""
    pairs = [(v, var) for v in VOICES for var in VARIANTS]
    random.Random(seed).shuffle(pairs)
    n_valid = n_test = max(1, len(pairs) // 10)
    return {"valid": pairs[:n_valid], "test": pairs[n_valid:n_valid + n_test], "train": pairs[n_valid + n_test:]}


def build(out_dir: str, per_digit: int, seed: int = 0, print_fn=print) -> dict[str, int]:
    """Writes `per_digit` clips of each digit, spread over the splits in proportion to their speakers."""
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is not installed: apt-get install espeak-ng")
    rng = random.Random(seed)
    split_speakers = speakers(seed)
    total = sum(len(s) for s in split_speakers.values())
    counts = {}
    with tempfile.TemporaryDirectory() as workdir:
        for split, pairs in split_speakers.items():
            folder = os.path.join(out_dir, split)
            os.makedirs(folder, exist_ok=True)
            n = max(1, round(per_digit * len(pairs) / total))
            for label in LABELS:
                for i in range(n):
                    voice, variant = pairs[rng.randrange(len(pairs))]
                    speed, pitch = rng.randint(110, 230), rng.randint(15, 85)
                    audio = trim(speak(label.lower(), f"{voice}+{variant}", speed, pitch, workdir))
                    name = f"{label}_{voice}-{variant}-s{speed}-p{pitch}-{i:04d}.wav"
                    soundfile.write(os.path.join(folder, name), audio, RATE, subtype="PCM_16")
            counts[split] = n * len(LABELS)
            print_fn(f"{split}: {counts[split]} clips from {len(pairs)} speakers in {folder}")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out_dir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "digits"))
    parser.add_argument("--per_digit", type=int, default=300, help="clips per digit over all splits")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    build(args.out_dir, args.per_digit, args.seed)


if __name__ == "__main__":
    main()
