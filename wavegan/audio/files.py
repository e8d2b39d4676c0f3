"""Audio files in, float32 arrays out: find, probe, decode, resample, reconcile channels, normalise.

Decoding uses tensorflow-io when it is importable *and* its ops load (on TensorFlow newer than 2.17
the import succeeds but every op fails with "undefined symbol"), and soundfile otherwise. Every
function here works on one file and knows nothing of slicing, batching or models (see pipeline.py).
soundfile is imported where a file is read, so that the array helpers (peak_normalize, to_float32) and
the modules that only name files (labels.py) load where it is not installed (the GPU kit's machines).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import threading
import warnings
from typing import Iterable, Sequence

import numpy as np

from wavegan.errors import UserError

log = logging.getLogger("wavegan")

AUDIO_EXTENSIONS = (".wav", ".wave", ".flac", ".ogg", ".oga", ".aif", ".aiff", ".aifc", ".mp3")
BACKEND_ENV = "WAVEGAN_AUDIO_BACKEND"  # "soundfile" or "tfio" forces a decoder; unset = automatic


class AudioDecodeError(Exception):
    """One file could not be turned into audio; the pipeline skips it."""


@dataclasses.dataclass(frozen=True)
class AudioFileInfo:
    """What a file's header says, read without decoding the samples."""

    path: str
    frames: int
    sample_rate: int
    channels: int
    format: str
    subtype: str

    def frames_at(self, sample_rate: int) -> int:
        """Length after resampling to `sample_rate` (the resampler rounds up)."""
        if sample_rate == self.sample_rate:
            return self.frames
        return int(np.ceil(self.frames * sample_rate / self.sample_rate))


def find_audio_files(data_dir: str, flag: str = "--data_dir") -> list[str]:
    """Every file under `data_dir` (recursively) whose extension is a known audio format, sorted.
    Errors name `flag`, the option the user gave the folder with."""
    if not data_dir or not os.path.isdir(data_dir):
        raise UserError(f"{flag} {data_dir!r} is not a folder: point it at a folder of audio files.")
    paths = []
    for root, dirs, files in os.walk(data_dir, followlinks=True):
        dirs.sort()
        paths.extend(os.path.join(root, f) for f in sorted(files)
                     if f.lower().endswith(AUDIO_EXTENSIONS) and not f.startswith("."))
    if not paths:
        raise UserError(f"No audio files ({', '.join(AUDIO_EXTENSIONS)}) found under {data_dir}: "
                        f"put WAV/FLAC/OGG/AIFF/MP3 files there or pass another {flag}.")
    return paths


def probe_audio_files(paths: Iterable[str]) -> list[AudioFileInfo]:
    """Reads each header; an unreadable file is skipped with one warning naming it."""
    import soundfile

    infos = []
    for path in paths:
        try:
            info = soundfile.info(path)
        except Exception as e:  # soundfile raises several types for garbage input
            log.warning("Skipping %s: not a readable audio file (%s).", path, error_summary(e))
            continue
        if info.frames <= 0:
            log.warning("Skipping %s: it holds no audio samples.", path)
            continue
        infos.append(AudioFileInfo(path, int(info.frames), int(info.samplerate), int(info.channels),
                                   info.format, info.subtype))
    return infos


@functools.lru_cache(maxsize=None)
def tfio_available() -> bool:
    """True when tensorflow-io imports and its audio ops actually run on this TensorFlow."""
    try:
        import tensorflow as tf

        with warnings.catch_warnings():  # its import warns at length when its libraries do not load
            warnings.simplefilter("ignore")
            import tensorflow_io as tfio

        tone = tf.zeros([8, 1], tf.int16)
        wav = tfio.audio.encode_wav(tone, rate=8000)
        decoded = tfio.audio.decode_wav(wav, dtype=tf.int16)
        return tuple(decoded.shape) == (8, 1)
    except Exception:  # ImportError, NotImplementedError ("undefined symbol"), NotFoundError...
        return False


def audio_backend() -> str:
    """The decoder in use: "tfio" or "soundfile" (forced by $WAVEGAN_AUDIO_BACKEND if set)."""
    forced = os.environ.get(BACKEND_ENV, "").strip().lower()
    if forced in ("soundfile", "tfio"):
        if forced == "tfio" and not tfio_available():
            raise UserError(f"{BACKEND_ENV}=tfio but tensorflow-io does not load on this TensorFlow: "
                            "install requirements_tfio.txt or unset the variable.")
        return forced
    return "tfio" if tfio_available() else "soundfile"


def read_audio(path: str) -> tuple[np.ndarray, int]:
    """Decodes a whole file to float32 [samples, channels] in [-1, 1] and its sample rate."""
    errors = []
    use_tfio = audio_backend() == "tfio" and _tfio_reads_correctly(path)
    readers = (_read_tfio, _read_soundfile) if use_tfio else (_read_soundfile,)
    for reader in readers:
        try:
            audio, rate = reader(path)
            if audio.ndim != 2 or audio.shape[0] == 0:
                raise AudioDecodeError("no samples decoded")
            return audio, rate
        except Exception as e:  # tfio lacks some formats (AIFF); soundfile then takes over
            errors.append(error_summary(e))
    raise AudioDecodeError("; ".join(errors))


