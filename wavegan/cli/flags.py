"""The flags every script shares, by group, and what the scripts do with flags: --help by group, the
refusal of a shared flag a model does not read, and the values recorded in args.txt.

The flag names and defaults are the original's (reference §2); each script adds its model's own group.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import textwrap
from typing import Any, Callable, Mapping, Sequence

from absl import flags

from wavegan import paths
from wavegan.config import PRECISIONS, STRATEGIES, VALID_GROUPS
from wavegan.errors import UserError

FLAGS = flags.FLAGS

_defined: list[str] = []  # every flag this project defines, for args.txt
# Shared flags a script defines with their group but never reads: name → (the model, why not).
_unused: dict[str, tuple[str, str]] = {}


def _track(define: Callable, name: str, *args, **kwargs) -> None:
    define(name, *args, **kwargs)
    _defined.append(name)


def define_data_flags(slice_and_channels: bool = True) -> None:
    """The "Data" group (reference §2.1); SpecGAN has no slice-length or channel flags (reference §2.2)."""
    _track(flags.DEFINE_string, "data_dir", None,
           "Folder of audio files (searched recursively). Default: the bundled drum corpus data/drums.")
    _track(flags.DEFINE_integer, "data_sample_rate", 16000, "Decoding rate; files are resampled to it.")
    if slice_and_channels:
        _track(flags.DEFINE_integer, "data_slice_len", 16384,
               "Samples per example (generated length): 16384, 32768 or 65536.")
        _track(flags.DEFINE_integer, "data_num_channels", 1, "Audio channels (1 mono, 2 stereo, ...).")
    _track(flags.DEFINE_float, "data_overlap_ratio", 0.0, "Overlap between consecutive slices, in [0, 1).")
    _track(flags.DEFINE_boolean, "data_first_slice", False,
           "Only the first slice of each file (no random offset); implies --data_pad_end.")
    _track(flags.DEFINE_boolean, "data_pad_end", False,
           "Keep the zero-padded partial last slice (needed for files shorter than one slice).")
    _track(flags.DEFINE_boolean, "data_normalize", True,
           "Peak-normalise each file. On by default because the original always normalised "
           "(its flag was ignored); --nodata_normalize turns it off.")
    _track(flags.DEFINE_boolean, "data_fast_wav", False,
           "Decode with TensorFlow's native reader: 16-bit PCM WAV at --data_sample_rate only.")
    _track(flags.DEFINE_string, "data_cache", "",
           "Keep decoded audio after the first pass: 'memory', or a file prefix for an on-disk cache.")
    _track(flags.DEFINE_enum, "data_labels", None, ["folder", "prefix"],
           "Train a label-conditional model: each file's class is its parent folder's name (folder) or its "
           "name up to the first _ (prefix, as SC09's Seven_....wav).")
    _track(flags.DEFINE_string, "data_prepared", "",
           "A folder for the prepared corpus: every file decoded once (in one process per core) at the "
           "training rate, then read natively by TensorFlow; later runs reuse it. Same slices and shuffling.")
    _track(flags.DEFINE_float, "data_valid_fraction", 0.0,
           "Hold out this share of the files (0: none, the paper's setting) to validate on: chosen by "
           "--data_valid_seed, by speaker where the names carry one (--data_valid_group), per class with "
           "--data_labels; listed in TRAIN_DIR/valid_files.txt and kept on resume. Training never reads them.")
    _track(flags.DEFINE_string, "data_valid_dir", None,
           "A folder of held-out audio split by hand (e.g. data/digits/valid), instead of --data_valid_fraction; "
           "files under it inside --data_dir are left out of training.")
    _track(flags.DEFINE_integer, "data_valid_seed", 0, "The seed that picks --data_valid_fraction's files.")
    _track(flags.DEFINE_enum, "data_valid_group", "auto", list(VALID_GROUPS),
           "What --data_valid_fraction holds out whole, so that no source is on both sides: auto = a speaker where "
           "the file name carries one (Speech Commands' <speaker>_nohash_, VCTK's p<speaker>_), else the file; "
           "file; folder = every file of a sub-folder together.")
    _track(flags.DEFINE_integer, "data_prefetch_gpu_num", 0,
           "Accepted for compatibility with the original; Keras fit() already overlaps host-to-device copies.")


def define_train_flags() -> None:
    """The "Train" group (reference §2.1) plus --train_max_steps, --train_jit, --train_precision and
    --train_strategy."""
    _track(flags.DEFINE_integer, "train_batch_size", 64, "Batch size.")
    _track(flags.DEFINE_integer, "train_save_secs", 300, "Seconds between checkpoints.")
    _track(flags.DEFINE_integer, "train_summary_secs", 120, "Seconds between TensorBoard summaries.")
    _track(flags.DEFINE_integer, "train_keep_checkpoints", 5,
           "Newest checkpoints kept (the original kept 5); one at the paper's size takes 438 MB.")
    _track(flags.DEFINE_integer, "train_max_steps", None,
           "Stop after this many generator steps in total (default: run until killed, as the original).")
    _track(flags.DEFINE_enum, "train_jit", "auto", ["auto", "on", "off"],
           "XLA compilation of the train step: auto = on with a GPU, off on CPU (where XLA is slower).")
    _track(flags.DEFINE_enum, "train_precision", "float32", list(PRECISIONS),
           "float32 (the paper), or mixed precision (mixed_float16 with dynamic loss scaling); auto = "
           "mixed_bfloat16 where bf16 is fast (GPU compute capability 8+, or a CPU with bf16 instructions where "
           "a one-second probe finds it faster), else float32; the choice is printed.")
    _track(flags.DEFINE_enum, "train_strategy", "auto", list(STRATEGIES),
           "tf.distribute: auto = MirroredStrategy with 2+ GPUs, else one device; mirrored = all GPUs (or "
           "all logical CPUs); multiworker = MultiWorkerMirroredStrategy from TF_CONFIG; tpu. "
           "--train_batch_size stays the global batch.")
    _track(flags.DEFINE_boolean, "train_label_balance", False,
           "With --data_labels: sample every class equally often, instead of as often as the data has it.")
    _track(flags.DEFINE_integer, "train_valid_secs", 300,
           "With held-out data: seconds between validation evaluations (a GAN's Frechet distance to the "
           "held-out set, a baseline's held-out loss); the best evaluation's weights are kept in TRAIN_DIR/best "
           "(export them with --infer_ckpt best). One warning when the value stays 1.5x above its best for 3 "
           "evaluations, or when a GAN's clips collapse.")
    _track(flags.DEFINE_integer, "train_valid_n", 256,
           "With held-out data: examples per evaluation (generated and held-out clips for a GAN, held-out "
           "pieces or sequences for a baseline).")
    _track(flags.DEFINE_string, "train_valid_classifier", "",
           "With held-out data: a classifier (.keras, e.g. eval/digits_classifier.keras) whose features the "
           "GANs' Frechet distance uses and whose labels tell a collapse to one class; default: log-mel "
           "statistics (no labels needed).")
    _track(flags.DEFINE_integer, "train_stop_patience", 0,
           "With held-out data: stop training after this many bad evaluations in a row (the value 1.5x above "
           "its best, or collapsed clips); 0: never stop, only warn.")


def define_after_training_flags() -> None:
    """Flags of the preview, infer and generate modes, shared by both scripts."""
    _track(flags.DEFINE_integer, "preview_n", 32, "preview: number of fixed latents rendered per checkpoint.")
    _track(flags.DEFINE_boolean, "preview_once", False,
           "preview: render the newest checkpoint and exit instead of polling for new ones.")
    _track(flags.DEFINE_string, "incept_ckpt_fp", paths.DIGITS_CLASSIFIER,
           "incept: the digit classifier (.keras) written by `python -m eval.train_classifier`.")
    _track(flags.DEFINE_integer, "incept_n", 5000, "incept: fixed latents scored per checkpoint.")
    _track(flags.DEFINE_integer, "incept_k", 10, "incept: splits of the Inception score.")
    _track(flags.DEFINE_boolean, "incept_once", False,
           "incept: score the newest checkpoint and exit instead of polling for new ones.")
    define_generate_flags()
    _track(flags.DEFINE_string, "generate_interp", None,
           "generate: a .npy of latents (e.g. a z.npy written by generate); interpolate from its row "
           "--generate_interp_rows[0] to row [1] in --generate_n steps instead of sampling.")
    _track(flags.DEFINE_list, "generate_interp_rows", ["0", "1"], "generate: the two rows to interpolate between.")
    _track(flags.DEFINE_list, "generate_label", None,
           "generate, conditional models: the class(es) to generate, by name or index (default: every class, "
           "--generate_n clips each; files are named <Class>_<index>.wav). With --generate_interp, one class "
           "keeps it along the walk and two classes walk from the first to the second.")
    _track(flags.DEFINE_string, "web_dir", None, "web: where to write the drum-machine page (default: TRAIN_DIR/web).")
    _track(flags.DEFINE_string, "web_ckpt", None, "web: checkpoint prefix to export (default: the newest in TRAIN_DIR).")
    _track(flags.DEFINE_boolean, "web_serve", False, "web: serve the page on http://127.0.0.1:--web_port after writing it.")
    _track(flags.DEFINE_integer, "web_port", 8000, "web: port of --web_serve.")


def define_generate_flags() -> None:
    """The infer and generate flags every script shares (the GANs and the autoregressive baselines)."""
    _track(flags.DEFINE_string, "infer_ckpt", None,
           "infer: checkpoint prefix to export (default: the newest in TRAIN_DIR).")
    _track(flags.DEFINE_string, "infer_dir", None, "infer: where to write the SavedModel "
           "(default: TRAIN_DIR/infer/saved_model, which training also refreshes at every checkpoint).")
    _track(flags.DEFINE_enum, "infer_precision", "float32", ["float32", "bfloat16"],
           "infer: what the SavedModel's signatures compute in. bfloat16 is 2.3-3.3x faster on CPUs with AMX "
           "(float32 inputs and outputs; outputs within bfloat16 rounding, ~45 dB SNR, docs/benchmarks.md).")
    _track(flags.DEFINE_string, "generate_from", None,
           "generate: a SavedModel folder or checkpoint prefix (default: the newest checkpoint in TRAIN_DIR).")
    _track(flags.DEFINE_string, "generate_dir", None, "generate: output folder (default: TRAIN_DIR/generated).")
    _track(flags.DEFINE_integer, "generate_n", 100, "generate: number of WAV files (the paper scored 50000).")
    _track(flags.DEFINE_integer, "generate_batch_size", 64, "generate: clips generated at once.")
    _track(flags.DEFINE_integer, "generate_seed", 0, "generate: seed of the latents, for reproducible files.")


def define_autoregressive_flags() -> None:
    """Generation flags of the sample-by-sample baselines (WaveNet, frame GRU)."""
    _track(flags.DEFINE_integer, "generate_samples", 16000, "generate: samples per clip (16000 = 1 s at 16 kHz).")
    _track(flags.DEFINE_string, "generate_wav_seed", None,
           "generate: an audio file whose start is the context the clips continue (cut off the output).")


# --help: this script's flags by group, named by prefix, in the order they are defined; the model's group
# is the flags named after it (wavegan_*, specgan_*, wavenet_*, framernn_*).
FLAG_GROUPS = (("Data", ("data_",)), ("Model", ()), ("Training", ("train_",)),
               ("After training (preview, incept, infer, generate, web modes)",
                ("preview_", "incept_", "infer_", "generate_", "web_")))
HELP_FLAGS = ("-h", "-help", "--help", "--helpshort", "-?")


def flag_summary(name: str) -> tuple[str, str | None, str]:
    """(how it is written, its default as text or None when it has none, its help) of a defined flag."""
    flag = FLAGS[name]
    if isinstance(flag, flags.BooleanFlag):
        return f"--{name} / --no{name}", "on" if flag.default else "off", flag.help
    return f"--{name}", None if flag.default is None else flag.default_as_str.strip("'") or '""', flag.help


def _describe_flag(name: str) -> str:
    head, default, help_ = flag_summary(name)
    # A flag without a default says in its help what happens when it is not given.
    text = help_ if default is None else f"{help_} (default: {default})"
    text = textwrap.fill(text, width=100, initial_indent=" " * 8, subsequent_indent=" " * 8)
    return f"    {head}\n{text}"


def grouped_flags(model: str = "") -> list[tuple[str, list[str]]]:
    """The script's flags by --help group, in the order they are defined: (group title, flag names)."""
    groups = [(title, prefixes or ((f"{model}_",) if model else ())) for title, prefixes in FLAG_GROUPS]
    grouped = [(title, [n for n in _defined if prefixes and n.startswith(prefixes)]) for title, prefixes in groups]
    listed = {n for _, names in grouped for n in names}
    grouped.append(("Other", [n for n in _defined if n not in listed]))
    return grouped


