"""The library's layers as the code states them (docs/architecture.md): which way imports run, what the
baselines load, and the registry of model kinds."""

import ast
import os
import subprocess
import sys

import pytest

from tests import helpers
from wavegan import registry

PACKAGES = ("wavegan", "specgan", "wavenet", "framernn", "eval")
MODEL_PACKAGES = ("wavegan.models", "specgan", "wavenet", "framernn")
# Library layers, lowest first: a module may import its own layer or a lower one, never a higher one.
LAYERS = ["wavegan.errors", "wavegan.paths", "wavegan.kernels_tf", "wavegan.metrics", "wavegan.storage", "wavegan.registry", "wavegan.config",
          "wavegan.audio", "wavegan.layers", "wavegan.train", "wavegan.serve", "wavegan.evaluation", "wavegan.cli"]


def project_modules() -> dict[str, str]:
    """module name → file, for every module of the project's packages (tests, bench, scripts aside)."""
    found = {}
    for package in PACKAGES:
        for folder, _, files in os.walk(os.path.join(helpers.REPO, package)):
            for name in files:
                if name.endswith(".py"):
                    rel = os.path.relpath(os.path.join(folder, name), helpers.REPO)[:-3].replace(os.sep, ".")
                    found[rel.removesuffix(".__init__")] = os.path.join(folder, name)
    return found


def imports_of(path: str) -> set[str]:
    """Every project module a file imports, at the top or inside functions."""
    names = set()
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {n for n in names if n.split(".")[0] in PACKAGES}


def layer_of(module: str) -> int | None:
    for i, prefix in enumerate(LAYERS):
        if module == prefix or module.startswith(prefix + "."):
            return i
    return None


def test_library_imports_run_one_way():
    modules = project_modules()
    wrong = []
    for module, path in modules.items():
        own = layer_of(module)
        if own is None:
            continue
        for target in imports_of(path):
            other = layer_of(target)
            if target in modules and other is not None and other > own:
                wrong.append(f"{module} imports {target}")
    assert not wrong, wrong


def test_the_library_imports_nothing_built_on_it():
    """`eval/` (the paper's protocol), the model packages, the scripts and the tools stand on the library; no
    module of `wavegan/` imports them (the CLI finds the evaluation it dispatches to in wavegan.evaluation)."""
    wrong = [f"{module} imports {target}" for module, path in project_modules().items()
             if module.split(".")[0] == "wavegan" for target in imports_of(path)
             if target.split(".")[0] != "wavegan"]
    assert not wrong, wrong


def test_no_library_module_imports_a_model_package():
    """The CLI, the config loader, the train and serve layers, eval.score and eval.incept find model kinds
    through the registry; only a model package's own modules (and the scripts) name it."""
    wrong = []
    for module, path in project_modules().items():
        for target in imports_of(path):
            for package in MODEL_PACKAGES:
                inside = module == package or module.startswith(package + ".")
                if (target == package or target.startswith(package + ".")) and not inside:
                    # SpecGAN builds its models on the GANs' shared skeletons, not on WaveGAN's package.
                    wrong.append(f"{module} imports {target}")
    assert not wrong, wrong


def test_no_import_cycles():
    modules = project_modules()
    edges = {m: {t for t in imports_of(p) if t in modules and t != m} for m, p in modules.items()}
    # A package imported by name counts as its __init__; a lazy attribute import does not load siblings.
    state, cycles = {}, []

    def visit(node, stack):
        state[node] = "open"
        for nxt in edges[node]:
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for module in sorted(modules):
        if module not in state:
            visit(module, [module])
    assert not cycles, cycles


def test_the_registry_lists_the_four_kinds_without_importing_them():
    code = ("import sys; from wavegan import registry; print(registry.names()); "
            "print(sorted(m for m in sys.modules if m.startswith(('specgan', 'wavenet', 'framernn', 'wavegan.models', "
            "'tensorflow', 'keras'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=helpers.REPO, check=True)
    names, loaded = out.stdout.strip().splitlines()
    assert names == "['framernn', 'specgan', 'wavegan', 'wavenet']"
    assert loaded == "[]"


@pytest.mark.parametrize("name", ["wavegan", "specgan", "wavenet", "framernn"])
def test_each_kind_registers_its_config_modes_and_builder(name):
    kind = registry.get(name)
    assert kind.name == name and kind.modes[0 if name != "specgan" else 1] == "train"
    assert kind.config_class.__name__.lower().startswith(name[:4])
    gan = name in ("wavegan", "specgan")
    assert (kind.gan is not None) == gan and (kind.gan_for_training is not None) == gan
    assert (kind.train is not None) == (not gan) and (kind.clips_for_scoring is not None) == (not gan)


def test_an_unknown_kind_is_one_sentence():
    from wavegan.errors import UserError

    with pytest.raises(UserError, match="No model kind 'nosuch' is registered"):
        registry.get("nosuch")


# Modules of WaveGAN's own model and of the adversarial trainer: a baseline needs none of them (train.losses is
# shared: the WaveNet uses its TF1-style RMSProp).
GAN_ONLY = ("wavegan.models", "wavegan.layers.stacks", "wavegan.layers.phase_shuffle", "wavegan.train.trainer",
            "wavegan.train.step_tf", "wavegan.train.step_jax", "wavegan.train.adversarial",
            "specgan")


@pytest.mark.parametrize("script,package", [("train_wavenet", "wavenet"), ("train_framernn", "framernn")])
def test_a_baseline_loads_no_gan_model_or_adversarial_trainer(script, package):
    """Importing a baseline's script, its kind and its train entry point (the run module with its supervised
    loop, data and export) loads none of WaveGAN's model or adversarial-trainer modules."""
    code = (f"import sys; import {script}; from wavegan import registry; registry.get('{package}'); "
            f"import {package}.run, {package}.export; "
            "print('\\n'.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('wavegan', 'specgan', 'wavenet', 'framernn', 'eval'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=helpers.REPO,
                         env=helpers.script_env())
    assert out.returncode == 0, out.stderr
    loaded = out.stdout.split()
    assert f"{package}.run" in loaded and "wavegan.train.supervised" in loaded  # the import did happen
    assert [m for m in loaded if m.startswith(GAN_ONLY)] == []
