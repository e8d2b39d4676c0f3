"""train_wavenet.py's modes: train (reference §B4–6), generate (§7) and infer (a SavedModel)."""

from __future__ import annotations

import json
import math
import os
import warnings
from typing import Callable

import keras
import numpy as np

from wavegan.audio import categories
from wavegan.audio import pipeline as data
from wavegan.audio import mulaw
from wavegan.audio import split as splitting
from wavegan.train import checkpoints, supervised, validation
from wavegan.train.losses import TF1RMSprop
from wavegan.config import RunConfig
from wavegan.errors import UserError
from wavegan.audio.pcm import quantize_int16
from wavegan.serve.generate import numbered_wav_writer
from wavenet import generation
from wavenet.config import WaveNetConfig
from wavenet.data import make_dataset, piece_config
from wavenet.models import WaveNet


def build_model(run: RunConfig) -> WaveNet:
    model = WaveNet(**run.model.model_kwargs(), l2_regularization_strength=run.model.l2_regularization_strength,
                    name="wavenet")
    return model.build_for()


def make_optimizer(cfg: WaveNetConfig) -> keras.optimizers.Optimizer:
    """reference §B4: Adam with ε 1e-4; heavy-ball momentum SGD; TF1's RMSProp (accumulators from ones)
    with decay 0.9, momentum and ε 1e-5. No clipping, no schedule."""
    if cfg.optimizer == "adam":
        return keras.optimizers.Adam(cfg.learning_rate, epsilon=1e-4)
    if cfg.optimizer == "sgd":
        return keras.optimizers.SGD(cfg.learning_rate, momentum=cfg.momentum)
    return TF1RMSprop(cfg.learning_rate, rho=0.9, momentum=cfg.momentum, epsilon=1e-5)


def make_loss() -> keras.losses.Loss:
    """reference §B4: softmax cross-entropy on the logits (natural log), averaged over every batch item and
    every target position (receptive_field … T − 1 of each piece, wavenet/data.py: to_training_pair)."""
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def train(train_dir: str, run: RunConfig, print_fn: Callable[[str], None] = print, on_start=None) -> int:
    from wavegan import config

    run.data = piece_config(run.data, run.model.receptive_field, run.model.sample_size)
    split = splitting.split_files(data.prepare_files(run.data, run.train.batch_size), run.data, train_dir)
    files = split.train
    if run.model.gc_channels:
        # Every file's category, held-out ones too, so that each has an id (one held out whole keeps an
        # embedding that never trains).
        names = categories.category_names([f.path for f in files + split.valid], run.model.gc_source)
        previous = run.model.gc_categories
        if previous and previous != names:
            raise UserError(f"{train_dir} was trained on the categories {previous}, but --data_dir now has {names}: "
                            "use the same data or a new train_dir.")
        run.model.gc_categories = names
        print_fn(f"Global conditioning on {len(names)} categories ({', '.join(names[:12])}"
                 f"{', ...' if len(names) > 12 else ''}): --gc_cardinality={run.model.gc_cardinality}")
    config.save_run_config(train_dir, run)
    print_fn(f"Receptive field: {run.model.receptive_field} samples "
             f"({1000 * run.model.receptive_field / run.data.sample_rate:.1f} ms)")
    model = build_model(run)
    dataset = make_dataset(files, run.data, run.model, run.train.batch_size)
    # The last block's residual output feeds nothing, as in the original (§2.3): not worth a warning.
    warnings.filterwarnings("ignore", message=r"Gradients do not exist for variables \['wavenet/layer\d+/dense'")
    loss = make_loss()
    evaluator = None
    if split.valid:
        # The held-out negative log-likelihood: the mean cross-entropy (nats) of the targets of the first
        # --train_valid_n held-out pieces, in bits.
        batches = math.ceil(run.train.valid_n / run.train.batch_size)
        held_out = make_dataset(split.valid, run.data, run.model, run.train.batch_size, training=False).take(batches)
        evaluator = validation.HeldOutLoss(model, lambda: held_out, loss, "nll_bits_per_sample", 1.0 / math.log(2.0))
    return supervised.train_model(train_dir, run, model, make_optimizer(run.model), loss, dataset, print_fn,
                                  split.recording(train_dir, on_start), evaluator)


