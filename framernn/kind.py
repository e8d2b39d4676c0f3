"""The frame-level GRU baseline registered as a model kind (pyproject.toml: `framernn = "framernn.kind:KIND"`).

Light to import: the model, the trainer and TensorFlow load only when a mode asks for them.
"""

from __future__ import annotations

from framernn.config import FrameRNNConfig
from wavegan import registry
from wavegan.config import RunConfig, data_config, train_config
from wavegan.errors import UserError

MODES = ("train", "generate", "infer")


def make_run(settings: registry.Settings, train_dir: str) -> RunConfig:
    """train_framernn.py's flag values → the run's config; it trains in float32 on one device."""
    train = train_config(settings)
    if train.precision != "float32" or train.strategy != "auto":
        raise UserError("The frame GRU trains in float32 on one device: drop --train_precision and --train_strategy.")
    model = FrameRNNConfig(frame_size=settings.framernn_frame_size, seq_len=settings.framernn_seq_len,
                           units=settings.framernn_units, layers=settings.framernn_layers,
                           learning_rate=settings.framernn_learning_rate, clipnorm=settings.framernn_clipnorm)
    return RunConfig(model_type="framernn", data=data_config(settings, slice_and_channels=False),
                     model=model.validate(), train=train)


def train(train_dir: str, run: RunConfig, on_start) -> int:
    from framernn import run as framernn_run

    return framernn_run.train(train_dir, run, on_start=on_start)


def run_mode(mode: str, train_dir: str, settings: registry.Settings) -> None:
    if mode == "generate":
        from framernn import run as framernn_run

        framernn_run.generate(settings.generate_from or train_dir, settings.generate_dir, settings.generate_n,
                              settings.generate_samples, settings.generate_seed, settings.generate_seed_frames,
                              settings.generate_wav_seed, settings.generate_batch_size)
    elif mode == "infer":
        from framernn.export import export

        print(f"Exported to {export(train_dir, settings.infer_ckpt, settings.infer_dir)}")


def clips_for_scoring(source: str, n: int, seed: int):
    from framernn import run as framernn_run

    return framernn_run.clips_for_scoring(source, n, seed)


KIND = registry.ModelKind(name="framernn", config_class=FrameRNNConfig, modes=MODES, make_run=make_run,
                          train=train, run_mode=run_mode, clips_for_scoring=clips_for_scoring)
