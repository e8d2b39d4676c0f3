"""What the two train scripts share: flag definitions, flags → configs, logging and error reporting.

The flag names and defaults are the original's (SPEC §2); each script adds its model's own group.
"""

from __future__ import annotations

import atexit
import dataclasses
import logging
import os
import re
import sys
import textwrap
import threading
from typing import Any, Callable, Mapping, Sequence

from absl import flags

from wavegan.config import PRECISIONS, STRATEGIES, DataConfig, TrainConfig
from wavegan.errors import UserError

FLAGS = flags.FLAGS
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUNDLED_CORPUS = os.path.join(REPO_ROOT, "data", "drums")

_defined: list[str] = []  # every flag this project defines, for args.txt
# Shared flags a script defines with their group but never reads: name → (the model, why not).
_unused: dict[str, tuple[str, str]] = {}
# As the user started us, before quiet_tensorflow() sets a default.
_USER_TF_LOG_LEVEL = os.environ.get("TF_CPP_MIN_LOG_LEVEL")


def _track(define: Callable, name: str, *args, **kwargs) -> None:
    define(name, *args, **kwargs)
    _defined.append(name)


def define_data_flags(slice_and_channels: bool = True) -> None:
    """The "Data" group (SPEC §2.1); SpecGAN has no slice-length or channel flags (SPEC §2.2)."""
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
    _track(flags.DEFINE_integer, "data_prefetch_gpu_num", 0,
           "Accepted for compatibility with the original; Keras fit() already overlaps host-to-device copies.")


def define_train_flags() -> None:
    """The "Train" group (SPEC §2.1) plus --train_max_steps, --train_jit, --train_precision and
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


def define_after_training_flags() -> None:
    """Flags of the preview, infer and generate modes, shared by both scripts."""
    _track(flags.DEFINE_integer, "preview_n", 32, "preview: number of fixed latents rendered per checkpoint.")
    _track(flags.DEFINE_boolean, "preview_once", False,
           "preview: render the newest checkpoint and exit instead of polling for new ones.")
    _track(flags.DEFINE_string, "incept_ckpt_fp", os.path.join(REPO_ROOT, "eval", "digits_classifier.keras"),
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


# --help: this script's flags by group, named by prefix, in the order they are defined.
FLAG_GROUPS = (("Data", ("data_",)), ("Model", ("wavegan_", "specgan_")), ("Training", ("train_",)),
               ("After training (preview, incept, infer, generate, web modes)",
                ("preview_", "incept_", "infer_", "generate_", "web_")))
HELP_FLAGS = ("-h", "-help", "--help", "--helpshort", "-?")


def _describe_flag(name: str) -> str:
    flag = FLAGS[name]
    if isinstance(flag, flags.BooleanFlag):
        head, default = f"--{name} / --no{name}", "on" if flag.default else "off"
    else:
        head = f"--{name}"
        default = None if flag.default is None else flag.default_as_str.strip("'") or '""'
    # A flag without a default says in its help what happens when it is not given.
    text = flag.help if default is None else f"{flag.help} (default: {default})"
    text = textwrap.fill(text, width=100, initial_indent=" " * 8, subsequent_indent=" " * 8)
    return f"    {head}\n{text}"


def help_text(script: str, doc: str, modes: Sequence[str]) -> str:
    """The script's usage, its first docstring paragraph and its flags by group, with their defaults."""
    lines = [f"usage: {script} {{{','.join(modes)}}} TRAIN_DIR [--flags]", "", doc.strip().split("\n\n")[0], ""]
    grouped = [(title, [n for n in _defined if n.startswith(prefixes)]) for title, prefixes in FLAG_GROUPS]
    listed = {n for _, names in grouped for n in names}
    grouped.append(("Other", [n for n in _defined if n not in listed]))
    for title, names in grouped:
        if names:
            lines += [f"{title}:"] + [_describe_flag(n) for n in names] + [""]
    lines.append("Logging: --verbosity 0 also shows TensorFlow's start-up messages. --helpfull lists absl's own flags too.")
    return "\n".join(lines)


def flags_parser(doc: str, modes: Sequence[str]) -> Callable[[list[str]], list[str]]:
    """An absl `flags_parser` whose --help (absl's lists only the main module's flags: none here)
    prints `help_text` and exits 0."""
    from absl import app

    def parse(argv: list[str]) -> list[str]:
        if any(arg in HELP_FLAGS for arg in argv[1:]):
            try:
                print(help_text(os.path.basename(argv[0]), doc, modes), flush=True)
            except BrokenPipeError:  # `--help | head`
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        return app.parse_flags_with_usage(argv)

    return parse


