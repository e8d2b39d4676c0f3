"""Rebuilds the bundled demo corpus data/drums/ from Debian's hydrogen-drumkits package.

    apt-get install hydrogen-drumkits && python data/make_drums.py

Only kits under CC0 / CC-BY / CC-BY-SA are used (see data/drums/LICENSE.md). Each one-shot is mixed
to mono, resampled to 16 kHz, cut to at most 16384 samples and written as 16-bit PCM WAV.
"""

import argparse
import glob
import os

import numpy as np
import soundfile

from wavegan.audio.files import reconcile_channels, resample

KITS = "/usr/share/hydrogen/data/drumkits"
SOURCES = [  # (kit folder, glob, how many, licence)
    ("Audiophob", "*.wav", 14, "CC0-1.0"),
    ("circAfrique v4", "*.wav", 27, "CC-BY-SA-3.0"),
    ("rumpf_kit_z01_h2", "*.flac", 23, "CC-BY-3.0"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out_dir", default=os.path.join(os.path.dirname(__file__), "drums"))
    parser.add_argument("--sample_rate", type=int, default=16000)
    parser.add_argument("--max_len", type=int, default=16384)
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    for kit, pattern, count, licence in SOURCES:
        paths = sorted(glob.glob(os.path.join(KITS, kit, pattern)))
        # Spread the picks over the kit rather than taking its first files (rumpf lists many takes in a row).
        picks = [paths[i] for i in np.linspace(0, len(paths) - 1, min(count, len(paths))).astype(int)]
        for path in picks:
            audio, rate = soundfile.read(path, dtype="float32", always_2d=True)
            audio = resample(reconcile_channels(audio, 1), rate, args.sample_rate)[: args.max_len]
            name = f"{kit.split()[0].lower()}_{os.path.splitext(os.path.basename(path))[0]}"
            name = "".join(c if c.isalnum() or c in "-_" else "_" for c in name) + ".wav"
            soundfile.write(os.path.join(args.out_dir, name), np.clip(audio, -1, 1), args.sample_rate,
                            subtype="PCM_16")
            print(f"{licence:13s} {path} -> {name}")


if __name__ == "__main__":
    main()
