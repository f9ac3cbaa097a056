"""Fixtures of the regretnet package's tests: the `regretnet` binary to compare with, and a
small trained run that the tests share."""

import os
import pathlib
import shutil

import pytest

import regretnet

REPO = pathlib.Path(__file__).resolve().parents[2]


def _binary():
    given = os.environ.get("REGRETNET_BIN")
    if given:
        return pathlib.Path(given)
    return REPO / "target" / "release" / "regretnet"


@pytest.fixture(scope="session")
def cli():
    """The `regretnet` binary. `cargo xtask ci` builds it and sets REGRETNET_BIN; run alone,
    the tests that compare with it skip when it is not built."""
    path = _binary()
    if not path.exists():
        if os.environ.get("REGRETNET_BIN"):
            pytest.fail(f"REGRETNET_BIN={path} does not exist")
        pytest.skip(f"{path} is not built (cargo build --release)")
    return str(path)


def small_config(**overrides):
    """The default 1x2 preset with small networks and a short schedule (a few seconds)."""
    base = dict(
        preset="additive_1x2_uniform",
        iterations=300,
        net__alloc_hidden=[32, 32],
        net__pay_hidden=[32, 32],
        validation_samples=500,
        log_every=100,
        checkpoint_every=100,
        best_regret_bound=1.0,  # every validation may become the best checkpoint
    )
    base.update(overrides)
    return regretnet.config(**base)


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """A small trained 1x2 run: (run directory, its config)."""
    out = tmp_path_factory.mktemp("runs") / "small"
    config = small_config()
    regretnet.train(config, str(out))
    yield str(out), config
    shutil.rmtree(out, ignore_errors=True)
