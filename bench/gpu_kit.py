"""GPU run kit: the paper-size WaveGAN trained with KERAS_BACKEND=jax where only JAX is installed (issue 18).

    python bench/gpu_kit_prepare.py                        # here, once: corpus + Keras wheels into .gpu_kit/
    python3 bench/gpu_kit.py --out $OUT --budget_s 530     # on the GPU machine (device tool, carry .gpu_kit)
    python bench/gpu_kit_unpack.py DIR --out runs/gpu_kit  # here: the clips that came back → WAVs for eval.score

On the GPU machine the script installs the carried wheels (Keras and the two packages it needs that the
machine lacks) into /tmp, loads the spoken-digit corpus packed by the prepare step onto the device, and
trains the project's own WaveGAN (d=64, batch 64, phase shuffle 2, WGAN-GP, 5 critic updates) with the
stateless JAX step of `wavegan.train.step_jax` until `--budget_s` minus a reserve has passed since the
script started. Checkpoints go to `--ckpt_dir` on the machine's own disk, outside the repository copy,
so the next command on the same (still warm) machine resumes; a fresh machine starts over. Every
checkpoint is sampled from the same fixed latents. It ends with, in `--out`: `figures.json` (seconds per
iteration, examples/s, generation clips/s, peak GPU memory, losses, iterations reached per command) and
the clips as int16 .npz files sized to what the device tool brings back (8 files of 16 MiB, 64 MiB).

The run is the library's: a RunConfig as train_wavegan.py would make it (config.json in --ckpt_dir),
models and trainer from `wavegan.train.trainer.make_trainer`, the step of `wavegan.train.step_jax`,
checkpoints in the TensorFlow-free format of `wavegan.train.state_files`, classes as `--data_labels`
finds them (`wavegan.audio.labels`), latents from `wavegan.serve.latents`, int16 as `wavegan.audio.pcm`.
What is the kit's own is what running without TensorFlow on a lent machine needs: installing the carried
wheels, the corpus packed for transport and fed from device memory in a resumable order (`EpochFeed`,
in place of tf.data), noise drawn from (seed, step) so that a resumed run draws what it would have, the
time budget, runs in lockstep (`Lockstep`), figures.json, and clip packs within the device tool's limits.

Nothing it imports pulls in TensorFlow or soundfile, which the GPU machines lack (figures.json records
whether `tensorflow` ended up in sys.modules; the dry run in tests/e2e/test_gpu_kit.py asserts it did not).
Heavy imports (JAX, Keras, the models) happen inside functions, after the wheels are on sys.path.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time
import zlib
from typing import Iterable

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

# Light modules only (the standard library and numpy): bench/gpu_kit_multi.py imports this file too.
from wavegan.audio.files import peak_normalize  # noqa: E402
from wavegan.audio.labels import class_name, cycled_labels, discover_classes, label_ids  # noqa: E402
from wavegan.config import DataConfig, RunConfig, TrainConfig, save_run_config, write_text_atomically  # noqa: E402
from wavegan.errors import UserError  # noqa: E402
from wavegan.serve.latents import sample_latents  # noqa: E402
from wavegan.train import state_files  # noqa: E402

KIT_DIR = os.path.join(REPO, ".gpu_kit")
CORPUS_FILE = "digits.npz"
WHEELS_SUBDIR = "wheels"
SITE_DIR = "/tmp/gpu_kit_site"
CKPT_DIR = "/tmp/wavegan_gpu_kit"
JAX_CACHE_DIR = "/tmp/gpu_kit_jax_cache"
FIGURES = "figures.json"
SAMPLE_RATE, SLICE_LEN = 16000, 16384
CORPUS_ENCODING = "int16-delta-byteplanes-zlib"
CHECKPOINTS_KEPT = 2  # state_files on the machine's /tmp: the newest and one before it
# What the device tool brings back from $OUT: at most 8 files of 16 MiB, 64 MiB together, two folders down.
OUT_MAX_FILES, OUT_MAX_FILE_BYTES, OUT_MAX_TOTAL_BYTES = 8, 16 * 2**20, 64 * 2**20
OUT_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
# Clip files leave room for figures.json and a log under the limits above, and stay under 16 MB and
# 64 MB in decimal units too.
CLIP_FILES_MAX, CLIP_FILE_BYTES, CLIP_TOTAL_BYTES = 6, 15 * 2**20, 56 * 2**20
GEN_CHUNK = 64  # sampling runs the generator on chunks of this size (one compiled shape)


# ---------------------------------------------------------------------------------------------------
# The corpus file: clips of any length, int16, lossless. First differences split into high and low
# byte planes compress to about 0.70 of the raw bytes with zlib (0.85 without), so about a fifth more
# clips fit in the tree the device tool carries.

def pack_corpus(clips: list[np.ndarray], names: list[str], sample_rate: int = SAMPLE_RATE) -> dict:
    """int16 clips (1-D, any length) → the arrays of a corpus .npz."""
    samples = np.concatenate(clips).astype(np.int16) if clips else np.zeros(0, np.int16)
    delta = np.diff(samples, prepend=np.int16(0)).astype(np.int16).view(np.uint16)
    planes = np.concatenate([(delta >> 8).astype(np.uint8), (delta & 0xFF).astype(np.uint8)])
    payload = np.frombuffer(zlib.compress(planes.tobytes(), 9), np.uint8)
    return {"payload": payload, "lengths": np.array([len(c) for c in clips], np.int64),
            "names": np.array(names, dtype=str), "sample_rate": np.int64(sample_rate),
            "encoding": np.array(CORPUS_ENCODING)}


def unpack_corpus(arrays) -> tuple[list[np.ndarray], list[str], int]:
    """A corpus .npz's arrays → (int16 clips, names, sample rate)."""
    if str(arrays["encoding"]) != CORPUS_ENCODING:
        raise UserError(f"The corpus is encoded as {arrays['encoding']}, not {CORPUS_ENCODING}: "
                        "rebuild it with bench/gpu_kit_prepare.py.")
    lengths = arrays["lengths"]
    total = int(lengths.sum())
    planes = np.frombuffer(zlib.decompress(arrays["payload"].tobytes()), np.uint8)
    delta = ((planes[:total].astype(np.uint16) << 8) | planes[total:].astype(np.uint16)).view(np.int16)
    samples = np.cumsum(delta, dtype=np.int16)  # int16 wraps like the differences did
    clips = np.split(samples, np.cumsum(lengths)[:-1]) if len(lengths) else []
    return clips, [str(n) for n in arrays["names"]], int(arrays["sample_rate"])