def open_model(source: str, checkpoint: str | None = None):
    """(model, run, step, checkpoint) from a train dir or a checkpoint prefix inside one."""
    return checkpoints.load_model(source, build_model, "wavenet", checkpoint)


def category_ids(run: RunConfig, n: int, category: str | None) -> np.ndarray | None:
    """The conditioning id of each clip: the chosen category, or all of them in turn."""
    if not run.model.gc_channels:
        if category is not None:
            raise UserError("--generate_category needs a model trained with --wavenet_gc_channels.")
        return None
    cats = run.model.gc_categories
    if category is not None:
        return np.full(n, categories.category_id(category, cats, run.model.gc_source), np.int32)
    ids = [categories.category_id(c, cats, run.model.gc_source) for c in cats]
    return np.array([ids[i % len(ids)] for i in range(n)], np.int32)


def generate_clips(model, run: RunConfig, n: int, samples: int, temperature: float = 1.0, seed: int = 0,
                   wav_seed: str | None = None, category: str | None = None, fast: bool = True,
                   batch_size: int = 64, keep_seed: bool = False,
                   on_batch: Callable[[int, np.ndarray], None] | None = None,
                   print_fn: Callable[[str], None] | None = None) -> np.ndarray:
    """n float clips [n, samples] (plus the context with `keep_seed`), batch by batch; each batch gets
    its own random stream (seed + batch index) so that any batch size gives reproducible files."""
    if n < 1 or samples < 1 or batch_size < 1:
        raise UserError("--generate_n, --generate_samples and --generate_batch_size must be at least 1.")
    seed_classes = generation.seed_classes(wav_seed, model, run.data.sample_rate) if wav_seed else None
    ids = category_ids(run, n, category)
    clips = []
    for start in range(0, n, batch_size):
        count = min(batch_size, n - start)
        progress = generation.progress_printer(samples, print_fn) if print_fn else None
        classes = generation.generate(model, count, samples, temperature, seed + start, seed_classes,
                                      None if ids is None else ids[start:start + count], fast, progress)
        if keep_seed:
            context = generation.initial_context(model, count, np.random.default_rng(seed + start), seed_classes)
            classes = np.concatenate([context, classes], axis=1)
        audio = mulaw.decode_np(classes, model.quantization_channels)
        if on_batch:
            on_batch(start, audio)
        clips.append(audio)
    return np.concatenate(clips)


def generate(source: str, out_dir: str | None, n: int, samples: int, temperature: float, seed: int,
             wav_seed: str | None, category: str | None, fast: bool, batch_size: int, keep_seed: bool,
             print_fn: Callable[[str], None] = print) -> list[str]:
    model, run, step, path = open_model(source)
    out_dir, paths, write = numbered_wav_writer(source, out_dir, run.data.sample_rate, n, print_fn)
    print_fn(f"Generating {n} clips of {samples} samples from {path} (step {step}) with the "
             f"{'fast' if fast else 'naive'} algorithm, temperature {temperature}")
    generate_clips(model, run, n, samples, temperature, seed, wav_seed, category, fast, batch_size, keep_seed,
                   on_batch=write, print_fn=print_fn)
    ids = category_ids(run, n, category)
    if ids is not None:
        names = {categories.category_id(c, run.model.gc_categories, run.model.gc_source): c
                 for c in run.model.gc_categories}
        with open(os.path.join(out_dir, "categories.json"), "w") as f:
            json.dump({os.path.basename(p): names[int(i)] for p, i in zip(paths, ids)}, f, indent=1)
    return paths



def clips_for_scoring(source: str, n: int, seed: int, samples: int = 16384) -> np.ndarray:
    """eval.score --model: n clips from the newest checkpoint, fast algorithm, categories in turn, in
    batches of 256 (per sample, a large batch costs little more than a small one)."""
    model, run, _, _ = open_model(source)
    clips = generate_clips(model, run, n, samples, seed=seed, batch_size=256)
    return np.asarray(quantize_int16(clips)).astype(np.float32) / 32768.0  # as the written WAVs decode
