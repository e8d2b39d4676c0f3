"""tests/harness.py runs every Layer and Model of the project, and every layer and model file keeps to
keras.ops."""

import ast
import importlib
import os

import keras

from tests import helpers

PACKAGES = ("wavegan", "specgan", "wavenet", "framernn", "eval")
# The skeletons both GANs build on (wavegan.layers.stacks) have no layers of their own: only their
# subclasses, WaveGAN's and SpecGAN's models, are built, and those the harness runs.
SKELETONS = {"UpsamplingGenerator", "DownsamplingDiscriminator"}


def project_modules() -> list[str]:
    """Every module of the project's packages (tests, bench and the scripts aside)."""
    found = []
    for package in PACKAGES:
        for folder, _, files in os.walk(os.path.join(helpers.REPO, package)):
            for name in sorted(files):
                if name.endswith(".py"):
                    rel = os.path.relpath(os.path.join(folder, name), helpers.REPO)[:-3].replace(os.sep, ".")
                    found.append(rel.removesuffix(".__init__"))
    return found


def layer_classes() -> set[type]:
    """Every keras.layers.Layer subclass (Models included) the project's modules define."""
    for module in project_modules():
        importlib.import_module(module)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    return {cls for cls in subclasses(keras.layers.Layer) if cls.__module__.split(".")[0] in PACKAGES}


def harness_calls() -> set[str]:
    """The class names passed to run_layer_test anywhere under tests/."""
    names = set()
    for folder, _, files in os.walk(os.path.join(helpers.REPO, "tests")):
        for name in files:
            if not name.endswith(".py"):
                continue
            for node in ast.walk(ast.parse(open(os.path.join(folder, name)).read())):
                if not isinstance(node, ast.Call):
                    continue
                function = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
                target = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "cls"), None)
                if function == "run_layer_test" and target is not None:
                    names.add(target.id if isinstance(target, ast.Name) else getattr(target, "attr", None))
    return names


def test_every_layer_and_model_goes_through_the_harness():
    classes = layer_classes()
    assert {"PhaseShuffle", "WaveGANGenerator", "WaveNet", "FrameRNN", "DigitClassifier", "AdversarialTrainer"} <= \
        {cls.__name__ for cls in classes}  # the walk found the project's layers
    covered = harness_calls()
    missing = sorted(f"{cls.__module__}.{cls.__name__}" for cls in classes
                     if cls.__name__ not in covered | SKELETONS)
    assert not missing, f"no run_layer_test call (tests/harness.py) for {', '.join(missing)}"
    for skeleton in SKELETONS:
        (base,) = [cls for cls in classes if cls.__name__ == skeleton]
        assert any(issubclass(cls, base) and cls.__name__ in covered for cls in classes), skeleton


def test_layers_and_models_use_keras_ops_only():
    """DEVELOPERS.md: no TensorFlow inside layers, models or losses, so every Keras backend runs them."""
    repo = helpers.REPO
    paths = [os.path.join(repo, "wavegan", "train", "losses.py"), os.path.join(repo, "specgan", "models.py")]
    for package in ("layers", "models"):
        folder = os.path.join(repo, "wavegan", package)
        paths += [os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".py")]
    assert len(paths) >= 11
    for name in paths:
        tree = ast.parse(open(name).read())
        imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module}
        assert "tensorflow" not in imported, name
