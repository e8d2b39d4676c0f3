"""Writes a train dir that holds only a WaveGAN run's generator: `python tools/make_demo_model.py TRAIN_DIR OUT_DIR`.

A training checkpoint carries both models and both optimisers' Adam slots (at d = 16 about 31 MB, at the
paper's size 438 MB); the after-training modes read only the generator's variables
(`wavegan.train.checkpoints.restore_generator`). OUT_DIR gets that generator as a checkpoint keyed the
same way (`model.ckpt-<step>`, with the `checkpoint` file naming it), and the run's `config.json` with
`data_dir` given relative to the repository when the run trained on the bundled corpus. `generate`,
`web`, `infer` and `preview` then take OUT_DIR as their train dir; `train` refuses to resume it.

With `--card`, it also checks the generator against the bundled drums (tools/check_demo_model.py), draws
the spectrogram grid to `--figure`, and writes OUT_DIR/README.md, the model card: data and its licences,
the training command and steps, the date of the checkpoint, and the check's figures. For the demo model:

    python tools/make_demo_model.py TRAIN_DIR models/drums --card --figure docs/drums.png \
        --command "python train_wavegan.py train TRAIN_DIR --wavegan_dim 16 --train_batch_size 16" \
        --machine "a shared 2-core Xeon, niced"
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # check_demo_model

from wavegan import config, paths  # noqa: E402
from wavegan.errors import UserError  # noqa: E402


def write_generator_only(train_dir: str, out_dir: str, checkpoint: str | None = None) -> str:
    """Writes OUT_DIR from TRAIN_DIR's newest (or the given) checkpoint; returns the new checkpoint prefix."""
    from wavegan.train import checkpoints

    kind = config.kind_of_run(train_dir)
    if kind.gan is None:
        raise UserError(f"{train_dir} holds a {kind.name} run; only a GAN's generator can be written alone.")
    generator, run, step = checkpoints.load_generator(train_dir, kind.gan(train_dir).build_generator, checkpoint)
    if os.path.exists(out_dir) and os.listdir(out_dir):
        raise UserError(f"{out_dir} is not empty: pass a new folder.")
    os.makedirs(out_dir, exist_ok=True)
    prefix = os.path.join(out_dir, f"{checkpoints.CHECKPOINT_NAME}-{step}")
    checkpoint = checkpoints.model_checkpoint(generator=generator)
    checkpoint.save_counter.assign(1)  # created on first use; the after-training modes expect to find it
    checkpoint.write(prefix)
    with open(os.path.join(out_dir, "checkpoint"), "w") as f:
        name = os.path.basename(prefix)
        f.write(f'model_checkpoint_path: "{name}"\nall_model_checkpoint_paths: "{name}"\n')
    with open(os.path.join(train_dir, config.CONFIG_FILE)) as f:
        settings = json.load(f)
    if os.path.abspath(settings["data"]["data_dir"]) == os.path.abspath(paths.DRUM_CORPUS):
        settings["data"]["data_dir"] = "data/drums"
    with open(os.path.join(out_dir, config.CONFIG_FILE), "w") as f:
        json.dump(settings, f, indent=2, sort_keys=True)
        f.write("\n")
    return prefix


