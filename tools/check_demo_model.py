"""Is a WaveGAN trained on the bundled drums making drum hits, or replaying its training clips?

    python tools/check_demo_model.py models/drums --n 256 --figure docs/drums.png --json /tmp/drums.json

Generates `--n` clips from SOURCE (a train dir, a checkpoint prefix or a SavedModel) and compares them with
the 64 clips of `data/drums`:

- the artifact share (reference §9.4, `wavegan.metrics`): the part of each clip's energy at the frequencies
  where an untrained WaveGAN puts its checkerboard tones; real drums are the yardstick;
- nearest-neighbour distances on the paper's log-mel features (reference §9.3, `eval.features`,
  `wavegan.metrics`): each generated clip to its nearest training clip (|D|train), against each training clip
  to its nearest other one; a model that replays its training set puts generated clips at distance ~0;
- the waveform correlation of each generated clip with its nearest training clip (a replay gives ~1);
- the generated clips' distance to each other (|D|self): a collapsed model makes one sound;
- the same distance on what is audible: each clip, real or generated, silenced from where its energy stays
  30 dB under its peak. The training clips end in digital silence (their zero padding), so a generated tail
  at -70 dBFS, inaudible, weighs heavily in log-mel features: this figure leaves it out. White-noise bursts
  that ring as long as the real hits are the yardstick for "hit-shaped but not a drum";
- the shape of a hit, for generated and real clips alike: when its energy peaks (a struck drum peaks in its
  first frames), how long it sounds (until its energy stays 30 dB under the peak) and its spectral centroid
  (kick low, hi-hat high); a model making drum hits matches the real clips' spread of all three.

`--figure` draws real clips, generated ones and, under each generated one, its nearest training clip.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import soundfile as sf

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from eval.features import similarity_features  # noqa: E402
from wavegan import paths  # noqa: E402
from wavegan.audio.features import fix_length  # noqa: E402
from wavegan.metrics import artifact_share, load_envelope, nearest_neighbour_distances  # noqa: E402


def real_drums() -> tuple[list[str], np.ndarray]:
    names = sorted(f for f in os.listdir(paths.DRUM_CORPUS) if f.endswith(".wav"))
    clips = [sf.read(os.path.join(paths.DRUM_CORPUS, f), dtype="float32")[0] for f in names]
    return names, fix_length(np.stack([np.pad(c, (0, max(0, 16384 - len(c))))[:16384] for c in clips]))


def peak_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """The largest normalised cross-correlation of two clips over all shifts (1: the same waveform)."""
    n = len(a) + len(b)
    spectrum = np.fft.rfft(a, n) * np.conj(np.fft.rfft(b, n))
    return float(np.abs(np.fft.irfft(spectrum, n)).max() / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


FRAME = 256  # 16 ms at 16 kHz


def _frames_and_end(clips: np.ndarray, below_db: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """16 ms frames of the clips (a view), each frame's energy, and per clip the index just past its last
    frame within `below_db` of its loudest."""
    frames = clips[:, : clips.shape[1] // FRAME * FRAME].reshape(len(clips), -1, FRAME)
    energy = (frames ** 2).sum(axis=2)
    loud = energy >= energy.max(axis=1, keepdims=True) * 10 ** (-below_db / 10)
    return frames, energy, energy.shape[1] - np.argmax(loud[:, ::-1], axis=1)


def hit_shape(clips: np.ndarray, sample_rate: int = 16000) -> dict[str, np.ndarray]:
    """Per clip: the time of its loudest 16 ms frame, how long it sounds (the end of its last frame within
    30 dB of that peak) in seconds, and its spectral centroid in Hz."""
    clips = np.asarray(clips, np.float64)
    _, energy, end = _frames_and_end(clips, 30.0)
    power = np.abs(np.fft.rfft(clips, axis=1)) ** 2
    frequencies = np.fft.rfftfreq(clips.shape[1], 1.0 / sample_rate)
    return {"peak_s": energy.argmax(axis=1) * FRAME / sample_rate,
            "sounding_s": end * FRAME / sample_rate,
            "centroid_hz": (power * frequencies).sum(axis=1) / np.maximum(power.sum(axis=1), 1e-30)}


def silence_after_hit(clips: np.ndarray, below_db: float = 30.0) -> np.ndarray:
    """The clips with every 16 ms frame after their last one within `below_db` of the loudest set to zero."""
    clips = np.array(clips, np.float32)  # a copy: the frames below are a view of it
    frames, energy, end = _frames_and_end(clips, below_db)
    frames[np.arange(energy.shape[1])[None, :] >= end[:, None]] = 0.0
    clips[:, frames.shape[1] * FRAME:] = 0.0
    return clips


def noise_bursts(durations_s: np.ndarray, n: int, seed: int, length: int = 16384,
                 sample_rate: int = 16000) -> np.ndarray:
    """White noise struck at t = 0 that falls 30 dB by a duration drawn from `durations_s`, then stops."""
    rng = np.random.default_rng(seed)
    t = np.arange(length) / sample_rate
    return np.stack([rng.uniform(-1, 1, length) * 10 ** (-1.5 * t / d) * (t < d)
                     for d in rng.choice(durations_s, n)]).astype(np.float32)


def check(source: str, n: int, seed: int) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    from eval.score import generate_clips

    names, real = real_drums()
    generated, _ = generate_clips(source, n, seed)
    generated = fix_length(np.asarray(generated, np.float32).reshape(len(generated), -1))
    envelope = load_envelope()
    real_features, generated_features = similarity_features(real), similarity_features(generated)
    to_train = nearest_neighbour_distances(generated_features, real_features)
    nearest = np.argmin(((generated_features[:, None, :] - real_features[None]) ** 2).sum(-1), axis=1)
    correlation = np.array([peak_correlation(g, real[j]) for g, j in zip(generated, nearest)])
    real_to_real = nearest_neighbour_distances(real_features, real_features, same_set=True)
    figures = {
        "source": source,
        "clips": n,
        "artifact_share_generated_median": float(np.median(artifact_share(generated, envelope))),
        "artifact_share_real_median": float(np.median(artifact_share(real, envelope))),
        "nearest_training_clip_distance_median": float(np.median(to_train)),
        "nearest_training_clip_distance_min": float(to_train.min()),
        "training_clip_to_nearest_other_median": float(np.median(real_to_real)),
        "training_clip_to_nearest_other_min": float(real_to_real.min()),
        "generated_to_nearest_generated_median": float(np.median(
            nearest_neighbour_distances(generated_features, generated_features, same_set=True))),
        "waveform_correlation_with_nearest_training_clip_median": float(np.median(correlation)),
        "waveform_correlation_with_nearest_training_clip_max": float(correlation.max()),
        "distinct_nearest_training_clips": int(len(set(nearest.tolist()))),
        "peak_generated_median": float(np.median(np.abs(generated).max(axis=1))),
    }
    shapes = {"generated": hit_shape(generated), "real": hit_shape(real)}
    audible_real = similarity_features(silence_after_hit(real))
    bursts = noise_bursts(shapes["real"]["sounding_s"], n, seed)
    figures.update({
        "audible_nearest_training_clip_distance_median": float(np.median(nearest_neighbour_distances(
            similarity_features(silence_after_hit(generated)), audible_real))),
        "audible_training_clip_to_nearest_other_median": float(np.median(nearest_neighbour_distances(
            audible_real, audible_real, same_set=True))),
        "audible_noise_burst_to_nearest_training_clip_median": float(np.median(nearest_neighbour_distances(
            similarity_features(silence_after_hit(bursts)), audible_real))),
    })
    for name, shape in shapes.items():
        for measure, values in shape.items():
            figures[f"hit_{measure}_{name}_p10_p50_p90"] = [float(v) for v in np.percentile(values, [10, 50, 90])]
    return figures, real, generated, nearest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", help="train dir, checkpoint prefix or SavedModel of a WaveGAN")
    parser.add_argument("--n", type=int, default=256, help="clips to generate")
    parser.add_argument("--seed", type=int, default=0, help="seed of the latents")
    parser.add_argument("--figure", help="write the spectrogram grid here (PNG)")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args(argv)
    figures, real, generated, nearest = check(args.source, args.n, args.seed)
    print(json.dumps(figures, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)
    if args.figure:
        from eval.figures import spectrogram_figure

        shown = range(6)
        real_shown = real[np.linspace(0, len(real) - 1, 6).astype(int)]
        figure = spectrogram_figure({"real (data/drums)": list(real_shown),
                                     "generated": [generated[i] for i in shown],
                                     "its nearest training clip": [real[nearest[i]] for i in shown]},
                                    "Drum hits, real and generated by the demo model (16 kHz, 1.02 s)")
        figure.savefig(args.figure)
    return 0


if __name__ == "__main__":
    sys.exit(main())