def run_after_training_mode(mode: str, train_dir: str, make_kind: Callable) -> None:
    """preview / incept / infer / generate / web: everything they need comes from TRAIN_DIR's config and checkpoints.

    `make_kind(train_dir)` returns the run's GanKind.
    """
    import keras
    import tensorflow as tf

    from wavegan import checkpoints, export, generate, preview, training

    if mode == "incept":
        from eval.incept import run_incept

        tf.config.set_visible_devices([], "GPU")
        run_incept(train_dir, make_kind(train_dir), FLAGS.incept_ckpt_fp, FLAGS.incept_n, FLAGS.incept_k,
                   once=FLAGS.incept_once)
    elif mode == "preview":
        # Beside training: leave the GPU to the trainer.
        tf.config.set_visible_devices([], "GPU")
        preview.run_preview(train_dir, make_kind(train_dir), FLAGS.preview_n, once=FLAGS.preview_once)
    elif mode == "infer":
        kind = make_kind(train_dir)
        out = FLAGS.infer_dir or os.path.join(train_dir, export.EXPORT_SUBDIR)
        if keras.backend.backend() != "tensorflow":  # the SavedModel's signatures are TensorFlow graphs
            path = checkpoints.resolve_checkpoint(train_dir, FLAGS.infer_ckpt)
            exporter = export.SubprocessExporter(train_dir, out, FLAGS.infer_precision)
            exporter(path, checkpoints.checkpoint_step(path))
            failure = exporter.wait(warn=False)
            if failure:
                raise UserError(f"Exporting {path} with the TensorFlow backend failed: {failure}")
            print(f"Exported step {checkpoints.checkpoint_step(path)} to {os.path.abspath(out)}")
            return
        generator, run, step = checkpoints.load_generator(train_dir, kind.build_generator, FLAGS.infer_ckpt)
        print(f"Exported step {step} to "
              f"{training.export_checkpoint(generator, run, step, out, kind, FLAGS.infer_precision)}")
    elif mode == "generate":
        source = generate.open_generator(FLAGS.generate_from or train_dir, make_kind)
        if FLAGS.generate_n < 1 or FLAGS.generate_batch_size < 1:
            raise UserError("--generate_n and --generate_batch_size must be at least 1.")
        if FLAGS.generate_interp:
            rows = [int(r) for r in FLAGS.generate_interp_rows]
            saved = generate.load_latents(FLAGS.generate_interp, source.latent_dim)
            if len(rows) != 2 or max(rows) >= len(saved):
                raise UserError(f"--generate_interp_rows needs two row numbers below {len(saved)}.")
            latents = generate.interpolate(saved[rows[0]], saved[rows[1]], FLAGS.generate_n)
        else:
            latents = generate.sample_latents(FLAGS.generate_n, source.latent_dim, FLAGS.generate_seed)
        out_dir = FLAGS.generate_dir or os.path.join(train_dir, "generated")
        if source.classes or FLAGS.generate_label:
            generate.write_labelled(source, latents, out_dir, FLAGS.generate_label, bool(FLAGS.generate_interp),
                                    FLAGS.generate_batch_size, print_fn=print)
            return
        print(f"Generating {len(latents)} clips with {source.source} (step {source.step})")
        generate.write_wavs(source, latents, out_dir, FLAGS.generate_batch_size, print_fn=print)
    elif mode == "web":
        from wavegan import web_export

        web_export.run_web_mode(train_dir, make_kind(train_dir), FLAGS.web_ckpt, FLAGS.web_dir or
                                os.path.join(train_dir, "web"), FLAGS.web_serve, FLAGS.web_port)
    else:
        raise UserError(f"unknown mode {mode!r}")


def kind_for_train_dir(train_dir: str):
    """The GanKind of the run in train_dir, whichever GAN it is."""
    from wavegan.config import load_run_config
    from wavegan.gan import wavegan_kind

    if load_run_config(train_dir).model_type == "specgan":
        from specgan.gan import kind_for_run

        return kind_for_run(train_dir)
    return wavegan_kind()


def checked_kind(train_dir: str, kind):
    """`kind`, after checking that train_dir (if it holds a run) is a run of that kind."""
    from wavegan.config import CONFIG_FILE, load_run_config

    if os.path.exists(os.path.join(train_dir, CONFIG_FILE)):
        load_run_config(train_dir, kind.name)
    return kind


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


