import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


import pytest  # noqa: E402


# The spoken-digit corpus and a small classifier trained on it, built once per test process for the
# tests of data/make_digits.py, eval/ and the evaluation scripts.

@pytest.fixture(scope="session")
def digit_corpus(tmp_path_factory):
    import shutil

    if shutil.which("espeak-ng") is None:
        pytest.skip("needs espeak-ng (apt-get install espeak-ng)")
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data"))
    import make_digits

    folder = str(tmp_path_factory.mktemp("digits"))
    make_digits.build(folder, per_digit=60, seed=1, print_fn=lambda s: None)
    return folder


@pytest.fixture(scope="session")
def digit_classifier(digit_corpus, tmp_path_factory):
    from wavegan.evaluation.classifier import train_classifier

    path = str(tmp_path_factory.mktemp("clf") / "digits.keras")
    accuracy = train_classifier(os.path.join(digit_corpus, "train"), os.path.join(digit_corpus, "valid"), path,
                                epochs=6, batch_size=32, filters=16, verbose=0)
    return path, accuracy
