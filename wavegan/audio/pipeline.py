"""The tf.data pipeline shared by WaveGAN and SpecGAN: files → audio → slices → shuffled batches.

reference §6.2 semantics: per file (every epoch) an optional random start offset, framing with
`slice_len` and `hop`, the zero-padded partial last slice kept only with `pad_end`, only the first
slice with `first_slice`. The checks in `prepare_files` run before any model is built, so a folder
that cannot feed training stops with one sentence instead of hanging (the original's most reported
problem, reference §6.3).
"""

from __future__ import annotations

import logging
import math
import threading
from typing import Callable, Sequence

import numpy as np
import tensorflow as tf

from wavegan.audio import files as audio
from wavegan.audio import corpus
from wavegan.audio.slicing import expected_slices_per_epoch
from wavegan.config import DataConfig
from wavegan.errors import UserError

log = logging.getLogger("wavegan")

SHUFFLE_BUFFER_EXAMPLES = 4096
CACHE_SHUFFLE_FILES = 1024
# The original prefetched 4 × batch_size *batches* (256 × 64 × 16384 floats ≈ 1 GB); 4 × batch_size
# examples is what it meant.
PREFETCH_BATCHES_OF_EXAMPLES = 4
MIN_SLICES_PER_ROUND = 1024
# Fewer slices per pass than this and the pipeline decodes more than the whole corpus per slice: refused.
MIN_SLICES_PER_PASS = 1.0


def passes_per_round(files: Sequence[audio.AudioFileInfo], cfg: DataConfig) -> int:
    """Passes over the files that make one round of the repeated pipeline: enough for about
    MIN_SLICES_PER_ROUND slices. tf.data ends a repeat whose round is empty, which protects against a
    folder whose files all fail to decode, but a round of one pass over a few files can be empty by the
    chance of the random offsets alone, or yield less than a batch."""
    expected = expected_slices_per_epoch([f.frames_at(cfg.sample_rate) for f in files], cfg)
    return max(1, math.ceil(MIN_SLICES_PER_ROUND / expected)) if expected > 0 else 1


def prepare_files(cfg: DataConfig, batch_size: int) -> list[audio.AudioFileInfo]:
    """Finds and probes the audio under cfg.data_dir and stops early when it cannot feed training."""
    paths = audio.find_audio_files(cfg.data_dir)
    infos = []
    for info in audio.probe_audio_files(paths):
        if audio.channels_reconcilable(info.channels, cfg.num_channels):
            infos.append(info)
        else:
            log.warning("Skipping %s: it has %d channels and --data_num_channels is %d (only mixing down to "
                        "mono or duplicating mono is defined).", info.path, info.channels, cfg.num_channels)
    if not infos:
        raise UserError(f"None of the {len(paths)} audio files under {cfg.data_dir} could be read "
                        "(see the warnings above): replace them with valid audio.")
    if cfg.fast_wav:
        problems = audio.fast_wav_problems(infos, cfg.sample_rate)
        if problems:
            raise UserError(f"--data_fast_wav reads only 16-bit PCM WAV at --data_sample_rate, but "
                            f"{problems[0]} ({len(problems)} such files): drop --data_fast_wav.")
    lengths = [info.frames_at(cfg.sample_rate) for info in infos]
    n_short = sum(length < cfg.slice_len for length in lengths)
    expected = expected_slices_per_epoch(lengths, cfg)
    if expected < MIN_SLICES_PER_PASS:
        raise UserError(
            f"One pass over the {len(infos)} files yields on average {expected:.3g} slices of {cfg.slice_len} "
            f"samples at {cfg.sample_rate} Hz ({n_short} are shorter than one slice, and without --data_pad_end "
            "a partial slice is dropped): pass --data_first_slice --data_pad_end for short clips such as "
            "one-shots or spoken words, or --data_pad_end alone for longer recordings.")
    if expected < batch_size:
        log.info("One pass over the %d files yields about %.1f slices, fewer than one batch of %d: each batch "
                 "holds slices of several passes.", len(infos), expected, batch_size)
    if n_short and not cfg.pad_end:
        log.warning("%d of %d files are shorter than one %d-sample slice and are skipped without --data_pad_end.",
                    n_short, len(infos), cfg.slice_len)
    log.info("Found %d audio files (%.1f minutes at %d Hz, about %d slices per epoch), decoded with %s.",
             len(infos), sum(lengths) / cfg.sample_rate / 60, cfg.sample_rate, expected, audio.audio_backend())
    return infos


