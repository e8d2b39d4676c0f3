"""Writes a train dir that holds only a WaveGAN run's generator: `python tools/make_demo_model.py TRAIN_DIR OUT_DIR`.

A training checkpoint carries both models and both optimisers' Adam slots (at d = 16 about 31 MB, at the
paper's size 438 MB); the after-training modes read only the generator's variables
(`wavegan.train.checkpoints.restore_generator`). OUT_DIR gets that generator as a checkpoint keyed the
same way (`model.ckpt-<step>`, with the `checkpoint` file naming it), and the run's `config.json` with
`data_dir` given relative to the repository when the run trained on the bundled corpus. `generate`,
`web`, `infer` and `preview` then take OUT_DIR as their train dir; `train` refuses to resume it. This is
how `models/drums` was made (its README.md says from which run).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from wavegan import config, paths  # noqa: E402
from wavegan.errors import UserError  # noqa: E402


def write_generator_only(train_dir: str, out_dir: str, checkpoint: str | None = None) -> str:
    """Writes OUT_DIR from TRAIN_DIR's newest (or the given) checkpoint; returns the new checkpoint prefix."""
    from wavegan.train import checkpoints

    kind = config.kind_of_run(train_dir)
    if kind.gan is None:
        raise UserError(f"{train_dir} holds a {kind.name} run; only a GAN's generator can be written alone.")
    generator, run, step = checkpoints.load_generator(train_dir, kind.gan(train_dir).build_generator, checkpoint)
    if os.path.exists(out_dir) and os.listdir(out_dir):
        raise UserError(f"{out_dir} is not empty: pass a new folder.")
    os.makedirs(out_dir, exist_ok=True)
    prefix = os.path.join(out_dir, f"{checkpoints.CHECKPOINT_NAME}-{step}")
    checkpoint = checkpoints.model_checkpoint(generator=generator)
    checkpoint.save_counter.assign(1)  # created on first use; the after-training modes expect to find it
    checkpoint.write(prefix)
    with open(os.path.join(out_dir, "checkpoint"), "w") as f:
        name = os.path.basename(prefix)
        f.write(f'model_checkpoint_path: "{name}"\nall_model_checkpoint_paths: "{name}"\n')
    with open(os.path.join(train_dir, config.CONFIG_FILE)) as f:
        settings = json.load(f)
    if os.path.abspath(settings["data"]["data_dir"]) == os.path.abspath(paths.DRUM_CORPUS):
        settings["data"]["data_dir"] = "data/drums"
    with open(os.path.join(out_dir, config.CONFIG_FILE), "w") as f:
        json.dump(settings, f, indent=2, sort_keys=True)
        f.write("\n")
    return prefix


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("train_dir")
    parser.add_argument("out_dir")
    parser.add_argument("--ckpt", help="checkpoint prefix (default: the newest in TRAIN_DIR)")
    args = parser.parse_args(argv)
    try:
        prefix = write_generator_only(args.train_dir, args.out_dir, args.ckpt)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    size = sum(os.path.getsize(os.path.join(args.out_dir, f)) for f in os.listdir(args.out_dir))
    print(f"wrote {prefix} ({size / 1e6:.1f} MB in {args.out_dir})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
