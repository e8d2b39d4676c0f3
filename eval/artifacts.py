"""The artifact evaluation of reference §9.4: where an untrained WaveGAN puts its checkerboard tones, and how
much of a clip's energy lies there.

    python -m eval.artifacts envelope --out eval/artifact_envelope.npy --inits 200
    python -m eval.artifacts score --audio_dir gen/ [--audio_dir data/digits/test] [--n 500]

`envelope`: the original's notebook (eval/noise/wavegan_response.ipynb) fed an impulse-like input into
the generator right after its dense projection ([1, 16, 16d], channel i set to 1 at time i mod 16),
re-initialised the weights at random many times, took |rfft| of the 16384-sample output, averaged and
min-max normalised it to [0, 1]: the spectral envelope of the tones that stride-4 transposed
convolutions make before any training. The shipped `eval/artifact_envelope.npy` is that envelope for
the paper's generator (d = 64, k = 25, 16384 samples, 8193 bins).

`score`: per clip, the share of its energy at those frequencies, Σ env·|X|² / Σ |X|² with X the
16384-point rfft: in [0, 1], independent of loudness (the original's noise.py averaged the magnitude
weighted by the envelope, which scales with loudness; its RMS gain meant to fix that had no effect,
reference §11.14). Higher = more of the clip at the artifact frequencies. The original's statistic is
printed beside it.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable

import numpy as np

from wavegan.errors import UserError
from wavegan.metrics import ARTIFACT_BINS, artifact_share, load_envelope, spectra
from wavegan.paths import ARTIFACT_ENVELOPE


def impulse_input(dim: int) -> np.ndarray:
    """[1, 16, 16·dim]: channel i is 1 at time i mod 16, 0 elsewhere (the original's `_conv_input`)."""
    x = np.zeros((1, 16, 16 * dim), np.float32)
    channels = np.arange(16 * dim)
    x[0, channels % 16, channels] = 1.0
    return x


def artifact_envelope(inits: int = 200, dim: int = 64, kernel_len: int = 25, seed: int = 0, log: bool = False,
                      progress: Callable[[int], None] | None = None) -> np.ndarray:
    """Mean |rfft| of an untrained generator's impulse response over `inits` random initialisations
    (Glorot-uniform kernels, zero biases, as the original), min-max normalised to [0, 1]; [8193]."""
    import keras

    from wavegan import config, registry

    keras.utils.set_random_seed(seed)
    wavegan = registry.get("wavegan")  # the envelope is of WaveGAN's own upsampling stack
    run = config.RunConfig("wavegan", config.DataConfig(), wavegan.config_class(dim=dim, kernel_len=kernel_len),
                           config.TrainConfig())
    generator = wavegan.gan(None).build_generator(run)
    generator.build((None, 100))
    x = impulse_input(dim)
    # A seed generator, so that every call draws new weights (an unseeded initialiser repeats its draw).
    initialiser = keras.initializers.GlorotUniform(seed=keras.random.SeedGenerator(seed))
    total = np.zeros(ARTIFACT_BINS)
    for i in range(inits):
        for conv in generator.upconvs:
            conv.kernel.assign(initialiser(conv.kernel.shape))
        out = keras.ops.convert_to_numpy(generator.from_projection(x))[0, :, 0]
        total += np.abs(np.fft.rfft(out.astype(np.float64)))
        if progress is not None:
            progress(i + 1)
    envelope = total / inits
    if log:
        envelope = np.log(envelope + 1e-6)
    span = envelope.max() - envelope.min()
    return ((envelope - envelope.min()) / span).astype(np.float32)


def weighted_magnitude(clips: np.ndarray, envelope: np.ndarray) -> np.ndarray:
    """The original noise.py's per-clip statistic: the envelope-weighted mean of |X| over frequency."""
    return np.average(spectra(clips), weights=envelope, axis=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("envelope", help="compute the envelope of an untrained generator's artifacts")
    make.add_argument("--out", default=ARTIFACT_ENVELOPE)
    make.add_argument("--inits", type=int, default=200, help="random initialisations averaged (original: 1000)")
    make.add_argument("--dim", type=int, default=64)
    make.add_argument("--seed", type=int, default=0)
    make.add_argument("--log", action="store_true", help="log-magnitude envelope (the original's optional variant)")
    score = sub.add_parser("score", help="score WAV folders: energy share at the artifact frequencies")
    score.add_argument("--audio_dir", action="append", required=True, help="folder of WAVs (repeatable)")
    score.add_argument("--envelope", default=ARTIFACT_ENVELOPE)
    score.add_argument("--n", type=int, default=None, help="clips per folder (sorted, shuffled with seed 0)")
    args = parser.parse_args(argv)
    try:
        if args.command == "envelope":
            if args.inits < 1:
                raise UserError(f"--inits must be at least 1, not {args.inits}.")
            envelope = artifact_envelope(args.inits, args.dim, seed=args.seed, log=args.log,
                                         progress=lambda i: print(f"\r{i}/{args.inits}", end="", flush=True))
            np.save(args.out, envelope)
            print(f"\nwrote {args.out}: {envelope.shape[0]} bins, mean {envelope.mean():.4f}")
            return 0
        from wavegan.evaluation.classifier import load_clips
        from eval.score import sample_files

        envelope = load_envelope(args.envelope)
        print(f"{'set':40s} {'n':>6s} {'artifact share':>20s} {'original statistic':>22s}")
        for folder in args.audio_dir:
            clips = load_clips(sample_files(folder, args.n), report=lambda s: print(f"{folder}: {s}"))
            share, original = artifact_share(clips, envelope), weighted_magnitude(clips, envelope)
            print(f"{folder:40s} {len(clips):6d} {share.mean():11.4f} ± {share.std():6.4f} "
                  f"{original.mean():13.3f} ± {original.std():6.3f}")
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