def random_offset(cfg: DataConfig, seed: int | None = None) -> tf.Tensor:
    """reference §6.2: the samples dropped from a file's start this epoch, uniform in [0, slice_len); 0 with
    first_slice."""
    if not cfg.random_offset:
        return tf.constant(0, tf.int32)
    return tf.random.uniform([], 0, cfg.slice_len, dtype=tf.int32, seed=seed)


def frame_audio(samples: tf.Tensor, start: tf.Tensor, cfg: DataConfig) -> tf.Tensor:
    """[n, channels] without its first `start` samples → [slices, slice_len, channels] (reference §6.2 framing)."""
    if cfg.first_slice:
        # The first frame of a zero-padded framing, in three ops instead of tf.signal.frame's dozen:
        # for short clips the per-file op count is what bounds the pipeline.
        first = samples[:cfg.slice_len]
        padded = tf.pad(first, [[0, cfg.slice_len - tf.shape(first)[0]], [0, 0]])[None]
        padded = tf.ensure_shape(padded, [1, cfg.slice_len, samples.shape[1]])  # the pad's width is a tensor
        return padded[:tf.minimum(tf.shape(samples)[0], 1)]  # nothing from a file that decoded to nothing
    channels = samples.shape[1] if samples.shape[1] is not None else cfg.num_channels
    length, hop = cfg.slice_len * channels, cfg.hop * channels
    # Framed on the flat (interleaved) samples: TensorFlow slices an [n, 1] tensor element by element
    # (~2 ns a sample, milliseconds for a 30 s file) but a flat one with memcpy.
    flat = tf.reshape(samples, [-1])
    start = tf.minimum(start * channels, tf.size(flat))
    if hop == length:  # no overlap (the default): one slice and a reshape, not tf.signal.frame's gather
        rest = tf.size(flat) - start
        count = -(-rest // length) if cfg.pad_end else rest // length
        flat = flat[start:start + count * length]
        if cfg.pad_end:
            flat = tf.pad(flat, [[0, count * length - tf.size(flat)]])
        frames = tf.reshape(flat, [count, length])
    else:
        frames = tf.signal.frame(flat[start:], length, hop, pad_end=cfg.pad_end, axis=0)
    return tf.reshape(frames, [-1, cfg.slice_len, channels])


def slice_audio(samples: tf.Tensor, cfg: DataConfig, seed: int | None = None) -> tf.Tensor:
    """[n, channels] → [slices, slice_len, channels] following reference §6.2."""
    return frame_audio(samples, random_offset(cfg, seed), cfg)


# A file decoding to less than this share of the length its header gives is reported (a truncated MP3
# decodes without an error); codecs' own padding differs by far less.
SHORT_DECODE_SHARE = 0.9


class _FileDecoder:
    """Decodes in a py_function; a file that fails is skipped (warned about once) and yields nothing,
    and a file much shorter than its header said is used with a warning (once)."""

    def __init__(self, cfg: DataConfig, files: Sequence[audio.AudioFileInfo] = ()):
        self.cfg = cfg
        self._promised = {f.path: f.frames_at(cfg.sample_rate) for f in files}
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    def _first_warning(self, path: str) -> bool:
        with self._lock:
            first_time = path not in self._warned
            self._warned.add(path)
        return first_time

    def __call__(self, path: tf.Tensor) -> np.ndarray:
        path = path.numpy().decode()
        try:
            samples = audio.decode_audio(path, self.cfg.sample_rate, self.cfg.num_channels, self.cfg.normalize)
        except Exception as e:
            if self._first_warning(path):
                log.warning("Skipping %s: it could not be decoded (%s).", path, audio.error_summary(e))
            return np.zeros((0, self.cfg.num_channels), np.float32)
        promised = self._promised.get(path, 0)
        if len(samples) < SHORT_DECODE_SHARE * promised and self._first_warning(path):
            log.warning("%s decodes to %d samples but its header promises %d (at %d Hz): it is probably "
                        "truncated; training uses the %d that decode.", path, len(samples), promised,
                        self.cfg.sample_rate, len(samples))
        return samples

    def tf_decode(self, path: tf.Tensor) -> tf.Tensor:
        samples = tf.py_function(self, [path], tf.float32)
        samples.set_shape([None, self.cfg.num_channels])
        return samples


def _decode_wav_native(path: tf.Tensor, cfg: DataConfig) -> tf.Tensor:
    """--data_fast_wav: TensorFlow's own 16-bit WAV decoder, no Python in the loop (files pre-checked)."""
    samples, _ = tf.audio.decode_wav(tf.io.read_file(path))
    if cfg.num_channels == 1:
        samples = tf.reduce_mean(samples, axis=1, keepdims=True)
    else:
        samples = tf.tile(samples, [1, cfg.num_channels // tf.shape(samples)[1]])
    if cfg.normalize:
        peak = tf.reduce_max(tf.abs(samples))
        samples = tf.math.divide_no_nan(samples, peak)
    samples.set_shape([None, cfg.num_channels])
    return samples


def _keep_label(fn: Callable) -> Callable:
    """fn applied to an element's audio; a label travelling with it (labels on) passes through unchanged."""
    def apply(x, *label):
        return (fn(x), *label) if label else fn(x)

    return apply


def example_dataset(files: Sequence[audio.AudioFileInfo], cfg: DataConfig, shuffle: bool = True,
                    repeat: bool = True, num_parallel_calls: int = tf.data.AUTOTUNE,
                    shuffle_buffer: int = SHUFFLE_BUFFER_EXAMPLES, labels: Sequence[int] | None = None,
                    slicer: Callable[[tf.Tensor], tf.Tensor] | None = None) -> tf.data.Dataset:
    """Unbatched slices [slice_len, channels]; every epoch re-shuffles files and redraws offsets.

    With `labels` (a class index per file) the elements are (slice, label) pairs. `slicer` replaces
    `slice_audio` ([n, channels] → [slices, length, channels]) for models that cut files otherwise
    (the WaveNet's overlapping pieces, the frame GRU's sequences of frames)."""
    sources = corpus.prepare(files, cfg) if cfg.prepared else [f.path for f in files]
    paths = tf.data.Dataset.from_tensor_slices(sources if labels is None else (sources, np.asarray(labels, np.int32)))
    if shuffle and not cfg.cache:
        paths = paths.shuffle(len(sources), reshuffle_each_iteration=True)
    if cfg.prepared:  # read natively, the same samples the decoder gives
        decoded = paths.map(_keep_label(lambda p: corpus.read(p, cfg)), num_parallel_calls=num_parallel_calls,
                            deterministic=not shuffle)
    elif cfg.fast_wav:
        decoded = paths.map(_keep_label(lambda p: _decode_wav_native(p, cfg)), num_parallel_calls=num_parallel_calls,
                            deterministic=not shuffle)
        decoded = decoded.ignore_errors(log_warning=True)
    else:
        decode = _FileDecoder(cfg, files).tf_decode
        decoded = paths.map(_keep_label(decode), num_parallel_calls=num_parallel_calls, deterministic=not shuffle)
    if cfg.cache:
        # Decode once; later epochs read the cache. Files are then shuffled after it (a shuffle before
        # a cache would be frozen into it) in a buffer of at most CACHE_SHUFFLE_FILES decoded files.
        decoded = decoded.cache("" if cfg.cache == "memory" else cfg.cache)
        if shuffle:
            decoded = decoded.shuffle(min(len(files), CACHE_SHUFFLE_FILES), reshuffle_each_iteration=True)
    if repeat:
        decoded = decoded.repeat(passes_per_round(files, cfg))
    # map + unbatch rather than flat_map: a dataset built per file costs more than decoding a short one.
    if slicer is None and cfg.random_offset:
        # Offsets drawn in one thread, so that for a given seed each file gets the same one on every run;
        # the framing, what costs for long files, in parallel and in order.
        starts = decoded.map(lambda samples, *label: (samples, random_offset(cfg), *label))
        sliced = starts.map(lambda samples, start, *label: _with_label(frame_audio(samples, start, cfg), *label),
                            num_parallel_calls=num_parallel_calls, deterministic=not shuffle)
    else:
        slicer = slicer or (lambda samples: slice_audio(samples, cfg))
        # One thread, so that for a given seed a random slicer cuts each file the same way on every run.
        sliced = decoded.map(lambda samples, *label: _with_label(slicer(samples), *label))
    examples = sliced.unbatch()
    if repeat:
        # After slicing, so a round yielding nothing (every file unreadable) ends the data instead of
        # spinning forever: tf.data stops repeating a dataset whose round is empty.
        examples = examples.repeat()
    if shuffle:
        examples = examples.shuffle(shuffle_buffer)
    return examples


def _with_label(slices: tf.Tensor, *label) -> tf.Tensor | tuple:
    """Slices of one file, paired with its label when there is one."""
    return (slices, tf.fill(tf.shape(slices)[:1], label[0])) if label else slices


def balanced_example_dataset(files: Sequence[audio.AudioFileInfo], cfg: DataConfig, labels: Sequence[int],
                             num_classes: int) -> tf.data.Dataset:
    """(slice, label) pairs with every class equally likely (--train_label_balance), whatever its share of
    the data: one pipeline per class, sampled uniformly; the shuffle buffer is shared out between them."""
    labels = np.asarray(labels)
    per_class = [example_dataset([f for f, label in zip(files, labels) if label == c], cfg,
                                 labels=np.full(int(np.sum(labels == c)), c),
                                 shuffle_buffer=max(64, SHUFFLE_BUFFER_EXAMPLES // num_classes))
                 for c in range(num_classes)]
    return tf.data.Dataset.sample_from_datasets(per_class, weights=[1.0 / num_classes] * num_classes)


def batch_dataset(examples: tf.data.Dataset, batch_size: int, batches_per_step: int | None = None,
                  transform: Callable[[tf.Tensor], tf.Tensor] | None = None) -> tf.data.Dataset:
    """Batches with drop-remainder. With `batches_per_step`, each element of a batch holds that many
    slices, [batch, batches_per_step, ...]: the critic's fresh real batches of one iteration, batch
    axis first so that tf.distribute can split an iteration's data between replicas."""
    if batches_per_step is not None:
        examples = examples.batch(batches_per_step, drop_remainder=True)
    batches = examples.batch(batch_size, drop_remainder=True)
    if transform is not None:
        batches = batches.map(transform, num_parallel_calls=tf.data.AUTOTUNE)
    prefetch = max(1, math.ceil(PREFETCH_BATCHES_OF_EXAMPLES / (batches_per_step or 1)))
    return batches.prefetch(prefetch)


def make_train_dataset(files: Sequence[audio.AudioFileInfo], cfg: DataConfig, batch_size: int,
                       batches_per_step: int, transform: Callable[[tf.Tensor], tf.Tensor] | None = None,
                       labels: Sequence[int] | None = None, balance: bool = False) -> tf.data.Dataset:
    """What the adversarial trainer consumes: [batch, batches_per_step, slice_len, channels] forever,
    or `transform` of that (SpecGAN: spectrograms), computed in the pipeline's threads.

    With `labels` (a class index per file) each element is (that, labels [batch, batches_per_step]),
    classes as frequent as in the data, or equally frequent with `balance`."""
    if labels is None:
        examples = example_dataset(files, cfg)
    else:
        examples = (balanced_example_dataset(files, cfg, labels, len(cfg.classes)) if balance
                    else example_dataset(files, cfg, labels=labels))
        transform = _keep_label(transform) if transform is not None else None
    dataset = batch_dataset(examples, batch_size, batches_per_step, transform)
    # Under MultiWorkerMirroredStrategy each worker keeps its share of the batches; sharding by file
    # does not apply to a pipeline that reads random slices of every file.
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)
