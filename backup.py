"""Periodic backups of a training run's newest complete checkpoint: `python backup.py ./train 60`.

Every MINUTES it copies the newest checkpoint named in TRAIN_DIR/checkpoint (TensorFlow only names a
checkpoint there once it is completely written) into TRAIN_DIR/backup/, each file under a temporary
name first and renamed when whole, the index last, so a backup that has an index is complete. A
checkpoint that cannot be read (a file cut short by a partial copy or a failed sync) is never copied:
the newest one that can be read is taken instead, and said. A checkpoint rotated away by training
while it is being copied is abandoned and the newer one taken. A copy that fails for space or
permission stops with one sentence and leaves no partial files. Backups are kept forever unless
--keep N is given. The backup folder holds the run's config.json and a `checkpoint` file, so it can
itself be passed to `train_wavegan.py generate` / `infer`. It never takes the train dir's lock: it
only reads what training has finished writing.
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import sys
import time

RUN_FILES = ("config.json", "args.txt")


class CheckpointVanished(Exception):
    """Training rotated the checkpoint away while it was being copied."""


def listed_checkpoints(train_dir: str) -> list[str]:
    """The prefixes the `checkpoint` state file names, newest first (the train loop's reading of it)."""
    from wavegan.train.checkpoints import listed_checkpoints as listed  # loads TensorFlow: only when needed

    return listed(train_dir)


def checkpoint_problem(prefix: str) -> str | None:
    """Why a checkpoint cannot be read (None: it can); the train loop's check (wavegan.train.checkpoints)."""
    from wavegan.train.checkpoints import checkpoint_problem as problem

    return problem(prefix)


def latest_complete_checkpoint(train_dir: str, warned: set[str] | None = None,
                               print_fn=lambda line: print(line, file=sys.stderr)) -> str | None:
    """The prefix of the newest checkpoint the `checkpoint` state file names whose files all exist and can
    be read; a newer one that cannot be read is said once (`warned` remembers)."""
    warned = set() if warned is None else warned
    for prefix in listed_checkpoints(train_dir):
        if not checkpoint_files(prefix):
            continue
        problem = checkpoint_problem(prefix)
        if problem is None:
            return prefix
        if prefix not in warned:
            warned.add(prefix)
            print_fn(f"warning: {prefix} cannot be read ({problem}): not backing it up; taking the newest that can.")
    return None


def checkpoint_files(prefix: str) -> list[str] | None:
    """Data shards then index of a checkpoint, or None if any is missing."""
    shards = sorted(glob.glob(glob.escape(prefix) + ".data-*-of-*"))
    if not shards or not os.path.exists(prefix + ".index"):
        return None
    expected = int(shards[0].rsplit("-of-", 1)[1])
    return shards + [prefix + ".index"] if len(shards) == expected else None


def backed_up_steps(backup_dir: str) -> list[int]:
    """Steps of the complete checkpoints in the backup folder (those with an index), oldest first."""
    return sorted(int(m.group(1)) for p in glob.glob(os.path.join(backup_dir, "*.index"))
                  if (m := re.search(r"-(\d+)\.index$", p)))


def copy_atomically(src: str, dst: str) -> None:
    tmp = dst + ".partial"
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    except BaseException as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(e, FileNotFoundError) and not os.path.exists(src):
            raise CheckpointVanished(src) from e
        raise


def backup_checkpoint(prefix: str, backup_dir: str, print_fn=print) -> str:
    """Copies one checkpoint into backup_dir, the index last; returns the backed-up prefix."""
    files = checkpoint_files(prefix)
    if files is None:
        raise CheckpointVanished(prefix)
    name = os.path.basename(prefix)
    try:
        for src in files:
            dst = os.path.join(backup_dir, os.path.basename(src))
            copy_atomically(src, dst)
            print_fn(f"{src}->{dst}")
    except BaseException:  # rotated away, or a full disk: no half backup stays
        for leftover in glob.glob(os.path.join(glob.escape(backup_dir), glob.escape(name) + ".*")):
            os.remove(leftover)
        raise
    return os.path.join(backup_dir, name)


def write_state(backup_dir: str) -> None:
    """A `checkpoint` file naming the newest backup, so TensorFlow tools find it."""
    steps = backed_up_steps(backup_dir)
    if not steps:
        return
    names = [f"model.ckpt-{s}" for s in steps]
    text = f'model_checkpoint_path: "{names[-1]}"\n' + "".join(f'all_model_checkpoint_paths: "{n}"\n' for n in names)
    tmp = os.path.join(backup_dir, "checkpoint.partial")
    try:
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, os.path.join(backup_dir, "checkpoint"))
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def prune(backup_dir: str, keep: int) -> list[int]:
    """Deletes all but the newest `keep` backups (index first, so none ever looks complete half-deleted)."""
    removed = backed_up_steps(backup_dir)[:-keep] if keep > 0 else []
    for step in removed:
        prefix = os.path.join(backup_dir, f"model.ckpt-{step}")
        os.remove(prefix + ".index")
        for shard in glob.glob(glob.escape(prefix) + ".data-*"):
            os.remove(shard)
    return removed