CARD = """# Demo model: a WaveGAN trained on the bundled drums

A small WaveGAN (d = {dim}, batch {batch}, the paper's other settings) trained on the 64 drum one-shots
bundled in `data/drums`, shipped so that the drum machine plays and `generate` writes drum sounds with no
training. This folder is a train dir that holds the generator alone ({size:.1f} MB; written by
`tools/make_demo_model.py`): every after-training mode takes it, `train` refuses it.

```bash
python train_wavegan.py web models/drums --web_serve                 # the drum machine: http://localhost:8000
python train_wavegan.py generate models/drums --generate_n 16        # WAVs in models/drums/generated
python train_wavegan.py infer models/drums --infer_dir ./drums_savedmodel   # a SavedModel for plain TensorFlow
```

| | |
|---|---|
| data | `data/drums`: 64 mono 16 kHz one-shots from three Hydrogen drum kits, sliced with `--data_first_slice --data_pad_end` |
| licence of the data | CC0 1.0 (14 files), CC BY 3.0 (23), CC BY-SA 3.0 (27); authors and attribution in `data/drums/LICENSE.md` |
| command | `{command}` |
| steps | {step} generator steps (each after 5 critic steps), {epochs:.0f} passes over the corpus |
| trained on | {machine} |
| exported | {date} |
| model | {params:,} generator parameters, float32 |

## Figures (`python tools/check_demo_model.py models/drums --n {clips}`)

![Real drums, generated ones and the nearest training clip of each](../../docs/drums.png)

| figure | generated | real drums |
|---|---|---|
| artifact share, median (energy at an untrained WaveGAN's checkerboard frequencies; reference §9.4) | {artifact_share_generated_median:.4f} | {artifact_share_real_median:.4f} |
| distance to the nearest training clip (log-mel features, reference §9.3), median / min | {nearest_training_clip_distance_median:.0f} / {nearest_training_clip_distance_min:.0f} | to the nearest other training clip: {training_clip_to_nearest_other_median:.0f} / {training_clip_to_nearest_other_min:.0f} |
| the same on what is audible (every clip silenced once 30 dB under its peak), median | {audible_nearest_training_clip_distance_median:.0f} | to the nearest other: {audible_training_clip_to_nearest_other_median:.0f}; white-noise bursts as long as real hits: {audible_noise_burst_to_nearest_training_clip_median:.0f} |
| waveform correlation with that nearest training clip, median / max (1 = a copy) | {waveform_correlation_with_nearest_training_clip_median:.2f} / {waveform_correlation_with_nearest_training_clip_max:.2f} | |
| distance to the nearest other generated clip, median (diversity) | {generated_to_nearest_generated_median:.0f} | |
| training clips that are some generated clip's nearest | {distinct_nearest_training_clips} of 64 | |
| when a hit peaks, s (10th / 50th / 90th percentile of clips) | {peak_generated} | {peak_real} |
| how long it sounds (until 30 dB under its peak), s, same percentiles | {sounding_generated} | {sounding_real} |
| spectral centroid, Hz, same percentiles (kick low, hi-hat high) | {centroid_generated} | {centroid_real} |

{copy_note}
"""


def write_card(out_dir: str, figure: str, command: str, machine: str, clips: int = 256) -> None:
    import datetime

    import check_demo_model

    figures, real, generated, nearest = check_demo_model.check(out_dir, clips, 0)
    run = config.load_run_config(out_dir)
    from wavegan.train import checkpoints

    prefix = checkpoints.latest_checkpoint(out_dir)
    step = checkpoints.checkpoint_step(prefix)
    kind = config.kind_of_run(out_dir)
    generator = kind.gan(out_dir).build_generator(run)
    generator.build((None, run.model.latent_dim))
    size = sum(os.path.getsize(os.path.join(out_dir, f)) for f in os.listdir(out_dir)) / 1e6
    copy_note = ("No generated clip copies a training clip: a replay would correlate near 1 and sit at distance near 0."
                 if figures["waveform_correlation_with_nearest_training_clip_max"] < 0.9 else
                 "**Some generated clips correlate above 0.9 with a training clip: the model may replay its data.**")
    shape = {f"{measure}_{name}": " / ".join(f"{v:.0f}" if measure == "centroid" else f"{v:.2f}"
                                             for v in figures[f"hit_{measure}_{unit}_{name}_p10_p50_p90"])
             for measure, unit in (("peak", "s"), ("sounding", "s"), ("centroid", "hz"))
             for name in ("generated", "real")}
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write(CARD.format(dim=run.model.dim, batch=run.train.batch_size, size=size, command=command, step=step,
                            epochs=step * 5 * run.train.batch_size / 64, machine=machine, params=generator.count_params(),
                            date=datetime.datetime.fromtimestamp(os.path.getmtime(prefix + ".index"), datetime.timezone.utc)
                            .strftime("%Y-%m-%d %H:%M UTC"), copy_note=copy_note, **shape, **figures))
    from eval.figures import spectrogram_figure
    import numpy as np

    real_shown = real[np.linspace(0, len(real) - 1, 6).astype(int)]
    spectrogram_figure({"real (data/drums)": list(real_shown), "generated": list(generated[:6]),
                        "its nearest training clip": [real[j] for j in nearest[:6]]},
                       "Drum hits, real and generated by the demo model (16 kHz, 1.02 s)").savefig(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("train_dir")
    parser.add_argument("out_dir")
    parser.add_argument("--ckpt", help="checkpoint prefix (default: the newest in TRAIN_DIR)")
    parser.add_argument("--card", action="store_true", help="check the generator and write OUT_DIR/README.md")
    parser.add_argument("--figure", default="docs/drums.png", help="with --card: the spectrogram grid")
    parser.add_argument("--command", default="", help="with --card: the training command, for the card")
    parser.add_argument("--machine", default="", help="with --card: what it trained on, for the card")
    args = parser.parse_args(argv)
    try:
        prefix = write_generator_only(args.train_dir, args.out_dir, args.ckpt)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.card:
        write_card(args.out_dir, args.figure, args.command, args.machine)
    size = sum(os.path.getsize(os.path.join(args.out_dir, f)) for f in os.listdir(args.out_dir))
    print(f"wrote {prefix} ({size / 1e6:.1f} MB in {args.out_dir})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
