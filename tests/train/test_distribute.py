"""wavegan.train.distribute: one step on 2 replicas (2 logical CPUs) updates as one replica does."""

import json
import sys

import pytest

from tests import helpers

# Every test here runs worker processes (the fast tier skips them); the script's runs: tests/e2e/test_distribute.py.
pytestmark = pytest.mark.slow


def equivalence(**options) -> dict:
    proc = helpers.run_command([sys.executable, helpers.WITH_CPUS, "2", "--equivalence", json.dumps(options)])
    line = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")][-1]
    result = json.loads(line[len("RESULT "):])
    print(result)
    return result


@pytest.mark.parametrize("loss", ["wgan-gp", "wgan"])
def test_one_step_on_two_replicas_updates_like_one_replica_with_the_same_global_batch(loss):
    """Same weights, seeds and global batch of 4: 2 replicas × 2 examples against 1 × 4, phase shuffle on."""
    result = equivalence(loss=loss, phaseshuffle=2)
    assert result["replicas"] == 2
    # Observed: ≤ 6e-8 (wgan-gp), ≤ 1e-11 (wgan); one Adam step moves every weight by ~1e-4.
    assert result["max_weight_difference"] < 1e-6, result
    assert all(d < 1e-5 for d in result["loss_differences"].values()), result
    assert result["largest_update"] > 100 * result["max_weight_difference"]  # the step did move the weights
    if loss == "wgan-gp":
        assert result["losses"]["gradient_penalty"] > 0
