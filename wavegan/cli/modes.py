"""The mode dispatch every script shares: `train` for any model kind, the GANs' after-training modes
(preview, incept, infer, generate, web), and the modes a model package runs itself (SpecGAN's moments,
the baselines' generate and infer). Everything arrives as values: the kind from the registry, the
script's flag values as `Settings`.
"""

from __future__ import annotations

import os
from typing import Any, Callable

from wavegan import config
from wavegan.cli.flags import args_for_run
from wavegan.errors import UserError
from wavegan.registry import ModelKind, Settings


def run_mode(kind: ModelKind, mode: str, train_dir: str, settings: Settings) -> None:
    """Runs `mode` of `kind` on train_dir."""
    if mode == "train":
        train(kind, train_dir, settings)
    elif kind.gan is not None and mode in ("preview", "incept", "infer", "generate", "web"):
        run_gan_mode(mode, train_dir, lambda run_dir: checked_gan(kind, run_dir), settings)
    elif kind.run_mode is not None and mode in kind.modes:
        kind.run_mode(mode, train_dir, settings)
    else:
        raise UserError(f"unknown mode {mode!r}")


def checked_gan(kind: ModelKind, train_dir: str):
    """The GanKind of the run in train_dir, after checking that the run (if there is one) is of `kind`."""
    if os.path.exists(os.path.join(train_dir, config.CONFIG_FILE)):
        config.load_run_config(train_dir, kind.name)
    return kind.gan(train_dir)


def train(kind: ModelKind, train_dir: str, settings: Settings) -> int:
    """The train mode of any kind: flag values → the run's config; the run's settings (config.json, args.txt,
    the package's own files) are written by the chief once training really starts. The writer holds the
    train dir's lock (wavegan.train.lock) for the whole run: a second `train` on it is refused at once."""
    run = kind.make_run(settings, train_dir)
    config.check_validation_flags(run, settings.given)

    def write_settings(run_used: Any, chief: bool = True) -> None:
        if not chief:
            return
        config.save_run_config(train_dir, run_used)
        config.write_args_txt(train_dir, {"mode": "train", "train_dir": train_dir,
                                          **args_for_run(run_used, settings.flag_values)})
        if kind.on_train_start is not None:
            kind.on_train_start(train_dir, settings)

    if kind.gan_for_training is None:  # one device, so one writer: this process holds the train dir
        from wavegan.train.lock import TrainDirLock

        with TrainDirLock(train_dir):
            return kind.train(train_dir, run, lambda: write_settings(run))
    # The GANs' chief (known once the strategy is made) holds the train dir: adversarial.train_run.
    from wavegan.serve.export import checkpoint_exporter
    from wavegan.train.adversarial import train_run

    return train_run(train_dir, run, lambda chief: kind.gan_for_training(train_dir, settings, chief),
                     on_start=write_settings, exporter=checkpoint_exporter(train_dir),
                     validation_tools=validation_tools)


def validation_tools(run: Any):
    """What a GAN's validation takes from the evaluation layer above training (which the train layer must not
    import): the features of --train_valid_classifier (else the train layer's log-mel statistics) and the
    artifact envelope."""
    from wavegan.metrics import load_envelope
    from wavegan.paths import ARTIFACT_ENVELOPE
    from wavegan.train import validation

    features = None
    path = run.train.valid_classifier
    if path:
        from wavegan.audio.features import CLIP_LEN, fix_length
        from wavegan.evaluation.classifier import load_classifier

        if run.data.sample_rate != 16000:
            raise UserError(f"--train_valid_classifier judges 16 kHz clips of {CLIP_LEN} samples; this run is at "
                            f"{run.data.sample_rate} Hz: drop it (the log-mel statistics need no classifier).")
        classifier = load_classifier(path)
        features = validation.FeatureSpace(f"the features of {path}",
                                           lambda clips: classifier.embeddings(fix_length(clips)),
                                           lambda clips: classifier.predict_proba(fix_length(clips)))
    envelope = load_envelope(ARTIFACT_ENVELOPE) if os.path.exists(ARTIFACT_ENVELOPE) else None
    return validation.Tools(features, envelope)


def run_gan_mode(mode: str, train_dir: str, make_kind: Callable[[str], Any], settings: Settings) -> None:
    """preview / incept / infer / generate / web: everything they need comes from TRAIN_DIR's config and checkpoints.

    `make_kind(train_dir)` returns the run's GanKind.
    """
    import keras
    import tensorflow as tf

    from wavegan.serve import export, generate, preview
    from wavegan.serve.latents import interpolate, load_latents, sample_latents
    from wavegan.train import checkpoints

    if mode == "incept":
        from wavegan.evaluation.incept import run_incept

        tf.config.set_visible_devices([], "GPU")
        run_incept(train_dir, make_kind(train_dir), settings.incept_ckpt_fp, settings.incept_n, settings.incept_k,
                   once=settings.incept_once)
    elif mode == "preview":
        # Beside training: leave the GPU to the trainer.
        tf.config.set_visible_devices([], "GPU")
        preview.run_preview(train_dir, make_kind(train_dir), settings.preview_n, once=settings.preview_once)
    elif mode == "infer":
        kind = make_kind(train_dir)
        out = settings.infer_dir or os.path.join(train_dir, export.EXPORT_SUBDIR)
        if keras.backend.backend() != "tensorflow":  # the SavedModel's signatures are TensorFlow graphs
            path = checkpoints.resolve_checkpoint(train_dir, settings.infer_ckpt)
            exporter = export.SubprocessExporter(train_dir, out, settings.infer_precision)
            exporter(path, checkpoints.checkpoint_step(path))
            failure = exporter.wait(warn=False)
            if failure:
                raise UserError(f"Exporting {path} with the TensorFlow backend failed: {failure}")
            print(f"Exported step {checkpoints.checkpoint_step(path)} to {os.path.abspath(out)}")
            return
        generator, run, step = checkpoints.load_generator(train_dir, kind.build_generator, settings.infer_ckpt)
        print(f"Exported step {step} to "
              f"{export.export_checkpoint(generator, run, step, out, kind, settings.infer_precision)}")
    elif mode == "generate":
        source = generate.open_generator(settings.generate_from or train_dir, make_kind)
        if settings.generate_n < 1 or settings.generate_batch_size < 1:
            raise UserError("--generate_n and --generate_batch_size must be at least 1.")
        if settings.generate_interp:
            rows = [int(r) for r in settings.generate_interp_rows]
            saved = load_latents(settings.generate_interp, source.latent_dim)
            if len(rows) != 2 or max(rows) >= len(saved):
                raise UserError(f"--generate_interp_rows needs two row numbers below {len(saved)}.")
            latents = interpolate(saved[rows[0]], saved[rows[1]], settings.generate_n)
        else:
            latents = sample_latents(settings.generate_n, source.latent_dim, settings.generate_seed)
        out_dir = settings.generate_dir or os.path.join(train_dir, "generated")
        if source.classes or settings.generate_label:
            generate.write_labelled(source, latents, out_dir, settings.generate_label, bool(settings.generate_interp),
                                    settings.generate_batch_size, print_fn=print)
            return
        print(f"Generating {len(latents)} clips with {source.source} (step {source.step})")
        generate.write_wavs(source, latents, out_dir, settings.generate_batch_size, print_fn=print)
    elif mode == "web":
        from wavegan.serve import web

        web.run_web_mode(train_dir, make_kind(train_dir), settings.web_ckpt, settings.web_dir or
                     os.path.join(train_dir, "web"), settings.web_serve, settings.web_port)
    else:
        raise UserError(f"unknown mode {mode!r}")