def unused_flags() -> dict[str, tuple[str, str]]:
    """The shared flags this script refuses: name → (the model, why it does not read them)."""
    return dict(_unused)


def help_text(script: str, doc: str, modes: Sequence[str], model: str = "") -> str:
    """The script's usage, its first docstring paragraph and its flags by group, with their defaults."""
    lines = [f"usage: {script} {{{','.join(modes)}}} TRAIN_DIR [--flags]", "", doc.strip().split("\n\n")[0], ""]
    for title, names in grouped_flags(model):
        if names:
            lines += [f"{title}:"] + [_describe_flag(n) for n in names] + [""]
    lines.append("Logging: --verbosity 0 also shows TensorFlow's start-up messages. --helpfull lists absl's own flags too.")
    return "\n".join(lines)


def flags_parser(doc: str, modes: Sequence[str], model: str = "") -> Callable[[list[str]], list[str]]:
    """An absl `flags_parser` whose --help (absl's lists only the main module's flags: none here)
    prints `help_text` and exits 0."""
    from absl import app

    def parse(argv: list[str]) -> list[str]:
        if any(arg in HELP_FLAGS for arg in argv[1:]):
            try:
                print(help_text(os.path.basename(argv[0]), doc, modes, model), flush=True)
            except BrokenPipeError:  # `--help | head`
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        return app.parse_flags_with_usage(argv)

    return parse