# tensorflow-io 0.37.1 returns the raw bits of 32-bit integer WAV as float32, and has no AIFF reader.
TFIO_WAV_SUBTYPES = ("PCM_16", "PCM_24", "FLOAT")
TFIO_EXTENSIONS = (".wav", ".wave", ".flac", ".ogg", ".oga", ".mp3")


def _tfio_reads_correctly(path: str) -> bool:
    if not path.lower().endswith(TFIO_EXTENSIONS):
        return False
    if path.lower().endswith((".wav", ".wave")):
        import soundfile

        try:
            return soundfile.info(path).subtype in TFIO_WAV_SUBTYPES
        except Exception:
            return True  # let tensorflow-io try; soundfile is the fallback anyway
    return True


def _read_soundfile(path: str) -> tuple[np.ndarray, int]:
    import soundfile

    audio, rate = soundfile.read(path, dtype="float32", always_2d=True)
    return audio, int(rate)


# Parallel AudioIOTensor reads from tf.data threads hand back each other's samples (seen with 0.37.1).
_TFIO_LOCK = threading.Lock()


def _read_tfio(path: str) -> tuple[np.ndarray, int]:
    import tensorflow_io as tfio

    with _TFIO_LOCK:
        tensor = tfio.audio.AudioIOTensor(path)
        audio = tensor.to_tensor().numpy()
        rate = int(tensor.rate.numpy())
    return to_float32(audio), rate


def to_float32(audio: np.ndarray) -> np.ndarray:
    """Integer PCM of any width to float32 in [-1, 1); float input passes through."""
    if audio.dtype == np.uint8:
        return (audio.astype(np.float32) - 128.0) / 128.0
    if np.issubdtype(audio.dtype, np.integer):
        return audio.astype(np.float32) / float(-np.iinfo(audio.dtype).min)
    return audio.astype(np.float32)


def resample(audio: np.ndarray, rate: int, target_rate: int) -> np.ndarray:
    """Band-limited resampling along time (librosa's default, soxr "HQ")."""
    if rate == target_rate:
        return audio
    import librosa  # slow to import; only needed when rates differ

    return librosa.resample(audio, orig_sr=rate, target_sr=target_rate, axis=0).astype(np.float32)


def channels_reconcilable(have: int, want: int) -> bool:
    """reference §6.1: same count, mixing down to mono, or duplicating mono."""
    return have == want or want == 1 or have == 1


def reconcile_channels(audio: np.ndarray, num_channels: int) -> np.ndarray:
    """reference §6.1: mono requested → average channels; mono file and stereo requested → duplicate."""
    have = audio.shape[1]
    if have == num_channels:
        return audio
    if num_channels == 1:
        return audio.mean(axis=1, keepdims=True)
    if channels_reconcilable(have, num_channels):
        return np.repeat(audio, num_channels, axis=1)
    raise AudioDecodeError(f"has {have} channels and {num_channels} were requested "
                           "(only mixing down to mono or duplicating mono is defined)")


def peak_normalize(audio: np.ndarray) -> np.ndarray:
    """Divides the whole file by its peak; silence stays silence."""
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    return audio / peak if peak > 0 else audio


def decode_audio(path: str, sample_rate: int, num_channels: int, normalize: bool,
                 allow_resample: bool = True) -> np.ndarray:
    """One file → float32 [samples, num_channels] at `sample_rate`. Raises AudioDecodeError."""
    audio, rate = read_audio(path)
    if not np.isfinite(audio).all():  # float WAVs can hold NaN/Inf; one such file would poison training
        raise AudioDecodeError("contains NaN or infinite samples")
    if rate != sample_rate:
        if not allow_resample:
            raise AudioDecodeError(f"is at {rate} Hz and --data_fast_wav cannot resample to {sample_rate} Hz")
        audio = resample(audio, rate, sample_rate)
    audio = reconcile_channels(audio, num_channels)
    if normalize:
        audio = peak_normalize(audio)
    return np.ascontiguousarray(audio, dtype=np.float32)


def fast_wav_problems(infos: Sequence[AudioFileInfo], sample_rate: int) -> list[str]:
    """Why each file cannot take the native 16-bit WAV path (empty list: all can)."""
    problems = []
    for info in infos:
        if info.format != "WAV" or info.subtype != "PCM_16":
            problems.append(f"{info.path} is {info.format}/{info.subtype}, not 16-bit PCM WAV")
        elif info.sample_rate != sample_rate:
            problems.append(f"{info.path} is at {info.sample_rate} Hz, not {sample_rate} Hz")
    return problems


def error_summary(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__


def _worker_init(backend: str) -> None:
    # The parent already chose the decoder; a worker must not probe tensorflow-io (it imports TensorFlow).
    os.environ[BACKEND_ENV] = backend


def decoder_pool(processes: int):
    """A process pool for decoding (`processes` workers, negative: one per core); None for 0, and with
    tensorflow-io, whose workers would each load TensorFlow. The caller shuts it down (`with pool:`):
    the train scripts end with os._exit, which would leave live workers holding the process's output.

    Preparing a corpus decodes every file once, in these processes, so it scales with cores where
    tf.data's threads are held back by the interpreter lock around the decoders. Workers are spawned
    (not forked from a process running TensorFlow's threads) and import only this module's dependencies.
    """
    if processes < 0:
        processes = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if processes == 0 or audio_backend() != "soundfile":
        return None
    import concurrent.futures
    import multiprocessing

    return concurrent.futures.ProcessPoolExecutor(
        processes, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_init,
        initargs=("soundfile",))
