"""Audio files written by the tests themselves, in every format the pipeline promises to read."""

import os

import numpy as np
import soundfile

from wavegan.audio.files import AudioFileInfo

# (extension, soundfile format, subtype, lossless)
FORMATS = [
    ("wav", "WAV", "PCM_16", True),
    ("wav", "WAV", "PCM_24", True),
    ("wav", "WAV", "PCM_32", True),
    ("wav", "WAV", "FLOAT", True),
    ("flac", "FLAC", "PCM_16", True),
    ("aiff", "AIFF", "PCM_16", True),
    ("ogg", "OGG", "VORBIS", False),
    ("mp3", "MP3", "MPEG_LAYER_III", False),
]


def tone(seconds: float, rate: int, freq: float = 440.0, amplitude: float = 0.5, channels: int = 1) -> np.ndarray:
    t = np.arange(int(round(seconds * rate))) / rate
    mono = amplitude * np.sin(2 * np.pi * freq * t)
    # Channel k at amplitude/(k+1), so channel handling is visible in the result.
    return np.stack([mono / (k + 1) for k in range(channels)], axis=1).astype(np.float32)


def ramp(n: int, channels: int = 1, wrap: bool = True) -> np.ndarray:
    """Sample i holds i / 2**15, so a slice's first sample names its start (wrapped at 1.0 by default,
    which 16-bit PCM can store exactly; unwrapped ramps are for in-memory tests)."""
    values = ((np.arange(n) % 32768) if wrap else np.arange(n)) / 32768.0
    return np.repeat(values[:, None], channels, axis=1).astype(np.float32)


def write(path: str, audio: np.ndarray, rate: int, fmt: str = "WAV", subtype: str = "PCM_16") -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    soundfile.write(path, audio, rate, format=fmt, subtype=subtype)
    return path


def write_bad_files(folder: str) -> dict[str, str]:
    """A zero-byte WAV, a text file named .wav, and an MP3 cut off in its header."""
    os.makedirs(folder, exist_ok=True)
    paths = {name: os.path.join(folder, name) for name in ("empty.wav", "notes.wav", "truncated.mp3")}
    open(paths["empty.wav"], "wb").close()
    with open(paths["notes.wav"], "w") as f:
        f.write("this is a text file, not audio\n" * 20)
    mp3 = write(os.path.join(folder, "full.mp3.tmp"), tone(1.0, 16000), 16000, "MP3", "MPEG_LAYER_III")
    with open(mp3, "rb") as f:
        head = f.read(40)
    os.remove(mp3)
    with open(paths["truncated.mp3"], "wb") as f:
        f.write(head)
    return paths


def info(path: str, frames: int) -> AudioFileInfo:
    """What probing a 16 kHz mono 16-bit WAV of `frames` samples reports, without a file."""
    return AudioFileInfo(path=path, frames=frames, sample_rate=16000, channels=1, format="WAV", subtype="PCM_16")