def training_examples(clips: list[np.ndarray], slice_len: int = SLICE_LEN) -> np.ndarray:
    """What the tf.data pipeline makes of each file with --data_first_slice --data_pad_end and the default
    peak normalisation, in numpy (wavegan/audio/pipeline.py needs TensorFlow): the whole clip through the
    decoder's `peak_normalize`, then its first slice_len samples, zero-padded. float32 [n, slice_len]."""
    out = np.zeros((len(clips), slice_len), np.float32)
    for i, clip in enumerate(clips):
        audio = peak_normalize(clip.astype(np.float32))[:slice_len]
        out[i, :len(audio)] = audio
    return out


def class_ids(names: list[str], mode: str) -> tuple[list[str], np.ndarray | None]:
    """The corpus's classes and each clip's class id for `--labels`, found as `--data_labels` finds them
    (wavegan/audio/labels.py; prefix: the file name up to its first '_', SC09's `Seven_...wav`), or
    ([], None) for an unconditional run. Unlike the train scripts, which leave such files out, a clip
    without a class is refused: the corpus was packed for this run."""
    if mode == "none":
        return [], None
    unnamed = [name for name in names if class_name(name, "", mode) is None]
    if unnamed:
        raise UserError(f"{len(unnamed)} clips (e.g. {unnamed[0]}) carry no class in their name for --labels {mode}: "
                        "rebuild the corpus with SC09-style names or use --labels none.")
    data = DataConfig(labels=mode, classes=discover_classes(names, "the corpus", mode))
    return data.classes, label_ids(names, data)


def load_corpus(path: str) -> tuple[np.ndarray, list[str]]:
    if not os.path.exists(path):
        raise UserError(f"No corpus at {path}: run `python bench/gpu_kit_prepare.py` first and carry .gpu_kit.")
    with np.load(path) as arrays:
        clips, names, rate = unpack_corpus(arrays)
    if rate != SAMPLE_RATE:
        raise UserError(f"{path} is at {rate} Hz; the kit trains at {SAMPLE_RATE} Hz: rebuild it.")
    return training_examples(clips), names


# ---------------------------------------------------------------------------------------------------
# The clips that come back: .npz files of int16 rows, each tagged with its checkpoint's step and the
# index of its latent in the fixed bank, so a step's clips may span files and files may mix steps.