def flag_values() -> dict[str, Any]:
    return {name: FLAGS[name].value for name in _defined}


def data_config_from_flags(slice_and_channels: bool = True) -> DataConfig:
    cfg = DataConfig(
        data_dir=FLAGS.data_dir, sample_rate=FLAGS.data_sample_rate,
        slice_len=FLAGS.data_slice_len if slice_and_channels else 16384,
        num_channels=FLAGS.data_num_channels if slice_and_channels else 1,
        overlap_ratio=FLAGS.data_overlap_ratio, first_slice=FLAGS.data_first_slice,
        pad_end=FLAGS.data_pad_end, normalize=FLAGS.data_normalize, fast_wav=FLAGS.data_fast_wav,
        prefetch_gpu_num=FLAGS.data_prefetch_gpu_num, cache=FLAGS.data_cache, prepared=FLAGS.data_prepared,
        labels=FLAGS.data_labels or "")
    if cfg.data_dir is None:
        # The bundled corpus is drum one-shots, shorter than one slice: they need these two flags.
        logging.getLogger("wavegan").info(
            "No --data_dir given: training on the bundled drum corpus %s with --data_first_slice --data_pad_end.",
            BUNDLED_CORPUS)
        cfg = dataclasses.replace(cfg, data_dir=BUNDLED_CORPUS, first_slice=True, pad_end=True)
    return cfg.resolved()


def train_config_from_flags() -> TrainConfig:
    return TrainConfig(batch_size=FLAGS.train_batch_size, save_secs=FLAGS.train_save_secs,
                       summary_secs=FLAGS.train_summary_secs, max_steps=FLAGS.train_max_steps,
                       keep_checkpoints=FLAGS.train_keep_checkpoints,
                       jit=FLAGS.train_jit, precision=FLAGS.train_precision,
                       strategy=FLAGS.train_strategy, label_balance=FLAGS.train_label_balance).validate()


def args_for_run(run: Any) -> dict[str, Any]:
    """Every flag's value as the run uses it (args.txt): a flag that maps to a config field takes the
    field's resolved value (the bundled corpus's folder, what --data_first_slice implies)."""
    sections = {"data": run.data, "train": run.train, run.model_type: run.model}
    values = {}
    for name, value in flag_values().items():
        prefix, _, field = name.partition("_")
        section = sections.get(prefix)
        for candidate in (field, name):
            if section is not None and candidate in {f.name for f in dataclasses.fields(section)}:
                value = getattr(section, candidate)
                break
        values[name] = value
    return values


def run_train_mode(train_dir: str, run: Any, make_kind: Callable[[bool], Any],
                   on_start: Callable[[], None] | None = None) -> int:
    """The train mode of both scripts: strategy, files, training; the run's settings are written (by the
    chief only) when training really starts, with `on_start` (a script's own files).

    `make_kind(chief)` builds the GanKind without writing anything.
    """
    from wavegan import config, data, distribute, labels, training

    # First of all TensorFlow work: MultiWorkerMirroredStrategy configures collective ops at start-up.
    strategy = training.make_strategy(run.train)
    chief = distribute.is_chief(strategy)
    run = labels.with_classes(run)  # --data_labels: the classes, listed, saved and checked on resume
    config.check_run_config(train_dir, run)
    kind = make_kind(chief)
    files = data.prepare_files(run.data, run.train.batch_size)
    if run.data.classes:
        files = labels.usable_files(files, run.data)

    def write_settings() -> None:
        if chief:
            config.save_run_config(train_dir, run)
            config.write_args_txt(train_dir, {"mode": "train", "train_dir": train_dir, **args_for_run(run)})
            if on_start is not None:
                on_start()

    return training.train(train_dir, run, files, kind, strategy=strategy, on_start=write_settings)


def parse_positionals(argv: Sequence[str], modes: Sequence[str]) -> tuple[str, str]:
    """`script MODE TRAIN_DIR [flags]` → (mode, train_dir)."""
    args = list(argv[1:])
    if len(args) != 2 or args[0] not in modes:
        raise UserError(f"usage: {os.path.basename(argv[0])} {{{','.join(modes)}}} TRAIN_DIR [--flags]; "
                        f"got {' '.join(args) or 'nothing'}.")
    return args[0], args[1]