def track(define: Callable, name: str, *args, **kwargs) -> None:
    """Defines a script-specific flag and records it for args.txt."""
    _track(define, name, *args, **kwargs)


def declare_unused_flags(subject: str, reasons: Mapping[str, str]) -> None:
    """Declares shared flags that this script defines (they come with their group) but whose setting its
    model never reads: `reasons` maps each name to why not (a clause about `subject`, e.g. "the WaveNet").
    `report_user_errors` then refuses them on the command line instead of ignoring them silently."""
    unknown = sorted(set(reasons) - set(_defined))
    if unknown:
        raise ValueError(f"declare_unused_flags: {unknown} are not flags this script defines")
    _unused.update({name: (subject, why) for name, why in reasons.items()})


def refuse_unused_flags(flag_values: flags.FlagValues | None = None,
                        unused: Mapping[str, tuple[str, str]] | None = None) -> None:
    """Raises UserError, in one sentence, when the command line gives a flag declared unused (any value,
    the default included: the user expects it to do something)."""
    flag_values = FLAGS if flag_values is None else flag_values
    unused = _unused if unused is None else unused
    given = [name for name in unused if name in flag_values and flag_values[name].present]
    if not given:
        return
    subject = unused[given[0]][0]  # one script declares them all
    if len(given) == 1:
        raise UserError(f"--{given[0]} does not apply to {subject}: {unused[given[0]][1]}; drop it.")
    names = ", ".join(f"--{name}" for name in given[:-1]) + f" and --{given[-1]}"
    reasons = "; ".join(f"--{name} because {unused[name][1]}" for name in given)
    raise UserError(f"{names} do not apply to {subject} ({reasons}): drop them.")


def flag_values(flag_values: flags.FlagValues | None = None) -> dict[str, Any]:
    """The value of every flag this project defined (the script's flags), by name."""
    flag_values = FLAGS if flag_values is None else flag_values
    return {name: flag_values[name].value for name in _defined}


def given_flags(flag_values: flags.FlagValues | None = None) -> frozenset[str]:
    """The names of this project's flags set on the command line."""
    flag_values = FLAGS if flag_values is None else flag_values
    return frozenset(name for name in _defined if flag_values[name].present)


def args_for_run(run: Any, flag_values: Mapping[str, Any]) -> dict[str, Any]:
    """Every flag's value as the run uses it (args.txt): a flag that maps to a config field takes the
    field's resolved value (the bundled corpus's folder, what --data_first_slice implies)."""
    sections = {"data": run.data, "train": run.train, run.model_type: run.model}
    values = {}
    for name, value in flag_values.items():
        prefix, _, field = name.partition("_")
        section = sections.get(prefix)
        for candidate in (field, name):
            if section is not None and candidate in {f.name for f in dataclasses.fields(section)}:
                value = getattr(section, candidate)
                break
        values[name] = value
    return values