def pack_clips(entries: Iterable[tuple[int, np.ndarray]], out_dir: str, z_seed: int, max_files: int = CLIP_FILES_MAX,
               max_file_bytes: int = CLIP_FILE_BYTES, max_total_bytes: int = CLIP_TOTAL_BYTES,
               classes: list[str] | None = None) -> dict:
    """Writes (step, int16 clips [n, len]) entries, in order of priority, into clips_NN.npz files within
    the limits; the rows that do not fit are left out and reported. With `classes` (a conditional model)
    each row also carries the class it was asked for (`sample`'s: `cycled_labels`)."""
    entries = list(entries)
    row_bytes = (entries[0][1].shape[1] * 2 + 12) if entries else 1
    rows_per_file = max(1, (max_file_bytes - 4096) // row_bytes)
    budget_rows = min(max_total_bytes // row_bytes, rows_per_file * max_files)
    rows = []  # (step, latent index, clip)
    kept, dropped = {}, {}
    for step, clips in entries:
        take = max(0, min(len(clips), budget_rows - len(rows)))
        rows.extend((step, i, clips[i]) for i in range(take))
        if take:
            kept[str(step)] = kept.get(str(step), 0) + take
        if take < len(clips):
            dropped[str(step)] = len(clips) - take
    files = []
    for k in range(0, len(rows), rows_per_file):
        chunk = rows[k:k + rows_per_file]
        name = f"clips_{len(files):02d}.npz"
        index = np.array([r[1] for r in chunk], np.int32)
        given = {} if not classes else {"labels": cycled_labels(int(index.max()) + 1, len(classes))[index],
                                        "classes": np.array(classes)}
        np.savez(os.path.join(out_dir, name), clips=np.stack([r[2] for r in chunk]).astype(np.int16),
                 steps=np.array([r[0] for r in chunk], np.int64), latent_index=index,
                 z_seed=np.int64(z_seed), sample_rate=np.int64(SAMPLE_RATE), **given)
        files.append(name)
    return {"files": files, "clips_per_step": kept, "left_out_per_step": dropped, "z_seed": z_seed}


def read_clip_packs(paths: Iterable[str]) -> dict[int, dict[int, np.ndarray]]:
    """clips_*.npz files (from one or several commands) → {step: {latent index: int16 clip}}."""
    by_step: dict[int, dict[int, np.ndarray]] = {}
    for path in paths:
        with np.load(path) as pack:
            for clip, step, index in zip(pack["clips"], pack["steps"], pack["latent_index"]):
                by_step.setdefault(int(step), {})[int(index)] = clip
    return by_step


def read_clip_classes(paths: Iterable[str]) -> dict[int, str]:
    """{latent index: the class name it was asked for} from a conditional model's clip packs ({} otherwise)."""
    asked: dict[int, str] = {}
    for path in paths:
        with np.load(path) as pack:
            if "labels" in pack:
                classes = [str(c) for c in pack["classes"]]
                asked.update({int(i): classes[int(y)] for i, y in zip(pack["latent_index"], pack["labels"])})
    return asked


def check_out_limits(out_dir: str) -> list[str]:
    """What in out_dir the device tool would not bring back (empty: everything comes back)."""
    problems, files, total = [], 0, 0
    for root, dirs, names in os.walk(out_dir):
        depth = os.path.relpath(root, out_dir).count(os.sep) + (root != out_dir)
        for name in dirs + names:
            if not OUT_NAME.match(name):
                problems.append(f"{name}: a name with characters other than letters, digits, '.', '_', '-'")
        for name in names:
            size = os.path.getsize(os.path.join(root, name))
            files, total = files + 1, total + size
            if size > OUT_MAX_FILE_BYTES:
                problems.append(f"{name}: {size} bytes, over {OUT_MAX_FILE_BYTES}")
            if depth > 2:
                problems.append(f"{name}: more than 2 folders down")
    if files > OUT_MAX_FILES:
        problems.append(f"{files} files, over {OUT_MAX_FILES}")
    if total > OUT_MAX_TOTAL_BYTES:
        problems.append(f"{total} bytes in all, over {OUT_MAX_TOTAL_BYTES}")
    return problems


# ---------------------------------------------------------------------------------------------------
# Setup on the machine

def install_wheels(wheel_dir: str, site: str = SITE_DIR) -> list[str]:
    """pip-installs every carried wheel into `site` (once per machine) and puts it first on sys.path."""
    wheels = sorted(glob.glob(os.path.join(wheel_dir, "*.whl")))
    if not wheels:
        raise UserError(f"No wheels in {wheel_dir}: run `python bench/gpu_kit_prepare.py` here and carry .gpu_kit "
                        "(or pass --wheels none where Keras is installed).")
    names = [os.path.basename(w) for w in wheels]
    marker = os.path.join(site, ".gpu_kit-" + hashlib.sha1("\n".join(names).encode()).hexdigest()[:12])
    if not os.path.exists(marker):  # a warm machine keeps /tmp: the second command skips this
        pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--find-links", wheel_dir,
                              "--no-deps", "--no-compile", "--no-cache-dir", "--upgrade", "--target", site, *wheels])
        if pip.returncode:
            raise UserError(f"pip could not install the wheels in {wheel_dir} (see above) on Python "
                            f"{platform.python_version()} {platform.machine()}: rerun bench/gpu_kit_prepare.py with "
                            "--python_version set to this machine's.")
        open(marker, "w").close()
    sys.path.insert(0, site)
    return names


class EpochFeed:
    """Corpus indices [batch, disc_nupdates] per iteration: every epoch a fresh permutation seeded by
    (seed, epoch), read in order, so a resumed run continues the very same stream."""

    def __init__(self, n_clips: int, seed: int, epoch: int = 0, position: int = 0):
        self.n_clips, self.seed, self.epoch, self.position = n_clips, seed, epoch, position
        self._order = self._permutation()

    def _permutation(self) -> np.ndarray:
        return np.random.default_rng([self.seed, self.epoch]).permutation(self.n_clips).astype(np.int32)

    def next(self, shape: tuple[int, int]) -> np.ndarray:
        need, parts = shape[0] * shape[1], []
        while need:
            take = min(need, self.n_clips - self.position)
            parts.append(self._order[self.position:self.position + take])
            self.position, need = self.position + take, need - take
            if self.position == self.n_clips:
                self.epoch, self.position = self.epoch + 1, 0
                self._order = self._permutation()
        return np.concatenate(parts).reshape(shape)

    def state(self) -> dict:
        return {"seed": self.seed, "epoch": self.epoch, "position": self.position, "n_clips": self.n_clips}


