"""Bad input raises ValueError with the CLI's message; nothing panics across the boundary."""

import numpy as np
import pytest

import regretnet
from conftest import small_config


@pytest.fixture(scope="module")
def m(trained):
    return regretnet.load(trained[0])


@pytest.mark.parametrize(
    "bids, message",
    [
        (np.zeros((2, 3)), "must have shape (batch, 1, 2)"),
        (np.zeros((2, 2, 2)), "must have shape (batch, 1, 2)"),
        (np.zeros((0, 1, 2)), "batch >= 1"),
        (np.array([[["a", "b"]]]), "must be an array of numbers"),
        (np.full((1, 1, 2), np.nan), "not a finite number"),
    ],
)
def test_bad_bids(m, bids, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        m.outcome(bids)


def test_profiles_outside_the_support(m):
    with pytest.raises(ValueError, match="outside the prior's support"):
        m.regret(np.array([[[0.5, 1.5]]]))
    with pytest.raises(ValueError, match="not finite"):
        m.regret(np.array([[[0.5, np.inf]]]))


def test_utility_needs_matching_batches(m):
    with pytest.raises(ValueError, match="one true profile per report"):
        m.utility(np.zeros((2, 1, 2)), np.zeros((3, 1, 2)))


def test_bad_protocols(m):
    p = np.full((1, 1, 2), 0.5)
    with pytest.raises(ValueError, match="not a grid"):
        m.regret(p, grid=1)
    with pytest.raises(ValueError, match="unknown protocol keyword"):
        m.regret(p, restart=3)
    with pytest.raises(ValueError, match='"default" or "paper"'):
        m.regret(p, protocol="strong")
    with pytest.raises(ValueError, match="whole number"):
        m.regret(p, steps=-1)
    with pytest.raises(ValueError, match="threads must be at least 1"):
        m.regret(p, threads=0)


def test_certify_needs_two_dimensional_reports(tmp_path):
    c = small_config(preset="additive_2x3_uniform", iterations=1)
    regretnet.train(c, str(tmp_path / "r"))
    m = regretnet.load(str(tmp_path / "r"))
    with pytest.raises(ValueError, match="at most 2 values"):
        m.certify(regretnet.sample(c, 2))


def test_bad_configs(tmp_path):
    with pytest.raises(ValueError, match="unknown preset `nope`"):
        regretnet.config(preset="nope")
    with pytest.raises(ValueError, match="train__lr or eval__lr"):
        regretnet.config(lr=0.1)
    with pytest.raises(ValueError, match="no config field"):
        regretnet.config(batchsize=3)
    with pytest.raises(ValueError, match="train.batch_size"):
        regretnet.config(train__batch_size=0)
    with pytest.raises(ValueError, match="net: unknown variant `transformer`"):
        regretnet.config(net="transformer")
    bad = tmp_path / "bad.toml"
    bad.write_text("[setting]\nnmae = 1\n")
    with pytest.raises(ValueError, match="invalid config"):
        regretnet.config(str(bad))
    with pytest.raises(ValueError, match="cannot read config"):
        regretnet.config(str(tmp_path / "missing.toml"))


def test_bad_training_calls(tmp_path, trained):
    with pytest.raises(ValueError, match="iterations must be at least 1"):
        regretnet.train("additive_1x2_uniform", str(tmp_path / "a"), iterations=0)
    with pytest.raises(ValueError, match="more than train.shards"):
        regretnet.train(small_config(), str(tmp_path / "b"), threads=64)
    # An existing run is not overwritten without force=True.
    with pytest.raises(ValueError, match="run directory"):
        regretnet.train(small_config(), trained[0])
    assert regretnet.load(trained[0]).kind == "regretnet"


def test_foreign_and_missing_checkpoints(tmp_path, trained):
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a safetensors file"):
        regretnet.load(str(junk))
    with pytest.raises(ValueError, match="no such run directory"):
        regretnet.load(str(tmp_path / "nowhere"))
    # A checkpoint of another setting inside a run directory of this one.
    other = tmp_path / "other"
    regretnet.train(small_config(preset="additive_2x2_uniform", iterations=1), str(other))
    foreign = regretnet.load(str(other)).path
    with pytest.raises(ValueError):
        regretnet.evaluate(trained[0], checkpoint=foreign, samples=10)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError):
        regretnet.load(str(empty))
    with pytest.raises(ValueError, match="best"):
        regretnet.load(str(foreign), best=True)