def backup_once(train_dir: str, backup_dir: str, keep: int | None = None, print_fn=print, attempts: int = 3,
                warned: set[str] | None = None) -> str | None:
    """Backs up the newest complete readable checkpoint unless already there; returns its backup prefix."""
    os.makedirs(backup_dir, exist_ok=True)
    for _ in range(attempts):
        prefix = latest_complete_checkpoint(train_dir, warned)
        if prefix is None:
            return None
        target = os.path.join(backup_dir, os.path.basename(prefix))
        if os.path.exists(target + ".index"):
            print_fn(f"{os.path.basename(prefix)} is already backed up")
            return target
        try:
            backup_checkpoint(prefix, backup_dir, print_fn)
        except CheckpointVanished:
            print_fn(f"{os.path.basename(prefix)} was rotated away while being copied; taking the newer one")
            continue
        for name in RUN_FILES:
            if os.path.exists(os.path.join(train_dir, name)):
                copy_atomically(os.path.join(train_dir, name), os.path.join(backup_dir, name))
        if keep:
            prune(backup_dir, keep)
        write_state(backup_dir)
        return target
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Back up a training run's checkpoints every MINUTES.")
    parser.add_argument("train_dir")
    parser.add_argument("minutes", type=float, help="minutes between backups")
    parser.add_argument("--keep", type=int, default=None, help="keep only the newest N backups (default: all)")
    parser.add_argument("--once", action="store_true", help="back up the newest checkpoint now and exit")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.train_dir):
        print(f"error: train dir {args.train_dir} does not exist: start training there first or fix the path.",
              file=sys.stderr)
        return 2
    if args.minutes <= 0 or (args.keep is not None and args.keep < 1):
        print("error: MINUTES must be positive and --keep at least 1.", file=sys.stderr)
        return 2
    backup_dir = os.path.join(args.train_dir, "backup")
    waiting, warned = False, set()
    while True:
        try:
            backed_up = backup_once(args.train_dir, backup_dir, args.keep, warned=warned)
        except OSError as e:
            from wavegan import storage

            failure = storage.failure(e, f"backing up into {backup_dir}", backup_dir,
                                      "free some space there, or keep fewer backups with --keep N")
            if failure is None:
                raise
            print(f"error: {failure}", file=sys.stderr)
            return 2
        if backed_up is None:
            if args.once:
                print(f"error: no complete checkpoint in {args.train_dir} yet.", file=sys.stderr)
                return 1
            if not waiting:
                print("Waiting for first checkpoint")
                waiting = True
            time.sleep(1)
            continue
        waiting = False
        print("-" * 80)
        if args.once:
            return 0
        time.sleep(args.minutes * 60)


def cli() -> None:
    """The `wavegan-backup` console command (pyproject.toml) and `python backup.py`."""
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    cli()
