"""Writes docs/flags.md from the four scripts' flag definitions: `python tools/make_flags_doc.py`.

Each script defines its flags on absl's global FLAGS when it is imported, so each is imported in its own
subprocess, which reports its flags by --help group (wavegan.cli.flags.grouped_flags) as JSON. The shared
groups (data, training, after training) get one table for all four scripts, noting where a default differs
or a script refuses the flag; each model's own group gets its own table. `--check` writes nothing and exits
1 when docs/flags.md differs from what the code gives (tests/cli/test_flags_doc.py runs it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGE = os.path.join(ROOT, "docs", "flags.md")
SCRIPTS = {"wavegan": "WaveGAN", "specgan": "SpecGAN", "wavenet": "WaveNet", "framernn": "frame GRU"}

# Run in a subprocess per script: import it (its flags are defined on import), report them, print JSON.
_REPORT = """
import importlib, json, sys
from wavegan import paths
from wavegan.cli import flags as cli
model = sys.argv[1]
importlib.import_module(f"train_{model}")
def default(text):
    # The classifier's default is an absolute path into this checkout: show it from the repository root.
    return text.replace(paths.ROOT + "/", "") if text else text
groups = [(title, [dict(zip(("name", "head", "default", "help"), (n, *cli.flag_summary(n))), default=default(cli.flag_summary(n)[1]))
                   for n in names]) for title, names in cli.grouped_flags(model)]
print(json.dumps({"groups": groups, "unused": {n: why for n, (_, why) in cli.unused_flags().items()}}))
"""


def script_flags(model: str) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
    out = subprocess.run([sys.executable, "-c", _REPORT, model], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _cell(text: str | None) -> str:
    # Outside backticks a code host reads <Class> as an HTML tag and drops it.
    text = "" if text is None else str(text).replace("|", "\\|").replace("\n", " ")
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _default(text: str | None) -> str:
    return "none" if text is None else f"`{text}`"


def render(reports: dict[str, dict]) -> str:
    """The page, from each script's report (model → {"groups": [...], "unused": {...}})."""
    scripts = list(reports)
    lines = [
        "# Flags",
        "",
        "Every flag of the four scripts, with its default. This page is generated from the flag definitions by",
        "`python tools/make_flags_doc.py` (do not edit it by hand: `tests/cli/test_flags_doc.py` fails when it and",
        "the code disagree). `python train_wavegan.py --help` (or `wavegan-train --help` when installed) prints",
        "one script's flags the same way. Names and defaults are the original's (reference §2, §B2); flags this",
        "project added are described in [training.md](training.md) and [differences.md](differences.md).",
        "",
        "Scripts: " + ", ".join(f"`train_{m}.py` ({SCRIPTS[m]}, command `{m}-train`)" for m in scripts) + ".",
        "A flag without a default says in its meaning what happens when it is not given.",
        "",
    ]
    shared_titles = []
    for report in reports.values():
        for title, _ in report["groups"]:
            if title != "Model" and title not in shared_titles:
                shared_titles.append(title)
    for title in shared_titles:
        rows: dict[str, dict[str, dict]] = {}
        for model, report in reports.items():
            for group_title, records in report["groups"]:
                if group_title == title:
                    for record in records:
                        rows.setdefault(record["name"], {})[model] = record
        if not rows:
            continue
        lines += [f"## {title}", "", "| flag | default | meaning |", "|---|---|---|"]
        for name, by_model in rows.items():
            first = next(iter(by_model.values()))
            defaults = {m: r["default"] for m, r in by_model.items()}
            common = max(set(defaults.values()), key=lambda d: list(defaults.values()).count(d))
            default = _default(common) + "".join(f"; {SCRIPTS[m]}: {_default(d)}" for m, d in defaults.items()
                                                  if d != common)
            notes = []
            if len(by_model) < len(scripts):
                notes.append("only in " + ", ".join(SCRIPTS[m] for m in scripts if m in by_model))
            for model in by_model:
                if name in reports[model]["unused"]:
                    notes.append(f"refused by {SCRIPTS[model]}: {reports[model]['unused'][name]}")
            helps = {r["help"] for r in by_model.values()}
            meaning = first["help"] if len(helps) == 1 else " ".join(
                f"{SCRIPTS[m]}: {r['help']}" for m, r in by_model.items())
            meaning += "".join(f" ({note})" for note in notes)
            lines.append(f"| `{first['head']}` | {_cell(default)} | {_cell(meaning)} |")
        lines.append("")
    for model, report in reports.items():
        records = [r for title, recs in report["groups"] if title == "Model" for r in recs]
        if not records:
            continue
        lines += [f"## {SCRIPTS[model]} model (`train_{model}.py`)", "", "| flag | default | meaning |", "|---|---|---|"]
        lines += [f"| `{r['head']}` | {_cell(_default(r['default']))} | {_cell(r['help'])} |" for r in records]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with docs/flags.md instead of writing it")
    args = parser.parse_args(argv)
    page = render({model: script_flags(model) for model in SCRIPTS})
    if args.check:
        with open(PAGE, encoding="utf-8") as f:
            if f.read() != page:
                print(f"{os.path.relpath(PAGE)} differs from the flag definitions: run python tools/make_flags_doc.py")
                return 1
        return 0
    with open(PAGE, "w", encoding="utf-8") as f:
        f.write(page)
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
