"""Where a run's checkpoints live and how to read them back (train, preview, infer, generate).

A checkpoint is `model.ckpt-<step>.{index,data-*}` written by tf.train.Checkpoint. TensorFlow writes
the data to temporary names and updates the `checkpoint` state file (atomically) only once a save is
complete, so the newest checkpoint it names is always whole, even after a kill mid-save.

A checkpoint can still be damaged after the fact (a partial copy, a failed sync, a disk that lost blocks):
a run starts from the newest checkpoint that can be read (`restore_latest`), the writer first moving
damaged ones aside to TRAIN_DIR/damaged/ (`set_aside_damaged`), and the modes that read checkpoints fall
back the same way (`newest_readable`). A save that fails for space or permission stops the run with one
sentence naming where a rerun resumes (`save`, `storage_faults_stop_training`).

Both backends write the same files. The JAX backend's variables are not TensorFlow objects, so there
`model_checkpoint` checkpoints TensorFlow shadows of them laid out as the TensorFlow backend's variables
are (`ShadowCheckpoint`): a run written by one backend resumes under the other.

The second format, for machines without TensorFlow (the GPU kit, bench/gpu_kit.py), is in
`wavegan/train/state_files.py`: the JAX step's whole state as `state-<step>.npz` and a `state.json`
naming the newest, written atomically and keeping the newest N. It lives apart only because this module
imports TensorFlow; train dirs of the train scripts never hold it.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import re
import time
from typing import Callable, Iterator

import keras
import numpy as np
import tensorflow as tf

from wavegan import storage
from wavegan.config import CONFIG_FILE, RunConfig, load_run_config, write_text_atomically
from wavegan.errors import StorageError, UserError

CHECKPOINT_NAME = "model.ckpt"
CHECKPOINTS_KEPT = 5
DAMAGED_DIR = "damaged"  # where the writer moves checkpoints that cannot be read
STATE_FILE = "checkpoint"
# With held-out data, the best evaluation's checkpoint (wavegan/train/validation.py): TRAIN_DIR/best/model.ckpt-<step>;
# `--infer_ckpt best` (and any checkpoint argument "best") names it.
BEST_DIR = "best"
# What reading a damaged checkpoint raises: a short or missing file, a bad checksum, a broken index.
READ_ERRORS = (tf.errors.DataLossError, tf.errors.OutOfRangeError, tf.errors.NotFoundError,
               tf.errors.InvalidArgumentError, tf.errors.FailedPreconditionError, IndexError)

log = logging.getLogger("wavegan")


def variables_by_path(model: keras.Model) -> dict[str, keras.Variable]:
    """Every variable of a model (batch-norm statistics included) keyed by its Keras path, e.g. G/upconv_0/kernel.

    Checkpoints are keyed this way rather than by handing the model to tf.train.Checkpoint: Keras 3's
    TensorFlow object graph does not descend into layers held in Python lists, so such a checkpoint
    silently misses most of the model.
    """
    # Random-number state (phase shuffle's seed generators) is not model state, and its paths carry a
    # process-wide counter: leave it out, as the original kept no RNG state either.
    variables = [v for v in model.variables if not v.path.endswith("seed_generator_state")]
    by_path = {v.path: v for v in variables}
    if len(by_path) != len(variables):
        raise ValueError(f"{model.name} has several variables with the same path")
    return by_path


def model_checkpoint(**parts) -> tf.train.Checkpoint:
    """A tf.train.Checkpoint of models (by variable path) and optimisers (as trackables)."""
    if keras.backend.backend() != "tensorflow":
        return ShadowCheckpoint(**parts)
    return tf.train.Checkpoint(**{name: variables_by_path(part) if isinstance(part, keras.Model) else part
                                  for name, part in parts.items()})


def _shadow(variable: keras.Variable) -> tf.Variable:
    # Counters are int64 on TensorFlow but int32 on JAX without x64: the files keep TensorFlow's type.
    dtype = tf.int64 if "int" in str(variable.dtype) else tf.as_dtype(variable.dtype)
    return tf.Variable(tf.zeros(variable.shape, dtype), trainable=False)


def _optimizer_shadow(optimizer: keras.optimizers.Optimizer) -> tuple[tf.Module, list]:
    """Keras' TensorFlow optimiser checkpoints itself as `_iterations`, `_learning_rate` and
    `_variables/<i>` (`optimizer.variables` in order, those two included): the shadow repeats that graph."""
    variables = list(optimizer.variables)
    shadows = [_shadow(v) for v in variables]
    module = tf.Module()
    module._variables = shadows
    for name in ("_iterations", "_learning_rate"):
        index = next((i for i, v in enumerate(variables) if v is getattr(optimizer, name, None)), None)
        if index is not None:
            setattr(module, name, shadows[index])
    return module, list(zip(variables, shadows))


class ShadowCheckpoint(tf.train.Checkpoint):
    """`model_checkpoint` for variables TensorFlow cannot track (the JAX backend's).

    Each variable has a tf.Variable shadow, arranged as `model_checkpoint` arranges TensorFlow-backend
    models and optimisers, so the files are the same. Writing copies the live values into the shadows
    first; restoring copies the restored values back.
    """

    def __init__(self, **parts):
        pairs, shadow_parts = [], {}
        for name, part in parts.items():
            if isinstance(part, keras.Model):
                by_path = variables_by_path(part)
                shadow_parts[name] = {path: _shadow(v) for path, v in by_path.items()}
                pairs += [(by_path[path], shadow) for path, shadow in shadow_parts[name].items()]
            else:
                shadow_parts[name], optimizer_pairs = _optimizer_shadow(part)
                pairs += optimizer_pairs
        super().__init__(**shadow_parts)
        object.__setattr__(self, "_pairs", pairs)  # bypasses dependency tracking: not checkpoint content

    def _write(self, *args, **kwargs):  # under save(), write() and CheckpointManager.save()
        for variable, shadow in self._pairs:
            shadow.assign(np.asarray(keras.ops.convert_to_numpy(variable.value)).astype(shadow.dtype.as_numpy_dtype))
        return super()._write(*args, **kwargs)

    def restore(self, *args, **kwargs):
        status = super().restore(*args, **kwargs)  # existing variables are assigned at once, in eager mode
        for variable, shadow in self._pairs:
            variable.assign(shadow.numpy().astype(keras.backend.standardize_dtype(variable.value.dtype)))
        return status


def make_manager(train_dir: str, max_to_keep: int = CHECKPOINTS_KEPT, **parts) -> tf.train.CheckpointManager:
    return tf.train.CheckpointManager(model_checkpoint(**parts), train_dir, max_to_keep=max_to_keep,
                                      checkpoint_name=CHECKPOINT_NAME)


def adversarial_manager(trainer: keras.Model, train_dir: str,
                        keep: int = CHECKPOINTS_KEPT) -> tf.train.CheckpointManager:
    """The GANs' manager: both models (by variable path) and both optimisers."""
    return make_manager(train_dir, keep, generator=trainer.generator, discriminator=trainer.discriminator,
                        g_optimizer=trainer.g_optimizer, d_optimizer=trainer.d_optimizer)


# The baselines' model is saved under the key the GANs use for their generator, so `restore_generator`
# reads both.
SUPERVISED_MODEL_KEY = "generator"


def supervised_manager(train_dir: str, model: keras.Model, optimizer: keras.optimizers.Optimizer,
                       keep: int = CHECKPOINTS_KEPT) -> tf.train.CheckpointManager:
    """The likelihood baselines' manager: their one model and its optimiser."""
    return make_manager(train_dir, keep, **{SUPERVISED_MODEL_KEY: model}, optimizer=optimizer)


def best_manager(manager: tf.train.CheckpointManager, train_dir: str) -> tf.train.CheckpointManager:
    """A manager of the same state (models and optimisers, so a run can also resume from it) that keeps one
    checkpoint, in TRAIN_DIR/best/."""
    folder = os.path.join(train_dir, BEST_DIR)
    remove_partial_saves(folder)
    return tf.train.CheckpointManager(manager.checkpoint, folder, max_to_keep=1, checkpoint_name=CHECKPOINT_NAME)


def restore_latest(manager: tf.train.CheckpointManager) -> str | None:
    """Restores the newest checkpoint that can be read, if any, insisting that every variable of the run is
    found in it; a newer one that cannot be read is named in a warning. When checkpoints exist but none can
    be read: UserError, and nothing was changed. (The writer has moved damaged ones aside before making the
    manager, `set_aside_damaged`; the other workers of a multi-worker run skip them here.)"""
    damaged = []
    for prefix in listed_checkpoints(manager.directory):  # manager.checkpoints leaves out "preserved" ones
        problem = checkpoint_problem(prefix)
        if problem is None:
            try:
                manager.checkpoint.restore(prefix).assert_existing_objects_matched()
            except READ_ERRORS as e:  # damage the cheap check cannot see (a flipped bit)
                problem = f"reading it failed ({first_line(e)})"
            except AssertionError as e:
                # A folder that holds a generator alone (tools/make_demo_model.py, models/drums) has nothing
                # to resume the critic and the optimisers from.
                raise UserError(f"{prefix} does not hold every model and optimiser this run trains (it may be a "
                                "generator alone, as models/drums): train in a new folder.") from e
        if problem is None:
            if damaged:
                log.warning(damage_warning(damaged, prefix, "resuming from"))
            return prefix
        damaged.append((prefix, problem))
    if damaged:
        raise none_readable(manager.directory, damaged)
    return None


def first_line(error: BaseException) -> str:
    text = getattr(error, "message", None) or str(error) or type(error).__name__
    return text.strip().splitlines()[0]


def string_tensor_bytes(value) -> int:
    """Bytes of a string tensor in a checkpoint's data file: a varint length per element, a 4-byte
    checksum of the lengths, then the bytes (TensorFlow's tensor bundle format)."""
    items = [value] if isinstance(value, bytes) else [v for v in np.asarray(value, dtype=object).ravel()]
    varint = lambda n: max(1, (n.bit_length() + 6) // 7)  # noqa: E731
    return sum(varint(len(v)) + len(v) for v in items) + 4


def checkpoint_problem(prefix: str) -> str | None:
    """Why the checkpoint at `prefix` cannot be read, or None when it can: its index opens, its data files
    are all there and as long as the index says (tensor shapes × dtype sizes, and the string tensors, which
    are read: the small object graph). A cheap check: it reads none of the numeric tensors, so a damaged
    byte inside one (rare: files are short when a copy, a sync or a full disk cut them off) is found only
    when the restore reads it (`restore_latest` falls back then too)."""
    name = os.path.basename(prefix)
    if not tf.io.gfile.exists(prefix + ".index"):
        return f"its index {name}.index is missing"
    try:
        reader = tf.train.load_checkpoint(prefix)
        shapes, dtypes = reader.get_variable_to_shape_map(), reader.get_variable_to_dtype_map()
    except (tf.errors.OpError, ValueError) as e:
        return f"its index cannot be read ({first_line(e)})"
    shards = glob.glob(glob.escape(prefix) + ".data-*-of-*")
    wanted = {int(p.rsplit("-of-", 1)[1]) for p in shards}
    if not shards or len(wanted) != 1 or len(shards) != wanted.pop():
        return f"{'some of its data files are' if shards else 'its data file is'} missing"
    actual = sum(os.path.getsize(p) for p in shards)
    expected = sum(int(np.prod(shapes[key], dtype=np.int64)) * dtype.size
                   for key, dtype in dtypes.items() if dtype != tf.string)
    if actual >= expected:
        try:
            expected += sum(string_tensor_bytes(reader.get_tensor(key)) for key, dtype in dtypes.items()
                            if dtype == tf.string)
        except (tf.errors.OpError, IndexError, ValueError) as e:
            return f"its object graph cannot be read ({first_line(e)})"
    if actual < expected:
        return f"its data holds {actual:,} of the {expected:,} bytes its index lists (the file was cut short)"
    return None


def checkpoints_on_disk(train_dir: str) -> list[str]:
    """Every `model.ckpt-<step>` with an index in train_dir, newest (highest step) first."""
    found = [index[: -len(".index")] for index in glob.glob(os.path.join(glob.escape(train_dir),
                                                                          f"{CHECKPOINT_NAME}-*.index"))]
    return sorted((p for p in found if re.search(r"-\d+$", p)), key=checkpoint_step, reverse=True)


def read_state(train_dir: str) -> tuple[object | None, str | None]:
    """The `checkpoint` state file as TensorFlow's CheckpointState, or (None, why) when it is missing (why:
    None) or cannot be read. TensorFlow itself raises on an empty one and silently ignores a garbled one,
    which would start the run afresh."""
    from google.protobuf import text_format

    try:
        with open(os.path.join(train_dir, STATE_FILE)) as f:
            text = f.read()
    except FileNotFoundError:
        return None, None
    except (OSError, UnicodeDecodeError) as e:
        return None, f"cannot be read ({e})"
    state = type(tf.compat.v1.train.generate_checkpoint_state_proto("/", "x"))()
    try:
        text_format.Parse(text, state)
    except text_format.ParseError as e:
        return None, f"cannot be parsed ({e})"
    if not state.model_checkpoint_path:
        return None, "names no checkpoint"
    return state, None


def listed_checkpoints(train_dir: str) -> list[str]:
    """The checkpoints the state file names, newest first (the newest is the one it calls latest); when the
    state file is missing or damaged, the checkpoints found on disk."""
    state, _ = read_state(train_dir)
    if state is None:
        return checkpoints_on_disk(train_dir)
    absolute = [p if os.path.isabs(p) else os.path.join(train_dir, p) for p in state.all_model_checkpoint_paths]
    latest = state.model_checkpoint_path
    latest = latest if os.path.isabs(latest) else os.path.join(train_dir, latest)
    listed = [latest] + [p for p in reversed(absolute) if p != latest]
    if not any(tf.io.gfile.exists(p + ".index") for p in listed):  # paths of another machine (a copied run)
        return checkpoints_on_disk(train_dir) or listed
    return listed


def write_state(train_dir: str, kept: list[str], timestamps: dict[str, float] | None = None,
                last_preserved: float | None = None) -> None:
    """Writes the state file naming `kept` (oldest first; the last is the latest), atomically. Each gets a
    timestamp (its own, else its index file's time): the manager rotates only checkpoints with one newer
    than `last_preserved`, and treats the others as kept for good."""
    from google.protobuf import text_format

    stamps = [(timestamps or {}).get(p) or os.path.getmtime(p + ".index") for p in kept]
    proto = tf.compat.v1.train.generate_checkpoint_state_proto(
        os.path.abspath(train_dir), os.path.basename(kept[-1]), [os.path.basename(p) for p in kept],
        stamps, last_preserved)
    write_text_atomically(os.path.join(train_dir, STATE_FILE), text_format.MessageToString(proto))


def repair_state(train_dir: str) -> str | None:
    """The writer: a state file that is missing or damaged while checkpoints are there is rebuilt from them
    (so the run resumes instead of starting afresh over them); returns the warning to show."""
    state, problem = read_state(train_dir)
    found = checkpoints_on_disk(train_dir)
    if state is not None or not found:
        return None
    write_state(train_dir, found[::-1])
    return (f"The state file {os.path.join(train_dir, STATE_FILE)} {problem or 'is missing'}: rebuilt it from the {len(found)} "
            f"checkpoint{'s' * (len(found) != 1)} in {train_dir}, the newest {os.path.basename(found[0])}.")


def damage_warning(damaged: list[tuple[str, str]], using: str, verb: str, moved_to: str | None = None) -> str:
    names = "; ".join(f"{os.path.basename(p)}: {why}" for p, why in damaged)
    fate = (f"its files are moved to {moved_to}" if len(damaged) == 1 else f"their files are moved to {moved_to}") \
        if moved_to else ("it is left in place" if len(damaged) == 1 else "they are left in place")
    return (f"{'A newer checkpoint' if len(damaged) == 1 else f'{len(damaged)} newer checkpoints'} in "
            f"{os.path.dirname(using) or '.'} cannot be read ({names}): {verb} {os.path.basename(using)}, the newest "
            f"that can; {fate}, delete them if you have no other use for them.")


def none_readable(train_dir: str, damaged: list[tuple[str, str]]) -> UserError:
    names = "; ".join(f"{os.path.basename(p)}: {why}" for p, why in damaged)
    return UserError(f"None of the {len(damaged)} checkpoints in {train_dir} can be read ({names}); nothing was "
                     f"changed: restore them from a copy (backup.py keeps them in {os.path.join(train_dir, 'backup')}), "
                     "or move them away to start training afresh.")


def newest_readable(train_dir: str, warned: set[str] | None = None) -> str | None:
    """The newest checkpoint of train_dir that can be read (None: there is none yet), for the modes that
    read a run; newer damaged ones are named in a warning (once each, with `warned`). UserError when there
    are checkpoints but none can be read."""
    damaged = []
    for prefix in listed_checkpoints(train_dir):
        problem = checkpoint_problem(prefix)
        if problem is not None and prefix not in listed_checkpoints(train_dir):
            continue  # training rotated it away after we read the state file: not damage
        if problem is None:
            fresh = [(p, why) for p, why in damaged if warned is None or p not in warned]
            if fresh:
                log.warning(damage_warning(fresh, prefix, "using"))
                if warned is not None:
                    warned.update(p for p, _ in fresh)
            return prefix
        damaged.append((prefix, problem))
    if damaged:
        raise none_readable(train_dir, damaged)
    return None


def set_aside_damaged(train_dir: str) -> list[str]:
    """The writer, before it makes its manager: moves every checkpoint the state file lists that cannot be
    read into TRAIN_DIR/damaged/ (kept, not deleted: the user decides) and drops it from the state file, so
    that no later save overwrites it or counts it among the kept ones; returns the warnings to show. When
    none can be read, nothing is moved and UserError says so."""
    listed = listed_checkpoints(train_dir)
    damaged = [(p, why) for p in listed if (why := checkpoint_problem(p)) is not None]
    if not damaged:
        return []
    good = [p for p in listed if p not in {d for d, _ in damaged}]
    if not good:
        raise none_readable(train_dir, damaged)
    aside = os.path.join(train_dir, DAMAGED_DIR)
    os.makedirs(aside, exist_ok=True)
    for prefix, _ in damaged:
        for path in glob.glob(glob.escape(prefix) + ".*"):
            os.replace(path, os.path.join(aside, os.path.basename(path)))
    state, _ = read_state(train_dir)
    paths = [p if os.path.isabs(p) else os.path.join(train_dir, p) for p in state.all_model_checkpoint_paths]
    stamps = dict(zip(paths, state.all_model_checkpoint_timestamps))
    kept = [p for p in paths if p in good and p != good[0]] + [good[0]]  # the newest readable one last
    write_state(train_dir, kept, stamps, state.last_preserved_timestamp or None)
    newer = [(p, why) for p, why in damaged if listed.index(p) < listed.index(good[0])]
    older = [(p, why) for p, why in damaged if listed.index(p) > listed.index(good[0])]
    warnings = [damage_warning(newer, good[0], "resuming from", aside)] if newer else []
    if older:
        names = "; ".join(f"{os.path.basename(p)}: {why}" for p, why in older)
        warnings.append(f"Older checkpoints in {train_dir} cannot be read ({names}): their files are moved to {aside}, "
                        "delete them if you have no other use for them.")
    return warnings


def prepare_to_resume(train_dir: str) -> None:
    """What the writer does before making its manager: removes what interrupted saves left, rebuilds a
    missing or damaged state file from the checkpoints there, and sets damaged checkpoints aside (each
    said in a warning)."""
    for path in remove_partial_saves(train_dir):
        log.info("Removed %s, left by a save that was interrupted.", path)
    repaired = repair_state(train_dir)
    if repaired:
        log.warning(repaired)
    for warning in set_aside_damaged(train_dir):
        log.warning(warning)


def save(manager: tf.train.CheckpointManager, step: int) -> str:
    """manager.save at `step`; a save that fails for space or permission removes what it left and raises
    StorageError (the training form: `storage_faults_stop_training` words it)."""
    try:
        return manager.save(checkpoint_number=step)
    except (tf.errors.OpError, OSError) as e:
        if storage.fault_errno(e) is None:
            raise
        remove_partial_saves(manager.directory)  # before the free space is measured for the message
        raise storage.failure(e, f"saving {os.path.join(manager.directory, f'{CHECKPOINT_NAME}-{step}')}",
                              manager.directory) from None


def stopped_training(error: StorageError, train_dir: str) -> StorageError:
    """A storage fault during training, said with where a rerun resumes and how to need less space."""
    remove_partial_saves(train_dir)
    try:
        newest = newest_readable(train_dir, warned=set())
    except UserError:
        newest = None
    resume = (f"the newest complete checkpoint is {newest}, where rerunning the same command resumes" if newest
              else "no checkpoint was written yet, so rerunning the same command starts afresh")
    fix = storage.what_to_do(error.errno, train_dir, "free some space, or keep fewer checkpoints with "
                                                     f"{storage.KEEP_FLAG} (1 keeps only the newest)")
    return StorageError(f"{error.fault}: training stopped; {resume}; {fix}.", error.fault, error.errno)


@contextlib.contextmanager
def storage_faults_stop_training(train_dir: str) -> Iterator[None]:
    """Around the part of a run that writes (settings, checkpoints, export): a write that fails for space
    or permission ends the run with one sentence (`stopped_training`), temporaries removed."""
    try:
        yield
    except StorageError as e:
        raise stopped_training(e, train_dir) from None
    except (tf.errors.OpError, OSError) as e:
        failure = storage.failure(e)
        if failure is None:
            raise
        raise stopped_training(failure, train_dir) from None


def variable_bytes(*parts) -> int:
    """Bytes the variables of these models and optimisers take in a checkpoint."""
    return sum(int(np.prod(v.shape, dtype=np.int64)) * np.dtype(keras.backend.standardize_dtype(v.dtype)).itemsize
               for part in parts for v in part.variables)


def warn_if_disk_too_small(train_dir: str, checkpoint_bytes: int, keep: int, export_bytes: int = 0) -> str | None:
    """Before training: one warning when the train dir's disk cannot hold what the run will add (the kept
    checkpoints plus the one being saved, beyond those already there, and a fresh export beside the old)."""
    there = [p for p in listed_checkpoints(train_dir) if tf.io.gfile.exists(p + ".index")]
    more = max(0, keep + 1 - len(there))
    what = f"{more} checkpoint{'s' * (more != 1)} of {storage.format_bytes(checkpoint_bytes)} with " \
           f"--train_keep_checkpoints {keep}"
    if export_bytes:
        what += f", and a {storage.format_bytes(export_bytes)} export"
    warning = storage.space_warning(train_dir, more * checkpoint_bytes + export_bytes, what)
    if warning:
        log.warning(warning)
    return warning


def restore_generator(generator: keras.Model, checkpoint: str) -> None:
    """Restores only the generator's variables (no optimiser) from a training checkpoint."""
    model_checkpoint(generator=generator).restore(checkpoint).expect_partial().assert_existing_objects_matched()


def checkpoint_step(path: str) -> int:
    match = re.search(r"-(\d+)$", path)
    if not match:
        raise UserError(f"{path} is not a checkpoint prefix like {CHECKPOINT_NAME}-1234.")
    return int(match.group(1))


def latest_checkpoint(train_dir: str) -> str | None:
    return tf.train.latest_checkpoint(train_dir)


def remove_partial_saves(train_dir: str) -> list[str]:
    """Deletes what a save killed (or failed) half-way leaves behind: TensorFlow's temporary folders and
    state files; returns what it removed."""
    removed = []
    for path in glob.glob(os.path.join(glob.escape(train_dir), f"{CHECKPOINT_NAME}-*_temp*")) + glob.glob(
            os.path.join(glob.escape(train_dir), f"{STATE_FILE}.tmp*")):
        storage.remove_quietly(path)
        removed.append(path)
    return removed


def watch(train_dir: str, handle: Callable[[str], None], poll_secs: float = 1.0, once: bool = False,
          print_fn: Callable[[str], None] = print) -> None:
    """Calls handle(prefix) each time a newer readable checkpoint appears, until killed (or once, for the
    newest). One that training rotates away before it is read is skipped; a damaged one is named once."""
    done, warned = None, set()
    while True:
        latest = newest_readable(train_dir, warned)
        if latest and latest != done:
            try:
                handle(latest)
            except READ_ERRORS:
                if checkpoint_problem(latest) is None:
                    raise
                latest = None  # gone (rotated away) or damaged while being read: look again
            done = latest or done
        if once:
            if not done:
                print_fn(f"No checkpoint in {train_dir} yet.")
            return
        time.sleep(poll_secs)


def resolve_checkpoint(train_dir: str, checkpoint: str | None = None) -> str:
    """The given checkpoint prefix (refused when it cannot be read), or the newest readable one in train_dir;
    "best": the one kept in TRAIN_DIR/best by the validation."""
    if checkpoint == BEST_DIR:
        best = newest_readable(os.path.join(train_dir, BEST_DIR))
        if not best:
            raise UserError(f"No best checkpoint in {os.path.join(train_dir, BEST_DIR)}: it is kept by runs with "
                            "--data_valid_fraction or --data_valid_dir, after their first validation.")
        return best
    if checkpoint:
        if not tf.io.gfile.exists(checkpoint + ".index"):
            raise UserError(f"No checkpoint at {checkpoint} (expected {checkpoint}.index): "
                            "pass a prefix such as train/model.ckpt-1234.")
        problem = checkpoint_problem(checkpoint)
        if problem:
            raise UserError(f"The checkpoint {checkpoint} cannot be read: {problem}; pass another one, or leave the "
                            "flag out to use the newest that can be read.")
        return checkpoint
    latest = newest_readable(train_dir)
    if not latest:
        raise UserError(f"No checkpoint in {train_dir} yet: train first, or wait for the first save.")
    return latest


def restore_resolved(train_dir: str, checkpoint: str | None, restore: Callable[[str], None], attempts: int = 3) -> str:
    """Resolves the checkpoint to read and restores it with `restore(prefix)`; returns the prefix. A newest
    one that training rotates away (or that turns out damaged) while being read makes way for the next."""
    for attempt in range(attempts):
        path = resolve_checkpoint(train_dir, checkpoint)
        try:
            restore(path)
            return path
        except READ_ERRORS as e:
            problem = checkpoint_problem(path) or f"reading it failed ({first_line(e)})"
            if checkpoint or attempt == attempts - 1:
                raise UserError(f"The checkpoint {path} cannot be read: {problem}.") from None
            log.warning("%s cannot be read (%s): trying the newest one again.", path, problem)
    raise AssertionError("unreachable")


def load_generator(train_dir: str, build_generator: Callable[[RunConfig], keras.Model],
                   checkpoint: str | None = None) -> tuple[keras.Model, RunConfig, int]:
    """Rebuilds the run's generator from config.json and restores its weights (no optimiser)."""
    run = load_run_config(train_dir)
    generator = build_generator(run)
    generator.build((None, run.model.latent_dim))
    path = restore_resolved(train_dir, checkpoint, lambda prefix: restore_generator(generator, prefix))
    return generator, run, checkpoint_step(path)


def split_source(source: str, checkpoint: str | None = None) -> tuple[str, str | None]:
    """A train dir, a checkpoint prefix in one (or one level down, as best/model.ckpt-<step>), or a folder of
    checkpoints inside one (TRAIN_DIR/best) → (train dir, checkpoint prefix or None for the newest)."""
    if not os.path.isdir(source):
        folder = os.path.dirname(source) or "."
        if not os.path.exists(os.path.join(folder, CONFIG_FILE)) and \
                os.path.exists(os.path.join(os.path.dirname(os.path.abspath(folder)), CONFIG_FILE)):
            folder = os.path.dirname(os.path.abspath(folder))
        return folder, source
    parent = os.path.dirname(os.path.abspath(source))
    if not os.path.exists(os.path.join(source, CONFIG_FILE)) and os.path.exists(os.path.join(parent, CONFIG_FILE)):
        latest = latest_checkpoint(source)
        if latest:
            return parent, latest
    return source, checkpoint


def load_model(source: str, build: Callable[[RunConfig], keras.Model], model_type: str,
               checkpoint: str | None = None) -> tuple[keras.Model, RunConfig, int, str]:
    """Rebuilds a run's model from config.json and restores its weights: (model, run, step, checkpoint).
    `source` is a train dir or a checkpoint prefix inside one; a run of another model type is refused."""
    source, checkpoint = split_source(source, checkpoint)
    run = load_run_config(source)
    if run.model_type != model_type:
        raise UserError(f"{source} holds a {run.model_type} run: use train_{run.model_type}.py for it.")
    model = build(run)
    path = restore_resolved(source, checkpoint, lambda prefix: restore_generator(model, prefix))
    return model, run, checkpoint_step(path), path
