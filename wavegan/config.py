"""Plain dataclasses for everything a run is built from, saved as JSON in the train dir.

A script's flag values → these configs (`data_config`, `train_config`, and each model kind's `make_run`) →
`config.json`, so later modes (and resumed runs) rebuild the same model. The model section's class comes
from the run's model kind (wavegan.registry).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from typing import Any, ClassVar

from wavegan import paths, registry, storage
from wavegan.errors import UserError

SLICE_LENS = (16384, 32768, 65536)
LOSSES = ("dcgan", "lsgan", "wgan", "wgan-gp")
UPSAMPLES = ("zeros", "nn")
CONFIG_FILE = "config.json"
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16", "auto")  # auto: wavegan/train/precision.py
STRATEGIES = ("auto", "mirrored", "multiworker", "tpu")
LABEL_MODES = ("", "folder", "prefix")
VALID_GROUPS = ("auto", "file", "folder")  # how --data_valid_fraction groups files (wavegan/audio/split.py)


@dataclasses.dataclass
class DataConfig:
    """The audio pipeline's settings (reference §2.1 "Data", §6)."""

    data_dir: str | None = None
    sample_rate: int = 16000
    slice_len: int = 16384
    num_channels: int = 1
    overlap_ratio: float = 0.0
    first_slice: bool = False
    pad_end: bool = False
    # The original's flag is a no-op and every file is peak-normalised (reference §6.4): on by default.
    normalize: bool = True
    fast_wav: bool = False
    prefetch_gpu_num: int = 0
    cache: str = ""  # "" off, "memory", or a file prefix for tf.data's on-disk cache
    prepared: str = ""  # folder of the prepared corpus (wavegan/audio/corpus.py), "" off
    # Label conditioning (wavegan/audio/labels.py): "" off, "folder" or "prefix"; the class names found at the
    # first train run, in index order. A run with classes has conditional models.
    labels: str = ""
    classes: list[str] = dataclasses.field(default_factory=list)
    # The validation split (wavegan/audio/split.py): a share of the files held out by a seeded choice of
    # groups, or a folder split by hand; neither (the paper's setting) trains on every file.
    valid_fraction: float = 0.0
    valid_dir: str = ""
    valid_seed: int = 0
    valid_group: str = "auto"

    @property
    def has_split(self) -> bool:
        return bool(self.valid_fraction or self.valid_dir)

    def split_settings(self) -> tuple:
        """What decides which files are held out; a resumed run must keep it."""
        return (self.valid_fraction, os.path.normpath(self.valid_dir) if self.valid_dir else "", self.valid_seed,
                self.valid_group)

    def resolved(self) -> "DataConfig":
        """Checks the settings and applies what --data_first_slice implies (no overlap, pad end)."""
        if self.slice_len not in SLICE_LENS:
            raise UserError(f"--data_slice_len must be one of {SLICE_LENS}, not {self.slice_len}.")
        if self.sample_rate <= 0:
            raise UserError(f"--data_sample_rate must be positive, not {self.sample_rate}.")
        if self.num_channels < 1:
            raise UserError(f"--data_num_channels must be at least 1, not {self.num_channels}.")
        if not 0.0 <= self.overlap_ratio < 1.0:
            raise UserError(f"--data_overlap_ratio must be in [0, 1), not {self.overlap_ratio}.")
        if self.labels not in LABEL_MODES:
            raise UserError(f"--data_labels must be folder or prefix (or empty for no labels), not {self.labels!r}.")
        if not 0.0 <= self.valid_fraction < 1.0:
            raise UserError(f"--data_valid_fraction must be in [0, 1), not {self.valid_fraction}.")
        if self.valid_fraction and self.valid_dir:
            raise UserError("--data_valid_fraction and --data_valid_dir are two ways to choose the held-out files: "
                            "pass one of them.")
        if self.valid_group not in VALID_GROUPS:
            raise UserError(f"--data_valid_group must be one of {', '.join(VALID_GROUPS)}, not {self.valid_group!r}.")
        if self.first_slice:
            return dataclasses.replace(self, overlap_ratio=0.0, pad_end=True)
        return self

    @property
    def hop(self) -> int:
        """Samples between slice starts (reference §6.2: round(slice_len · (1 − overlap)))."""
        hop = int(round(self.slice_len * (1.0 - self.overlap_ratio)))
        if hop < 1:
            raise UserError(f"--data_overlap_ratio {self.overlap_ratio} leaves a hop of {hop} samples: lower it.")
        return hop

    @property
    def random_offset(self) -> bool:
        return not self.first_slice


