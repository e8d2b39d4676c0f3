"""The WaveNet baseline registered as a model kind (pyproject.toml: `wavenet = "wavenet.kind:KIND"`).

Light to import: the model, the trainer and TensorFlow load only when a mode asks for them.
"""

from __future__ import annotations

import dataclasses
import os

from wavegan import registry
from wavegan.config import CONFIG_FILE, RunConfig, data_config, load_run_config, train_config
from wavegan.errors import UserError
from wavenet.config import DEFAULT_PARAMS, WaveNetConfig, read_params

MODES = ("train", "generate", "infer")


def make_run(settings: registry.Settings, train_dir: str) -> RunConfig:
    """train_wavenet.py's flag values → the run's config: the model settings from the params JSON, whose
    sample_rate is the data's unless --data_sample_rate is given; float32 on one device. A resumed run keeps
    the global-conditioning categories it was trained on (train_dir's config.json)."""
    params = read_params(settings.wavenet_params or DEFAULT_PARAMS)
    sample_rate = params.pop("sample_rate", None)
    data = data_config(settings, slice_and_channels=False)
    if sample_rate and "data_sample_rate" not in settings.given:
        data = dataclasses.replace(data, sample_rate=int(sample_rate))
    train = train_config(settings)
    if train.precision != "float32" or train.strategy != "auto":
        raise UserError("The WaveNet trains in float32 on one device: drop --train_precision and --train_strategy.")
    model = WaveNetConfig(
        **params, gc_channels=settings.wavenet_gc_channels, gc_source=settings.wavenet_gc_from,
        sample_size=settings.wavenet_sample_size, silence_threshold=settings.wavenet_silence_threshold,
        learning_rate=settings.wavenet_learning_rate, optimizer=settings.wavenet_optimizer,
        momentum=settings.wavenet_momentum,
        l2_regularization_strength=settings.wavenet_l2_regularization_strength).validate()
    run = RunConfig(model_type="wavenet", data=data, model=model, train=train)
    if os.path.exists(os.path.join(train_dir, CONFIG_FILE)):
        run.model.gc_categories = load_run_config(train_dir, "wavenet").model.gc_categories
    return run


def train(train_dir: str, run: RunConfig, on_start) -> int:
    from wavenet import run as wavenet_run

    return wavenet_run.train(train_dir, run, on_start=on_start)


def run_mode(mode: str, train_dir: str, settings: registry.Settings) -> None:
    if mode == "generate":
        from wavenet import run as wavenet_run

        wavenet_run.generate(settings.generate_from or train_dir, settings.generate_dir, settings.generate_n,
                             settings.generate_samples, settings.generate_temperature, settings.generate_seed,
                             settings.generate_wav_seed, settings.generate_category, settings.generate_fast,
                             settings.generate_batch_size, settings.generate_keep_seed)
    elif mode == "infer":
        from wavenet.export import export

        print(f"Exported to {export(train_dir, settings.infer_ckpt, settings.infer_dir)}")


def clips_for_scoring(source: str, n: int, seed: int):
    from wavenet import run as wavenet_run

    return wavenet_run.clips_for_scoring(source, n, seed)


KIND = registry.ModelKind(name="wavenet", config_class=WaveNetConfig, modes=MODES, make_run=make_run,
                          train=train, run_mode=run_mode, clips_for_scoring=clips_for_scoring)