class Lockstep:
    """Runs trained side by side on one GPU, kept at the same step through files in a shared folder, so
    their samples compare at equal iterations whatever each one's speed: a run starts a block of iterations
    only when every other has reached its step (or has finished), and the first run by name, when its time
    is up, names the step all stop at (the furthest any has reached: at most one block ahead of the rest)."""

    # A run silent this long (crashed, or still compiling) is not waited for.
    STOP, WAIT_S, REGISTER_S, STALE_S = "stop.json", 0.005, 180.0, 180.0

    def __init__(self, folder: str, name: str, size: int):
        self.folder, self.name, self.size = folder, name, size
        os.makedirs(folder, exist_ok=True)

    def _write(self, step: int, done: bool = False) -> None:
        write_text_atomically(os.path.join(self.folder, f"{self.name}.step.json"),
                              json.dumps({"step": step, "done": done, "t": time.time()}))

    def _others(self) -> dict[str, dict]:
        out = {}
        for path in glob.glob(os.path.join(self.folder, "*.step.json")):
            name = os.path.basename(path)[:-len(".step.json")]
            if name != self.name:
                try:
                    with open(path) as f:
                        out[name] = json.load(f)
                except (OSError, ValueError):  # being replaced right now
                    continue
        return out

    def register(self, step: int) -> None:
        """Announces this run and waits (at most REGISTER_S) until the whole group has."""
        self._write(step)
        deadline = time.monotonic() + self.REGISTER_S
        while len(self._others()) + 1 < self.size and time.monotonic() < deadline:
            time.sleep(0.1)

    @property
    def leader(self) -> bool:
        return self.name == min([self.name, *self._others()])

    def stop_step(self) -> int | None:
        try:
            with open(os.path.join(self.folder, self.STOP)) as f:
                return int(json.load(f)["step"])
        except (OSError, ValueError, KeyError):
            return None

    def call_stop(self, step: int) -> int:
        """The leader's: every run stops at the furthest step any has reached."""
        target = max([step, *(o["step"] for o in self._others().values())])
        write_text_atomically(os.path.join(self.folder, self.STOP), json.dumps({"step": target, "by": self.name}))
        return target

    def wait_for_others(self, step: int, give_up_at: float) -> float:
        """Publishes `step` and blocks until no unfinished run is behind it; returns the seconds waited."""
        self._write(step)
        start = time.monotonic()
        while time.monotonic() < give_up_at:
            others = self._others().values()
            now = time.time()
            if all(o["done"] or o["step"] >= step or now - o["t"] > self.STALE_S for o in others):
                break
            time.sleep(self.WAIT_S)
        return time.monotonic() - start

    def finish(self, step: int) -> None:
        self._write(step, done=True)


def peak_device_bytes() -> int | None:
    import jax

    try:
        stats = jax.local_devices()[0].memory_stats()  # None on CPU
    except Exception:  # noqa: BLE001  (a backend without memory statistics)
        stats = None
    return int(stats["peak_bytes_in_use"]) if stats and "peak_bytes_in_use" in stats else None


# ---------------------------------------------------------------------------------------------------
# The run: the library's config, models, trainer and step; the kit adds noise drawn from the step and
# sampling in chunks of one compiled shape.

def kit_run(args: argparse.Namespace, classes: list[str], precision: str | None = None) -> RunConfig:
    """The kit's run in the train scripts' terms, as `train_wavegan.py --data_first_slice --data_pad_end`
    with the kit's --dim, --disc_nupdates, --phaseshuffle, --batch and --precision would configure it
    (WGAN-GP); its config.json goes into --ckpt_dir."""
    from wavegan import registry

    kind = registry.get("wavegan")
    model = kind.config_class(dim=args.dim, disc_nupdates=args.disc_nupdates, disc_phaseshuffle=args.phaseshuffle,
                              loss="wgan-gp").validate()
    data = DataConfig(sample_rate=SAMPLE_RATE, slice_len=SLICE_LEN, first_slice=True, pad_end=True,
                      labels="" if args.labels == "none" else args.labels, classes=list(classes)).resolved()
    train = TrainConfig(batch_size=args.batch, precision=precision or args.precision).validate()
    return RunConfig(model_type=kind.name, data=data, model=model, train=train)


def build_trainer(run: RunConfig, seed: int):
    """The run's models and trainer, as the train mode builds them (`wavegan.train.trainer.make_trainer`
    with the kind's models), under the run's precision."""
    from wavegan import registry
    from wavegan.train.precision import dtype_policy
    from wavegan.train.trainer import make_trainer

    # Initial weights and phase shuffle's RNG from --seed (Keras draws their seeds from Python's random), so
    # a fresh run is reproducible and a resumed one can be checked against an uninterrupted one.
    # keras.utils.set_random_seed would do it too, but it imports TensorFlow wherever it is installed.
    random.seed(seed)
    with dtype_policy(run.train.precision):
        return make_trainer(run, registry.get(run.model_type).gan(None), seed=seed)


def make_iteration(trainer, batch: int, noise_seed: int):
    """jit((state, corpus, idx, step[, labels]) → (state, logs)): one WaveGAN iteration of
    `wavegan.train.step_jax`, its noise drawn on the device from (noise_seed, step) so a resumed run draws
    what it would have. A conditional trainer takes every clip's class id (`labels` [n_clips]): each real
    slice keeps its own, as `make_train_dataset` pairs them."""
    import jax

    from wavegan.train import step_jax

    step_fn = step_jax.make_step(trainer)
    n, latent = trainer.disc_nupdates, trainer.latent_dim

    def iteration(state, corpus, idx, step, labels=None):
        k1, k2, k3 = jax.random.split(jax.random.fold_in(jax.random.key(noise_seed), step), 3)
        noise = {"critic_z": jax.random.uniform(k1, (n, batch, latent), minval=-1.0, maxval=1.0),
                 "alpha": jax.random.uniform(k2, (n, batch)),
                 "generator_z": jax.random.uniform(k3, (batch, latent), minval=-1.0, maxval=1.0)}
        # The corpus is an argument, not a closure constant, so it is not baked into the program.
        if labels is None:
            return step_fn(state, corpus[idx][..., None], noise)
        return step_fn(state, corpus[idx][..., None], noise, labels[idx])

    return jax.jit(iteration, donate_argnums=0)


