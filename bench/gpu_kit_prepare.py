"""Fills .gpu_kit/ for bench/gpu_kit.py: the spoken-digit corpus as one .npz, and Keras' wheels for the GPU machine.

    python bench/gpu_kit_prepare.py                 # data/digits_gpu (built with espeak-ng if absent) → .gpu_kit/

The corpus is the train split of data/make_digits.py's corpus, int16 and lossless (bench/gpu_kit.py:
pack_corpus), as many clips as fit in what the device tool carries (64 MiB: the repository's tracked
and untracked files, .gpu_kit included) less --margin_mib for the tree to grow. The wheels are the
packages Keras needs that the GPU machines lack (their image has JAX, NumPy, h5py, ml-dtypes, rich,
absl-py, packaging: /work/.library/device/KINDS.md), downloaded for their Python and platform.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import shutil
import subprocess
import sys
import wave

import numpy as np

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)
import gpu_kit  # noqa: E402  (also puts the repository on sys.path)

from wavegan.errors import UserError  # noqa: E402

# Keras as requirements.txt pins it, and what it needs that the GPU machines' image lacks.
KIT_WHEELS = ("keras==3.15.1", "namex==0.1.0", "optree==0.20.0")
GPU_PYTHON = "3.12"
GPU_PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64",
                 "manylinux1_x86_64")
TREE_LIMIT_MIB = 64


def download_wheels(wheel_dir: str, python_version: str = GPU_PYTHON, requirements=KIT_WHEELS) -> list[str]:
    """pip download for the GPU machine's Python and platform, into a folder holding nothing else."""
    shutil.rmtree(wheel_dir, ignore_errors=True)  # two versions of one package stop the install there
    os.makedirs(wheel_dir)
    platforms = [arg for p in GPU_PLATFORMS for arg in ("--platform", p)]
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                    "--python-version", python_version, "--implementation", "cp", *platforms, "-d", wheel_dir,
                    *requirements], check=True)
    return sorted(os.listdir(wheel_dir))


def tree_bytes(repo: str, exclude: str) -> int:
    """Bytes of what the device tool sends: tracked files and untracked ones git does not ignore."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=repo,
                            check=True, capture_output=True).stdout.decode().split("\0")
    total = 0
    for rel in filter(None, listed):
        path = os.path.join(repo, rel)
        if os.path.isfile(path) and not os.path.abspath(path).startswith(os.path.abspath(exclude) + os.sep):
            total += os.path.getsize(path)
    return total


def read_wav_int16(path: str) -> np.ndarray:
    with wave.open(path) as w:
        if (w.getframerate(), w.getnchannels(), w.getsampwidth()) != (gpu_kit.SAMPLE_RATE, 1, 2):
            raise UserError(f"{path} is not 16 kHz mono 16-bit WAV: rebuild the corpus with data/make_digits.py.")
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.int16)


def pack_within(paths: list[str], max_bytes: int, print_fn=print) -> tuple[dict, int]:
    """The corpus arrays of as many of `paths` (in order) as fit in max_bytes, and how many that is."""
    clips = [read_wav_int16(p) for p in paths]
    names = [os.path.basename(p) for p in paths]
    n = len(clips)
    while n > 0:
        arrays = gpu_kit.pack_corpus(clips[:n], names[:n])
        size = sum(a.nbytes for a in arrays.values()) + 4096
        if size <= max_bytes:
            return arrays, n
        smaller = int(n * max_bytes / size * 0.99)
        print_fn(f"{n} clips take {size / 2**20:.1f} MiB, over {max_bytes / 2**20:.1f} MiB: trying {smaller}")
        n = min(n - 1, smaller)
    raise UserError(f"Not one clip fits in {max_bytes / 2**20:.1f} MiB: lower --margin_mib or free space in the tree.")


def main() -> int:
    repo = gpu_kit.REPO
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kit", default=gpu_kit.KIT_DIR)
    parser.add_argument("--digits_dir", default=os.path.join(repo, "data", "digits_gpu"),
                        help="built with data/make_digits.py when it has no train/ yet")
    parser.add_argument("--per_digit", type=int, default=600, help="clips per digit over all splits, if building")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--margin_mib", type=float, default=8.0, help="left free for the tree to grow")
    parser.add_argument("--max_clips", type=int, default=None)
    parser.add_argument("--no_wheels", action="store_true", help="keep .gpu_kit/wheels as it is")
    parser.add_argument("--python_version", default=GPU_PYTHON, help="the GPU machine's Python (KINDS.md: 3.12)")
    args = parser.parse_args()
    try:
        train_dir = os.path.join(args.digits_dir, "train")
        if not os.path.isdir(train_dir):
            sys.path.insert(0, os.path.join(repo, "data"))
            import make_digits

            make_digits.build(args.digits_dir, args.per_digit, args.seed)
        os.makedirs(args.kit, exist_ok=True)
        wheel_dir = os.path.join(args.kit, gpu_kit.WHEELS_SUBDIR)
        if not args.no_wheels:
            download_wheels(wheel_dir, args.python_version)
        wheels = {w: os.path.getsize(os.path.join(wheel_dir, w)) for w in sorted(os.listdir(wheel_dir))} \
            if os.path.isdir(wheel_dir) else {}
        tree = tree_bytes(repo, args.kit)
        budget = int((TREE_LIMIT_MIB - args.margin_mib) * 2**20) - tree - sum(wheels.values())
        paths = sorted(glob.glob(os.path.join(train_dir, "*.wav")))
        if not paths:
            raise UserError(f"{train_dir} holds no WAVs: delete {args.digits_dir} and run again to rebuild it.")
        random.Random(0).shuffle(paths)  # a subset, when not all fit, is a random one
        arrays, n = pack_within(paths[:args.max_clips], budget)
        corpus = os.path.join(args.kit, gpu_kit.CORPUS_FILE)
        np.savez(corpus, **arrays)
        corpus_bytes = os.path.getsize(corpus)
        manifest = {"corpus": {"file": gpu_kit.CORPUS_FILE, "clips": n, "of": len(paths), "bytes": corpus_bytes,
                               "source": os.path.relpath(train_dir, repo), "encoding": gpu_kit.CORPUS_ENCODING,
                               "audio_seconds": float(arrays["lengths"].sum() / gpu_kit.SAMPLE_RATE)},
                    "wheels": wheels, "tree_bytes_without_kit": tree,
                    "total_bytes": tree + corpus_bytes + sum(wheels.values()),
                    "limit_bytes": TREE_LIMIT_MIB * 2**20}
        with open(os.path.join(args.kit, "MANIFEST.json"), "w") as f:
            json.dump(manifest, f, indent=1)
    except UserError as e:
        print(f"gpu_kit_prepare: {e}", file=sys.stderr)
        return 2
    print(f"corpus: {n} of {len(paths)} clips ({manifest['corpus']['audio_seconds'] / 60:.1f} min of audio), "
          f"{corpus_bytes / 2**20:.1f} MiB in {corpus}")
    for name, size in wheels.items():
        print(f"wheel: {name} {size / 2**20:.2f} MiB")
    print(f"travels: tree {tree / 2**20:.1f} MiB + kit {(corpus_bytes + sum(wheels.values())) / 2**20:.1f} MiB = "
          f"{manifest['total_bytes'] / 2**20:.1f} MiB of {TREE_LIMIT_MIB} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
