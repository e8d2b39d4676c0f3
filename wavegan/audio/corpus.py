"""A prepared corpus: every audio file decoded once, at the training rate and channel count, into a
raw sample file that TensorFlow reads natively (no Python, no decoder) in later epochs and runs.

Each source file becomes one file in the corpus folder, named after the source's path, size and
modification time and the rate and channel count it was decoded for, so a second run (or a grown
folder) decodes only what it has not seen. The samples are stored before peak normalisation, as 16-bit
integers when that holds them exactly (16-bit sources at the training rate: half the size) and as
float32 otherwise; normalisation happens when reading, with the same division as the decoder's, so
what the pipeline slices is what `audio.decode_audio` returns, bit for bit. The pipeline around it
(per-epoch file shuffle, random offsets, framing, reference §6.2) is data.py's, unchanged.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from typing import Sequence

import numpy as np
import tensorflow as tf

from wavegan.audio import files as audio
from wavegan.config import DataConfig
from wavegan.errors import UserError

log = logging.getLogger("wavegan")

INT16_SUFFIX, FLOAT32_SUFFIX = ".i16", ".f32"
MIN_FILES_FOR_PROCESSES = 16


def entry_name(info: audio.AudioFileInfo, cfg: DataConfig) -> str:
    """The corpus file stem for one source file decoded under `cfg` (changes when the source does)."""
    stat = os.stat(info.path)
    key = f"{os.path.abspath(info.path)}|{stat.st_size}|{stat.st_mtime_ns}|{cfg.sample_rate}|{cfg.num_channels}"
    return hashlib.sha1(key.encode()).hexdigest()


def encode(samples: np.ndarray) -> tuple[bytes, str]:
    """float32 samples → (raw bytes, suffix): int16 when every sample is an exact multiple of 2⁻¹⁵."""
    scaled = samples * 32768.0
    if scaled.size and np.all(scaled == np.round(scaled)) and scaled.min() >= -32768 and scaled.max() <= 32767:
        return scaled.astype("<i2").tobytes(), INT16_SUFFIX
    return samples.astype("<f4").tobytes(), FLOAT32_SUFFIX


def _prepare_one(path: str, target: str, sample_rate: int, num_channels: int) -> str | None:
    """Decodes one file into `target` + suffix; returns the written path, None when it is not audio."""
    try:
        samples = audio.decode_audio(path, sample_rate, num_channels, normalize=False)
    except Exception as e:
        log.warning("Skipping %s: it could not be decoded (%s).", path, audio.error_summary(e))
        return None
    payload, suffix = encode(samples)
    # Written whole under a temporary name, so a killed run never leaves a truncated entry behind.
    with open(target + suffix + ".tmp", "wb") as f:
        f.write(payload)
    os.replace(target + suffix + ".tmp", target + suffix)
    return target + suffix


def prepare(files: Sequence[audio.AudioFileInfo], cfg: DataConfig, processes: int = -1) -> list[str]:
    """Decodes what `cfg.prepared` does not hold yet (in `processes` workers, negative: one per core);
    returns the corpus files, in the order of `files`."""
    folder = cfg.prepared
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise UserError(f"Cannot create the prepared corpus folder {folder} ({e}): pass another --data_prepared.")
    targets = [os.path.join(folder, entry_name(info, cfg)) for info in files]
    ready = {t: next((t + s for s in (INT16_SUFFIX, FLOAT32_SUFFIX) if os.path.exists(t + s)), None) for t in targets}
    todo = [(info.path, t) for info, t in zip(files, targets) if ready[t] is None]
    if todo:
        start = time.time()
        log.info("Preparing the corpus in %s: decoding %d of %d files once.", folder, len(todo), len(files))
        args = [(path, t, cfg.sample_rate, cfg.num_channels) for path, t in todo]
        # Starting the workers takes about a second: not worth it for a handful of files.
        pool = audio.decoder_pool(processes) if len(todo) >= MIN_FILES_FOR_PROCESSES else None
        if pool is None:
            written = [_prepare_one(*a) for a in args]
        else:
            with pool:
                written = list(pool.map(_prepare_one, *zip(*args), chunksize=8))
        ready.update({t: w for (_, t), w in zip(todo, written)})
        log.info("Prepared %d files in %.0f s.", sum(w is not None for w in written), time.time() - start)
    entries = [ready[t] for t in targets if ready[t] is not None]
    if not entries:
        raise UserError(f"None of the {len(files)} audio files could be decoded into {folder}: replace them "
                        "with valid audio.")
    return entries


def read(path: tf.Tensor, cfg: DataConfig) -> tf.Tensor:
    """One corpus file → float32 [samples, num_channels], peak-normalised when cfg.normalize (in graph)."""
    contents = tf.io.read_file(path)
    samples = tf.cond(tf.strings.regex_full_match(path, r".*\.i16"),
                      lambda: tf.cast(tf.io.decode_raw(contents, tf.int16), tf.float32) / 32768.0,
                      lambda: tf.io.decode_raw(contents, tf.float32))
    samples = tf.reshape(samples, [-1, cfg.num_channels])
    if cfg.normalize:
        # x / peak in float32, as audio.peak_normalize computes it; silence stays silence. The peak from
        # two reductions, the same value as max |x| without writing |x| out for a whole file.
        peak = tf.maximum(tf.reduce_max(samples), -tf.reduce_min(samples))
        samples = tf.math.divide_no_nan(samples, peak)
    return samples