def make_generate(trainer):
    import jax

    generator = trainer.generator

    def generate(g_trainable, g_non_trainable, z, labels=None):
        given = {} if labels is None else {"labels": labels}
        audio, _ = generator.stateless_call(g_trainable, g_non_trainable, z, training=False, **given)
        return audio[..., 0]

    return jax.jit(generate)


def sample(generate, state: dict, z: np.ndarray, num_classes: int = 0) -> np.ndarray:
    """int16 clips [n, slice_len] for latents z (latent i asking for class i mod num_classes when the model
    is conditional, `cycled_labels`), run in chunks of GEN_CHUNK (one compiled shape), quantised as the
    exported models' G_z_int16 (`quantize_int16`)."""
    from wavegan.audio.pcm import quantize_int16

    out = []
    labels = cycled_labels(len(z), num_classes) if num_classes else None
    for k in range(0, len(z), GEN_CHUNK):
        chunk = z[k:k + GEN_CHUNK]
        padded = np.concatenate([chunk, np.zeros((GEN_CHUNK - len(chunk), z.shape[1]), z.dtype)])
        extra = () if labels is None else (np.resize(labels[k:k + GEN_CHUNK], GEN_CHUNK),)  # padded as z
        audio = np.asarray(generate(state["g_trainable"], state["g_non_trainable"], padded, *extra))
        out.append(np.asarray(quantize_int16(audio[:len(chunk)])))
    return np.concatenate(out)


# ---------------------------------------------------------------------------------------------------
# Measurements

def iteration_figures(args, seconds: float) -> dict:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from train import forward_flops, iteration_flops  # bench/train.py: FLOPs from the layer shapes

    flops = iteration_flops(*forward_flops(args.dim, SLICE_LEN), args.batch, args.disc_nupdates)
    return {"s_per_iter": seconds, "examples_per_s": args.batch * (args.disc_nupdates + 1) / seconds,
            "tflop_per_iter": flops / 1e12, "tflop_per_s": flops / seconds / 1e12}


def bench_generation(generate, state: dict, z_bank: np.ndarray, batches: list[int], min_s: float = 1.0,
                     num_classes: int = 0) -> dict:
    import jax

    results = {}
    for batch in batches:
        z = np.resize(z_bank, (batch, z_bank.shape[1]))
        extra = () if not num_classes else (cycled_labels(batch, num_classes),)
        for _ in range(2):
            jax.block_until_ready(generate(state["g_trainable"], state["g_non_trainable"], z, *extra))
        times, start = [], time.perf_counter()
        while len(times) < 3 or (time.perf_counter() - start < min_s and len(times) < 200):
            t = time.perf_counter()
            jax.block_until_ready(generate(state["g_trainable"], state["g_non_trainable"], z, *extra))
            times.append(time.perf_counter() - t)
        clips_per_s = batch / statistics.median(times)
        results[str(batch)] = {"clips_per_s": clips_per_s, "realtime_factor": clips_per_s * SLICE_LEN / SAMPLE_RATE,
                               "calls": len(times)}
    return results


def bench_precision(args, precision: str, corpus, iterations: int, classes: list[str], labels: tuple = ()) -> dict:
    """Seconds per iteration of a fresh model under `precision` (the trained run is not touched)."""
    import jax
    import jax.numpy as jnp

    from wavegan.train import step_jax

    trainer = build_trainer(kit_run(args, classes, precision), args.seed)
    iteration = make_iteration(trainer, args.batch, args.noise_seed)
    state = jax.tree.map(lambda v: jnp.array(v), step_jax.get_state(trainer))
    feed = EpochFeed(corpus.shape[0], seed=args.seed + 1)
    start = time.perf_counter()
    state, logs = iteration(state, corpus, feed.next((args.batch, args.disc_nupdates)), np.int32(0), *labels)
    jax.block_until_ready(logs)
    compile_s = time.perf_counter() - start
    times = []
    for i in range(1 + iterations):  # one more warm-up, then the timed ones
        t = time.perf_counter()
        state, logs = iteration(state, corpus, feed.next((args.batch, args.disc_nupdates)), np.int32(i + 1), *labels)
        jax.block_until_ready(logs)
        times.append(time.perf_counter() - t)
    result = {"precision": precision, "compile_s": compile_s, "iterations_timed": iterations,
              **iteration_figures(args, statistics.median(times[1:])),
              "d_loss_finite": bool(np.isfinite(float(logs["d_loss"]))),
              "peak_device_bytes_so_far": peak_device_bytes()}
    z = sample_latents(max(args.gen_batches, default=1), trainer.latent_dim, args.z_seed)
    result["generation"] = bench_generation(make_generate(trainer), state, z, args.gen_batches,
                                            num_classes=len(classes))
    return result