def class_kwargs(data: DataConfig) -> dict[str, Any]:
    """The models' num_classes for a run with labels; nothing for an unconditional run."""
    return {"num_classes": len(data.classes)} if data.classes else {}


@dataclasses.dataclass
class GanConfig:
    """The model and loss settings WaveGAN and SpecGAN share (reference §2.1, §2.2); each subclass sets the
    defaults that differ, its flag prefix and its upsampling choices, and adds its own fields."""

    PREFIX: ClassVar[str] = ""
    UPSAMPLES: ClassVar[tuple[str, ...]] = UPSAMPLES

    latent_dim: int = 100
    kernel_len: int = 25
    dim: int = 64
    batchnorm: bool = False
    disc_nupdates: int = 5
    loss: str = "wgan-gp"
    genr_upsample: str = "zeros"

    def validate(self) -> "GanConfig":
        """Checks the shared fields; errors name the `--<prefix>_*` flag."""
        prefix = self.PREFIX
        if self.loss not in LOSSES:
            raise UserError(f"--{prefix}_loss must be one of {LOSSES}, not {self.loss!r}.")
        if self.genr_upsample not in self.UPSAMPLES:
            raise UserError(f"--{prefix}_genr_upsample must be one of {self.UPSAMPLES}, not {self.genr_upsample!r}.")
        for name in ("latent_dim", "kernel_len", "dim", "disc_nupdates"):
            if getattr(self, name) < 1:
                raise UserError(f"--{prefix}_{name} must be at least 1, not {getattr(self, name)}.")
        return self


@dataclasses.dataclass
class TrainConfig:
    """How long and how often (reference §2.1 "Train"); max_steps None runs until killed, as the original."""

    batch_size: int = 64
    save_secs: int = 300
    summary_secs: int = 120
    max_steps: int | None = None
    jit: str = "auto"
    precision: str = "float32"
    strategy: str = "auto"  # how, not what: a run may resume under another strategy or device count
    keep_checkpoints: int = 5
    label_balance: bool = False  # with labels: sample every class equally instead of as often as the data has it
    # With a validation split (wavegan/train/validation.py): seconds between evaluations on the held-out
    # data, examples per evaluation, the classifier whose features the GANs' distance uses ("" log-mel
    # statistics), and how many bad evaluations in a row stop training (0: never).
    valid_secs: int = 300
    valid_n: int = 256
    valid_classifier: str = ""
    stop_patience: int = 0

    def validate(self) -> "TrainConfig":
        if self.batch_size < 1:
            raise UserError(f"--train_batch_size must be at least 1, not {self.batch_size}.")
        if self.max_steps is not None and self.max_steps < 0:
            raise UserError(f"--train_max_steps must be 0 or more, not {self.max_steps}.")
        if self.keep_checkpoints < 1:
            raise UserError(f"--train_keep_checkpoints must be at least 1, not {self.keep_checkpoints}.")
        if self.jit not in ("auto", "on", "off"):
            raise UserError(f"--train_jit must be auto, on or off, not {self.jit!r}.")
        if self.precision not in PRECISIONS:
            raise UserError(f"--train_precision must be one of {PRECISIONS}, not {self.precision!r}.")
        if self.strategy not in STRATEGIES:
            raise UserError(f"--train_strategy must be one of {', '.join(STRATEGIES)}, not {self.strategy!r}.")
        if self.valid_secs < 0:
            raise UserError(f"--train_valid_secs must be 0 or more, not {self.valid_secs}.")
        if self.valid_n < 2:
            raise UserError(f"--train_valid_n must be at least 2 (a distance between sets needs two), not {self.valid_n}.")
        if self.stop_patience < 0:
            raise UserError(f"--train_stop_patience must be 0 (off) or more, not {self.stop_patience}.")
        if self.stop_patience and self.strategy == "multiworker":
            raise UserError("--train_stop_patience stops the chief alone, which would leave the other workers "
                            "waiting: drop it with --train_strategy multiworker.")
        return self


@dataclasses.dataclass
class RunConfig:
    """Everything saved in `train_dir/config.json`."""

    model_type: str
    data: DataConfig
    model: Any  # the model kind's config_class
    train: TrainConfig

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RunConfig":
        model_cls = registry.get(d["model_type"]).config_class
        return cls(model_type=d["model_type"], data=DataConfig(**d["data"]),
                   model=model_cls(**d["model"]), train=TrainConfig(**d["train"]))


