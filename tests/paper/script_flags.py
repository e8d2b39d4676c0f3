"""A training script's flag defaults read from its source with `ast` (the scripts define their flags on absl's
global FLAGS when imported, and two of them cannot be imported into one process), and the Settings a run
made with no flag given would get."""

from __future__ import annotations

import ast
import os

from wavegan import registry

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = "wavegan/cli/flags.py"


def source_defaults(*files: str) -> dict:
    """name → default of every `track`/`_track(flags.DEFINE_*, name, default, …)` in the given source files
    (paths from the repository root). A default computed by a call or read from a module (a path) reads as None."""
    found = {}
    for name in files:
        for node in ast.walk(ast.parse(open(os.path.join(ROOT, name)).read())):
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in ("track", "_track")
                    and len(node.args) >= 3 and isinstance(node.args[1], ast.Constant)):
                value = node.args[2]
                found[node.args[1].value] = None if isinstance(value, (ast.Call, ast.Attribute, ast.Name)) \
                    else ast.literal_eval(value)
    return found


def script_defaults(script: str) -> dict:
    """The defaults of the shared flag module and `script` (`source_defaults`), then the script's
    `FLAGS.set_default(name, value)` overrides."""
    overrides = {}
    for node in ast.walk(ast.parse(open(os.path.join(ROOT, script)).read())):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "set_default":
            overrides[ast.literal_eval(node.args[0])] = ast.literal_eval(node.args[1])
    return {**source_defaults(SHARED, script), **overrides}


def default_settings(script: str) -> registry.Settings:
    """The Settings the runner hands a kind when no flag is given."""
    return registry.Settings(**script_defaults(script), given=frozenset())