# ---------------------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.environ.get("OUT"), help="folder that comes back (default: $OUT)")
    parser.add_argument("--kit", default=KIT_DIR, help="the carried folder bench/gpu_kit_prepare.py filled")
    parser.add_argument("--corpus", help=f"corpus .npz (default: KIT/{CORPUS_FILE})")
    parser.add_argument("--wheels", default="auto",
                        help="folder of wheels to install first; 'auto': KIT/wheels; 'none': use what is installed")
    parser.add_argument("--site", default=SITE_DIR, help="where the wheels are installed")
    parser.add_argument("--ckpt_dir", default=CKPT_DIR,
                        help="checkpoints on the machine's disk; a second command resumes")
    parser.add_argument("--jax_cache", default=JAX_CACHE_DIR,
                        help="JAX's persistent compilation cache: a second command on a warm machine skips the "
                             "compile ('' turns it off)")
    parser.add_argument("--budget_s", type=float, default=530.0,
                        help="seconds from start this command may take; keep it under the run's timeout_s")
    parser.add_argument("--reserve_s", type=float, default=40.0,
                        help="kept back for the last save, sampling and packing")
    parser.add_argument("--max_iters", type=int, default=None,
                        help="stop after this many iterations (0: sample and benchmark only)")
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--phaseshuffle", type=int, default=2)
    parser.add_argument("--disc_nupdates", type=int, default=5)
    parser.add_argument("--precision", default="float32", choices=["float32", "mixed_bfloat16"])
    parser.add_argument("--labels", default="none", choices=["none", "prefix"],
                        help="label-conditional WaveGAN on the clips' name prefixes (Seven_...), as --data_labels")
    parser.add_argument("--stop_step", type=int, default=None, help="stop once the run (all commands) reaches this step")
    parser.add_argument("--save_steps", type=int, default=0,
                        help="checkpoint (and sample) at every multiple of this step instead of every --save_secs")
    parser.add_argument("--clip_files", type=int, default=CLIP_FILES_MAX, help="clip files written to --out at most")
    parser.add_argument("--clip_mib", type=float, default=CLIP_TOTAL_BYTES / 2**20,
                        help="MiB of clip files written to --out at most")
    parser.add_argument("--group", default=None,
                        help="a folder shared by runs trained side by side in lockstep (bench/gpu_kit_multi.py): "
                             "no run starts a block of iterations before every other has reached its step, "
                             "and all stop at the same step")
    parser.add_argument("--group_size", type=int, default=1, help="runs in --group")
    parser.add_argument("--matmul_precision", default=None, choices=["default", "high", "highest"],
                        help="jax_default_matmul_precision: JAX lets float32 convolutions use TF32 on NVIDIA GPUs "
                             "unless this is 'highest' (unset: JAX's own default, recorded in figures.json)")
    parser.add_argument("--seed", type=int, default=0, help="weights and data order")
    parser.add_argument("--noise_seed", type=int, default=1, help="the training latents and penalty weights")
    parser.add_argument("--z_seed", type=int, default=1234, help="the fixed latents every checkpoint is sampled from")
    parser.add_argument("--save_secs", type=float, default=150.0, help="checkpoint (and sample) this often")
    parser.add_argument("--curve_n", type=int, default=200, help="clips sampled at each checkpoint for an incept curve")
    parser.add_argument("--final_n", type=int, default=1200, help="clips sampled at the command's last checkpoint")
    parser.add_argument("--sync_every", type=int, default=10, help="iterations between host syncs (timing, deadline)")
    parser.add_argument("--gen_batches", type=int, nargs="*", default=[1, 64], help="generation benchmark batch sizes")
    parser.add_argument("--bench", nargs="*", default=[], choices=["float32", "mixed_bfloat16"],
                        help="after training, time a fresh model under these precisions")
    parser.add_argument("--bench_iters", type=int, default=20)
    parser.add_argument("--bench_reserve_s", type=float, default=150.0,
                        help="kept back for each --bench precision (its compile dominates)")
    args = parser.parse_args(argv)
    if not args.out:
        parser.error("--out is required where $OUT is unset")
    if args.corpus is None:
        args.corpus = os.path.join(args.kit, CORPUS_FILE)
    if args.wheels == "auto":
        args.wheels = os.path.join(args.kit, WHEELS_SUBDIR)
    if args.final_n < 1 or args.curve_n < 0:
        parser.error("--final_n must be at least 1 and --curve_n at least 0")
    if args.save_steps and args.save_steps % args.sync_every:
        parser.error("--save_steps must be a multiple of --sync_every")
    return args


def training_budget_s(args: argparse.Namespace) -> float:
    """Seconds from the start that training may run before the save, samples and benchmarks."""
    return args.budget_s - args.reserve_s - args.bench_reserve_s * len(args.bench)


def main(argv: list[str] | None = None) -> int:
    t0 = time.monotonic()
    args = parse_args(argv)
    try:
        return run(args, t0)
    except UserError as e:
        print(f"gpu_kit: {e}", file=sys.stderr)
        return 2