def model_defining_fields(run: RunConfig) -> dict[str, Any]:
    """The settings a checkpoint's variables depend on: changing one makes it unloadable."""
    fields = dataclasses.asdict(run.model)
    fields.update(slice_len=run.data.slice_len, num_channels=run.data.num_channels)
    for behaviour_only in ("disc_nupdates", "disc_phaseshuffle", *getattr(run.model, "BEHAVIOUR_ONLY", ())):
        fields.pop(behaviour_only, None)
    fields.pop("loss", None)  # each loss has its own optimiser, hence other optimiser slots
    return fields


def save_run_config(train_dir: str, run: RunConfig) -> None:
    """Writes config.json atomically, refusing to change the model of an existing run."""
    check_run_config(train_dir, run)
    write_text_atomically(os.path.join(train_dir, CONFIG_FILE), run.to_json() + "\n")


def check_run_config(train_dir: str, run: RunConfig) -> None:
    """Refuses settings that cannot resume the run already in train_dir (if any)."""
    path = os.path.join(train_dir, CONFIG_FILE)
    if os.path.exists(path):
        with open(path) as f:
            previous = RunConfig.from_dict(json.load(f))
        if previous.model_type != run.model_type:
            raise UserError(f"{train_dir} holds a {previous.model_type} run: choose another train_dir.")
        if previous.data.classes != run.data.classes:
            raise UserError(class_change_message(train_dir, previous.data, run.data))
        before, after = model_defining_fields(previous), model_defining_fields(run)
        changed = [k for k in before if before[k] != after.get(k)]
        if changed:
            details = ", ".join(f"{k}={before[k]!r} (now {after.get(k)!r})" for k in changed)
            raise UserError(f"{train_dir} holds a model built with {details}: pass the same model flags "
                            "to resume it, or choose a new train_dir.")
        if (previous.train.precision == "mixed_float16") != (run.train.precision == "mixed_float16"):
            raise UserError(f"{train_dir} was trained with --train_precision {previous.train.precision}, whose "
                            "checkpoints differ (loss-scale state): resume with it or choose a new train_dir.")
        if previous.data.split_settings() != run.data.split_settings():
            raise UserError(split_change_message(train_dir, previous.data))
        if getattr(previous.model, "loss", None) != getattr(run.model, "loss", None):
            raise UserError(f"{train_dir} was trained with --{run.model_type}_loss {previous.model.loss}: resume with "
                            "that loss (its optimiser state is in the checkpoints) or choose a new train_dir.")


def class_change_message(train_dir: str, before: DataConfig, after: DataConfig) -> str:
    def describe(cfg: DataConfig) -> str:
        return f"{len(cfg.classes)} classes ({', '.join(cfg.classes)})" if cfg.classes else "no labels"

    return (f"{train_dir} was trained with {describe(before)} but this run has {describe(after)}: resume with "
            f"{'--data_labels ' + before.labels if before.labels else 'no --data_labels'} on data with the same "
            "classes, or choose a new train_dir.")


def describe_split(data: DataConfig) -> str:
    """The flags that chose a run's held-out files, as they would be typed."""
    if data.valid_dir:
        return f"--data_valid_dir {data.valid_dir}"
    if data.valid_fraction:
        return (f"--data_valid_fraction {data.valid_fraction} --data_valid_seed {data.valid_seed} "
                f"--data_valid_group {data.valid_group}")
    return "no validation split"


def split_change_message(train_dir: str, before: DataConfig) -> str:
    # Another split would train on files held out so far (or hold out files already trained on), and the
    # validation curve would stop measuring unseen data.
    return (f"{train_dir} was trained with {describe_split(before)}: resume with the same split (its held-out files "
            "stay held out), or choose a new train_dir.")


# Train flags that only mean something with a validation split.
VALIDATION_TRAIN_FLAGS = ("train_valid_secs", "train_valid_n", "train_valid_classifier", "train_stop_patience")


def check_validation_flags(run: RunConfig, given: frozenset[str] | set[str]) -> None:
    """Refuses validation settings on a run without held-out data (they would do nothing)."""
    asked = [name for name in VALIDATION_TRAIN_FLAGS if name in given]
    if asked and not run.data.has_split:
        names = ", ".join(f"--{name}" for name in asked)
        raise UserError(f"{names} {'needs' if len(asked) == 1 else 'need'} held-out data: pass --data_valid_fraction "
                        "(e.g. 0.1) or --data_valid_dir too, or drop it.")