# TensorFlow's C++ start-up lines. absl prints them before anything can initialise its logging, so
# TF_CPP_MIN_LOG_LEVEL does not hide them; one is an E(rror) line that is only a notice.
TF_CHATTER = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|I\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] .*"
    r"|E\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] oneDNN supports DT_STRING only on platforms with AVX-512.*"
    r"|To enable the following instructions: .* in other operations, rebuild TensorFlow .*")


def setup_logging() -> None:
    """Our messages go to stderr as plain lines. TensorFlow's and absl's start-up chatter is hidden
    unless `--verbosity 0` (or more) or TF_CPP_MIN_LOG_LEVEL=0/1 asks for it; warnings stay. Call it
    after flag parsing and before TensorFlow is imported."""
    logger = logging.getLogger("wavegan")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    from absl import logging as absl_logging

    verbose = FLAGS.is_parsed() and FLAGS["verbosity"].present and FLAGS.verbosity >= 0
    if not verbose:
        absl_logging.set_verbosity(absl_logging.WARNING)  # TensorFlow's Python-side INFO lines
    if verbose or _USER_TF_LOG_LEVEL in ("0", "1"):
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = _USER_TF_LOG_LEVEL or "0"
    else:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = _USER_TF_LOG_LEVEL or "2"
        filter_stderr(TF_CHATTER)


_stderr_filter: dict = {}


def filter_stderr(pattern: re.Pattern) -> None:
    """Passes this process's stderr (file descriptor 2, where C++ libraries write too) through a thread
    that drops the lines matching `pattern`; everything else reaches the real stderr unchanged."""
    if _stderr_filter or not hasattr(os, "pipe"):
        return
    sys.stderr.flush()
    real = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)

    def pump() -> None:
        with os.fdopen(read_end, "rb") as lines:
            for line in lines:
                try:
                    if not pattern.fullmatch(line.decode("utf-8", "replace").rstrip("\r\n")):
                        os.write(real, line)
                except OSError:
                    pass

    thread = threading.Thread(target=pump, name="stderr-filter", daemon=True)
    thread.start()
    _stderr_filter.update(real=real, thread=thread)
    atexit.register(restore_stderr)


def restore_stderr() -> None:
    """Puts the real stderr back and waits for the filter to pass on what was written before."""
    if not _stderr_filter:
        return
    sys.stderr.flush()
    os.dup2(_stderr_filter["real"], 2)  # closes the pipe's last write end: the pump reads to its end
    _stderr_filter["thread"].join(timeout=5)
    _stderr_filter.clear()


def quiet_tensorflow() -> None:
    """Call before importing TensorFlow."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def run_script(main: Callable[[Sequence[str]], None], doc: str, modes: Sequence[str]) -> None:
    """absl's app.run with this project's --help, then `exit_now` with main's exit status."""
    from absl import app

    try:
        app.run(main, flags_parser=flags_parser(doc, modes))
        status = 0
    except SystemExit as e:
        status = e.code
    if isinstance(status, str):
        sys.stderr.write(status + "\n")
    exit_now(status if isinstance(status, int) else (0 if status is None else 1))


def exit_now(status: int) -> None:
    """Ends the process once its output is out, skipping the interpreter's teardown: after training,
    Python's final garbage collection of TensorFlow's traced graphs (the train step, the export's
    signatures) took 10–60 s with nothing written and nothing left to write (checkpoints, exports and
    summaries are flushed when they are written)."""
    sys.stdout.flush()
    sys.stderr.flush()
    restore_stderr()
    os._exit(status)


def report_user_errors(main: Callable[[Sequence[str]], None]) -> Callable[[Sequence[str]], None]:
    """Wraps an absl main so user mistakes end with one sentence and exit status 2, not a traceback; a flag
    the script declared unused (`declare_unused_flags`) is such a mistake, caught before main runs."""

    def wrapped(argv: Sequence[str]) -> None:
        from wavegan.errors import TrainingDiverged  # not from callbacks: that would load TensorFlow here

        try:
            refuse_unused_flags()
            main(argv)
        except UserError as e:
            sys.stderr.write(f"error: {e}\n")
            sys.exit(2)
        except TrainingDiverged as e:
            sys.stderr.write(f"error: training diverged: {e}; the last good checkpoint is kept. "
                             "Lower the learning rate or check the data, then resume.\n")
            sys.exit(3)
        except KeyboardInterrupt:
            sys.stderr.write("Interrupted; rerun the same command to resume from the last checkpoint.\n")
            sys.exit(130)

    return wrapped