def run(args: argparse.Namespace, t0: float) -> int:
    if training_budget_s(args) <= 0 and args.max_iters != 0:
        raise UserError(f"--budget_s {args.budget_s} leaves no time to train after --reserve_s and --bench_reserve_s: "
                        "raise it (keep it under the run's timeout_s) or lower those.")
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(os.path.join(args.ckpt_dir, "samples"), exist_ok=True)
    wheels = install_wheels(args.wheels, args.site) if args.wheels != "none" else []
    if os.environ.setdefault("KERAS_BACKEND", "jax") != "jax":
        raise UserError(f"KERAS_BACKEND is {os.environ['KERAS_BACKEND']}: the kit runs the JAX step; unset it.")
    import jax
    import jax.numpy as jnp
    import keras

    from wavegan.train import step_jax

    if args.jax_cache:
        jax.config.update("jax_compilation_cache_dir", args.jax_cache)
    if args.matmul_precision:
        jax.config.update("jax_default_matmul_precision", args.matmul_precision)
    device = jax.local_devices()[0]
    figures: dict = {
        "command": " ".join(sys.argv), "wheels_installed": wheels,
        "device": {"platform": device.platform, "kind": device.device_kind, "count": jax.local_device_count()},
        "versions": {"python": platform.python_version(), "jax": jax.__version__, "keras": keras.__version__,
                     "numpy": np.__version__},
    }

    def write_figures() -> None:
        figures["tensorflow_in_sys_modules"] = "tensorflow" in sys.modules
        figures["wall_s"] = time.monotonic() - t0
        write_text_atomically(os.path.join(args.out, FIGURES), json.dumps(figures, indent=1, sort_keys=True))

    corpus_np, names = load_corpus(args.corpus)
    corpus = jax.device_put(corpus_np)
    classes, label_ids = class_ids(names, args.labels)
    labels = () if label_ids is None else (jax.device_put(label_ids),)
    if classes:
        figures["classes"] = classes
        print(f"gpu_kit: {len(classes)} classes: {', '.join(classes)}", flush=True)
    figures["corpus"] = {"clips": len(names), "file": os.path.basename(args.corpus),
                         "mib": os.path.getsize(args.corpus) / 2**20}
    del corpus_np

    run_config = kit_run(args, classes)
    figures["config"] = {"dim": run_config.model.dim, "latent_dim": run_config.model.latent_dim,
                         "slice_len": run_config.data.slice_len, "loss": run_config.model.loss, "batch": args.batch,
                         "phaseshuffle": args.phaseshuffle, "disc_nupdates": args.disc_nupdates,
                         "precision": args.precision,
                         "jax_default_matmul_precision": jax.config.jax_default_matmul_precision}
    try:  # config.json, as in a train dir: a --ckpt_dir holding another model (or other classes) is refused
        save_run_config(args.ckpt_dir, run_config)
    except UserError as e:  # said in the train scripts' terms
        raise UserError(f"{str(e).rstrip('.')} (here: the same --dim and --labels, or another --ckpt_dir).") from e
    trainer = build_trainer(run_config, args.seed)
    template = step_jax.get_state(trainer)
    meta = state_files.load_meta(args.ckpt_dir)
    if meta is None:
        state = jax.tree.map(lambda v: jnp.array(v), template)  # copies: the step donates its input
        meta = {"step": 0, "commands": [], "samples": []}
        feed = EpochFeed(len(names), seed=args.seed)
    else:
        state = jax.device_put(state_files.restore(args.ckpt_dir, meta, template))
        if meta["feed"]["n_clips"] != len(names):
            raise UserError(f"{args.ckpt_dir} was trained on {meta['feed']['n_clips']} clips, the corpus has "
                            f"{len(names)}: carry the same corpus or pass another --ckpt_dir.")
        feed = EpochFeed(len(names), meta["feed"]["seed"], meta["feed"]["epoch"], meta["feed"]["position"])
    del template
    step = step_start = int(meta["step"])
    where = f"resuming at step {step}" if step else "new run"
    print(f"gpu_kit: {device.device_kind}, {len(names)} clips, {where} in {args.ckpt_dir}", flush=True)

    iteration = make_iteration(trainer, args.batch, args.noise_seed)
    generate = make_generate(trainer)
    z_bank = sample_latents(max(args.final_n, args.curve_n), trainer.latent_dim, args.z_seed)
    command = {"started_unix": time.time(), "device": device.device_kind, "step_start": step_start,
               "precision": args.precision, "batch": args.batch}
    train_figures: dict = {"precision": args.precision, "step_start": step_start, "losses": [], "checkpoints": []}
    figures["train"] = train_figures
    samples_taken: list[tuple[int, str]] = []

    def checkpoint(n_clips: int) -> None:
        t = time.perf_counter()
        clips = sample(generate, state, z_bank[:n_clips], len(classes))
        sample_file = os.path.join("samples", f"step_{step:08d}.npy")
        np.save(os.path.join(args.ckpt_dir, sample_file), clips)
        meta["feed"] = feed.state()
        meta["samples"] = [s for s in meta["samples"] if s["step"] != step] + [{"step": step, "n": n_clips,
                                                                               "file": sample_file}]
        meta["noise_seed"], meta["z_seed"] = args.noise_seed, args.z_seed
        name = state_files.save(args.ckpt_dir, state, meta, step, CHECKPOINTS_KEPT)
        samples_taken[:] = [s for s in samples_taken if s[0] != step] + [(step, sample_file)]
        train_figures["checkpoints"].append({"step": step, "file": name, "clips": n_clips,
                                             "seconds": time.perf_counter() - t})

    stop_at = t0 + training_budget_s(args)
    group = None
    if args.group:
        group = Lockstep(args.group, os.path.basename(os.path.normpath(args.ckpt_dir)), args.group_size)
        group.register(step)
        train_figures["group"] = {"folder": args.group, "size": args.group_size, "waited_s": 0.0}
    # A group member past its own deadline by this much stops even without the leader's word.
    give_up_at = stop_at + (60.0 if group else 0.0)
    windows, stopped, logs, last_save = [], "budget", None, time.monotonic()
    train_start = time.monotonic()
    compile_s = None
    if time.monotonic() > stop_at:
        stopped = "no time left for training"
    while stopped == "budget":
        if args.max_iters is not None and step - step_start >= args.max_iters:
            stopped = "max_iters"
            break
        if args.stop_step is not None and step >= args.stop_step:
            stopped = "stop_step"
            break
        target = group.stop_step() if group else None
        if target is not None and step >= target:
            stopped = "group stop"
            break
        todo = 1 if compile_s is None else args.sync_every
        if args.max_iters is not None:
            todo = min(todo, args.max_iters - (step - step_start))
        for cap in (args.stop_step, target):
            if cap is not None:
                todo = min(todo, cap - step)
        if args.save_steps:  # land on every multiple, so runs side by side sample the same steps
            todo = min(todo, args.save_steps - step % args.save_steps)
        if group:
            train_figures["group"]["waited_s"] += group.wait_for_others(step, give_up_at)
        t = time.perf_counter()
        for _ in range(todo):
            state, logs = iteration(state, corpus, feed.next((args.batch, args.disc_nupdates)), np.int32(step),
                                    *labels)
            step += 1
        values = {k: float(v) for k, v in jax.device_get(logs).items()}  # waits for the device
        elapsed = time.perf_counter() - t
        if compile_s is None:
            compile_s = elapsed
        else:
            windows.append(elapsed / todo)
        train_figures["losses"].append({"step": step, **values})
        if not all(np.isfinite(list(values.values()))):
            stopped = "non-finite loss"
            break
        now = time.monotonic()
        if len(train_figures["losses"]) % 10 == 1:
            rate = f"{windows[-1]:.3f} s/iter" if windows else f"first iteration (compile) {compile_s:.1f} s"
            print(f"step {step}: {rate}, d_loss {values['d_loss']:.3f}, g_loss {values['g_loss']:.3f}, "
                  f"gp {values['gradient_penalty']:.3f}, {now - t0:.0f} s in", flush=True)
        if args.save_steps and step % args.save_steps == 0:
            checkpoint(args.curve_n)
            last_save = time.monotonic()
        elif not args.save_steps and now - last_save > args.save_secs:
            checkpoint(args.curve_n)
            last_save = time.monotonic()
        window = windows[-1] * args.sync_every if windows else elapsed
        if group is None:
            if now + 1.2 * window > stop_at:
                break
        elif now > give_up_at:
            stopped = "group member out of time"
            break
        elif now + 1.2 * window > stop_at and group.leader and group.stop_step() is None:
            group.call_stop(step)
    if group:
        group.finish(step)
    trained = step - step_start
    train_figures.update(step_end=step, iterations=trained, stopped=stopped, compile_s=compile_s,
                         train_s=time.monotonic() - train_start, peak_device_bytes=peak_device_bytes())
    if windows:
        train_figures.update(iteration_figures(args, statistics.median(windows)),
                             s_per_iter_mean=statistics.fmean(windows), windows=len(windows))
    if stopped != "non-finite loss":  # a diverged state is not worth resuming; its earlier samples still go back
        checkpoint(args.final_n)
    command.update(step_end=step, iterations=trained, train_s=train_figures["train_s"],
                   s_per_iter=train_figures.get("s_per_iter"))
    meta["commands"].append(command)
    state_files.write_meta(args.ckpt_dir, meta)
    figures["commands"] = meta["commands"]

    # The clips first (they are what a command killed at its limit must not lose), then the benchmarks.
    entries = []
    for sample_step, sample_file in reversed(samples_taken):  # newest (the final_n one) first
        entries.append((sample_step, np.load(os.path.join(args.ckpt_dir, sample_file))))
    figures["clips"] = pack_clips(entries, args.out, args.z_seed, max_files=args.clip_files,
                                  max_total_bytes=min(CLIP_TOTAL_BYTES, int(args.clip_mib * 2**20)), classes=classes)
    write_figures()
    print(f"gpu_kit: step {step_start} → {step} ({trained} iterations, stopped: {stopped}); clips of steps "
          f"{figures['clips']['clips_per_step']} in {figures['clips']['files']}", flush=True)

    if args.gen_batches:
        figures["generation"] = {args.precision: bench_generation(generate, state, z_bank, args.gen_batches,
                                                                  num_classes=len(classes))}
        write_figures()
    figures["bench"] = {}
    for precision in args.bench:
        if time.monotonic() + args.bench_reserve_s > t0 + args.budget_s:
            figures["bench"][precision] = {"skipped": f"less than --bench_reserve_s {args.bench_reserve_s} s left"}
            continue
        figures["bench"][precision] = bench_precision(args, precision, corpus, args.bench_iters, classes, labels)
        write_figures()
        print(f"gpu_kit: {precision}: {figures['bench'][precision]['s_per_iter']:.4f} s/iter", flush=True)
    figures["peak_device_bytes"] = peak_device_bytes()
    write_figures()
    problems = check_out_limits(args.out)
    if problems:
        print("gpu_kit: the device tool would not bring all of --out back: " + "; ".join(problems), file=sys.stderr)
        return 1
    print(json.dumps({k: figures["train"].get(k) for k in ("step_end", "iterations", "s_per_iter", "examples_per_s",
                                                            "compile_s", "peak_device_bytes")}), flush=True)
    if stopped == "non-finite loss":
        print("gpu_kit: training stopped on a non-finite loss.", file=sys.stderr)
        return 1
    if trained == 0 and args.max_iters != 0:
        print("gpu_kit: no iteration was trained: raise --budget_s or lower --reserve_s/--bench_reserve_s.",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