def load_run_config(train_dir: str, model_type: str | None = None) -> RunConfig:
    """The run's config; with `model_type`, insists the run is of that kind."""
    path = os.path.join(train_dir, CONFIG_FILE)
    if not os.path.exists(path):
        raise UserError(f"{path} does not exist: run the train mode in {train_dir} first.")
    with open(path) as f:
        run = RunConfig.from_dict(json.load(f))
    if model_type and run.model_type != model_type:
        raise UserError(f"{train_dir} holds a {run.model_type} run: use train_{run.model_type}.py for it.")
    return run


def write_args_txt(train_dir: str, flag_values: dict[str, Any]) -> None:
    """The original's `args.txt`: one `name,value` line per flag, sorted by name (reference §1)."""
    lines = [f"{name},{flag_values[name]}" for name in sorted(flag_values)]
    write_text_atomically(os.path.join(train_dir, "args.txt"), "\n".join(lines) + "\n")


def write_text_atomically(path: str, text: str) -> None:
    """Readers see the old file or the new one, never half of one; a failed write (a full disk) leaves the
    old file and no temporary, and says so in one sentence (StorageError)."""
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        storage.remove_quietly(tmp)
        raise storage.failure(e, f"writing {path}", path) or e


def model_type_of(source: str) -> str | None:
    """The model_type in the config.json of a train dir (or of a checkpoint prefix's folder); None without one."""
    folder = source if os.path.isdir(source) else os.path.dirname(source)
    path = os.path.join(folder, CONFIG_FILE)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f).get("model_type")


def kind_of_run(source: str) -> registry.ModelKind:
    """The model kind of the run in a train dir (or the run a checkpoint prefix belongs to)."""
    model_type = model_type_of(source)
    if model_type is None:
        folder = source if os.path.isdir(source) else os.path.dirname(source)
        raise UserError(f"{os.path.join(folder, CONFIG_FILE)} does not exist: run the train mode in {folder} first.")
    return registry.get(model_type)


# The corpus a run trains on when no --data_dir is given: drum one-shots, shorter than one slice.
BUNDLED_CORPUS = paths.DRUM_CORPUS


def data_config(settings: Any, slice_and_channels: bool = True) -> DataConfig:
    """The "Data" flags' values → DataConfig; without `slice_and_channels` (SpecGAN, the baselines, which have
    no such flags) the slice is 16384 samples of one channel. No data_dir: the bundled drum corpus."""
    cfg = DataConfig(
        data_dir=settings.data_dir, sample_rate=settings.data_sample_rate,
        slice_len=settings.data_slice_len if slice_and_channels else 16384,
        num_channels=settings.data_num_channels if slice_and_channels else 1,
        overlap_ratio=settings.data_overlap_ratio, first_slice=settings.data_first_slice,
        pad_end=settings.data_pad_end, normalize=settings.data_normalize, fast_wav=settings.data_fast_wav,
        prefetch_gpu_num=settings.data_prefetch_gpu_num, cache=settings.data_cache, prepared=settings.data_prepared,
        labels=settings.data_labels or "", valid_fraction=settings.data_valid_fraction,
        valid_dir=settings.data_valid_dir or "", valid_seed=settings.data_valid_seed,
        valid_group=settings.data_valid_group)
    if cfg.data_dir is None:
        # The bundled corpus is drum one-shots, shorter than one slice: they need these two flags.
        logging.getLogger("wavegan").info(
            "No --data_dir given: training on the bundled drum corpus %s with --data_first_slice --data_pad_end.",
            BUNDLED_CORPUS)
        cfg = dataclasses.replace(cfg, data_dir=BUNDLED_CORPUS, first_slice=True, pad_end=True)
    return cfg.resolved()


def train_config(settings: Any) -> TrainConfig:
    """The "Train" flags' values → TrainConfig."""
    return TrainConfig(batch_size=settings.train_batch_size, save_secs=settings.train_save_secs,
                       summary_secs=settings.train_summary_secs, max_steps=settings.train_max_steps,
                       keep_checkpoints=settings.train_keep_checkpoints,
                       jit=settings.train_jit, precision=settings.train_precision,
                       strategy=settings.train_strategy, label_balance=settings.train_label_balance,
                       valid_secs=settings.train_valid_secs, valid_n=settings.train_valid_n,
                       valid_classifier=settings.train_valid_classifier or "",
                       stop_patience=settings.train_stop_patience).validate()
