"""The package against the `regretnet` binary on the same profiles: outcomes, revenue, the
audited regret and the baselines must be the CLI's numbers, not numbers like them."""

import json
import subprocess

import numpy as np
import pytest

import regretnet

# A light protocol: a few search starts and steps, the full grid audit (1x2).
PROTOCOL = dict(samples=2000, regret_samples=100, restarts=2, steps=25)
FLAGS = ["--samples", "2000", "--regret-samples", "100", "--restarts", "2", "--steps", "25"]


def cli_eval(cli, run_dir):
    out = subprocess.run(
        [cli, "eval", run_dir, "--json", "--quiet", "--threads", "1", *FLAGS],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def test_presets_and_version():
    names = [p["name"] for p in regretnet.presets()]
    assert "additive_1x2_uniform" in names and "additive_5x10_uniform" in names
    default = next(p for p in regretnet.presets() if p["name"] == "additive_1x2_uniform")
    assert default["optimal_revenue"] == pytest.approx(0.5492, abs=1e-4)  # docs/PAPER.md
    assert regretnet.__version__


def test_config_overrides_and_round_trip(tmp_path):
    c = regretnet.config(preset="additive_2x2_uniform", iterations=123, train__batch_size=64)
    assert (c.setting, c.bidders, c.items, c.iterations) == ("additive_2x2_uniform", 2, 2, 123)
    assert c.to_dict()["train"]["batch_size"] == 64
    path = tmp_path / "c.toml"
    c.save(str(path))
    assert regretnet.config(str(path)) == c
    assert c.replace(seed=7).to_dict()["train"]["seed"] == 7
    ama = regretnet.config(preset="additive_2x2_uniform", net="ama")
    assert ama.kind == "ama"


def test_outcome_matches_cli_eval(cli, trained):
    run_dir, config = trained
    report = cli_eval(cli, run_dir)
    m = regretnet.load(run_dir)
    profiles = regretnet.sample(config, PROTOCOL["samples"])
    alloc, pay = m.outcome(profiles)
    assert alloc.shape == (2000, 1, 2) and pay.shape == (2000, 1)
    assert alloc.dtype == np.float32
    revenue = pay.sum(axis=1, dtype=np.float32).astype(np.float64).mean()
    assert abs(revenue - report["revenue"]) < 1e-9, (revenue, report["revenue"])
    # IR by construction: no bidder pays more than its value of what it gets.
    assert (m.utility(profiles, profiles) >= -1e-6).all()


def test_evaluate_equals_cli(cli, trained):
    run_dir, _ = trained
    report = cli_eval(cli, run_dir)
    ours = regretnet.evaluate(run_dir, threads=1, **PROTOCOL)
    assert ours["revenue"] == report["revenue"]
    assert ours["regret"] == report["regret"]
    assert ours["protocol"] == report["protocol"]


def test_regret_equals_eval_audited_mean(cli, trained):
    run_dir, config = trained
    report = cli_eval(cli, run_dir)
    m = regretnet.load(run_dir)
    profiles = regretnet.sample(config, PROTOCOL["regret_samples"])
    r = m.regret(profiles, threads=1, **PROTOCOL)
    assert r["mean"] == pytest.approx(report["regret"], rel=1e-12, abs=0)
    assert r["audited"].shape == (100, 1) and r["best_misreport"].shape == (100, 1, 2)
    assert list(r["estimates"])[0] == "gradient search"
    # The audited regret is the largest estimate, and the best misreport earns it.
    for est in r["estimates"].values():
        assert (r["audited"][: len(est)] >= est - 1e-7).all()
    truth = m.utility(profiles, profiles)
    gained = m.utility(profiles, r["best_misreport"]) - truth
    np.testing.assert_allclose(gained, r["audited"], atol=2e-6)


def test_utility_is_value_of_allocation_minus_payment(trained):
    run_dir, config = trained
    m = regretnet.load(run_dir)
    values = regretnet.sample(config, 50, seed=3)
    bids = regretnet.sample(config, 50, seed=4)
    alloc, pay = m.outcome(bids)
    expected = (alloc * values).sum(axis=2) - pay
    np.testing.assert_allclose(m.utility(values, bids), expected, atol=1e-6)


def test_certify_bounds_the_audit(trained):
    run_dir, config = trained
    m = regretnet.load(run_dir)
    profiles = regretnet.sample(config, 5)
    cert = m.certify(profiles, tol=1e-3, budget=20000, threads=1)
    audited = m.regret(profiles, threads=1, restarts=2, steps=25)["audited"]
    assert cert["reached"].all()
    # A proven upper bound is never below a regret a search found.
    assert (cert["upper"] >= audited - 1e-6).all()
    assert (cert["upper"] - cert["lower"] <= 1e-3 + 1e-6).all()


def test_symmetrize_averages_over_the_items_and_is_refused_with_certify(trained):
    """1x2 U[0,1] is symmetric in its two items: `symmetrize=True` measures the network
    averaged over both orders (docs/EVALUATION.md). Its truthful revenue on the profiles is the
    mean of the network's on the profiles and on the profiles with the items swapped."""
    run_dir, config = trained
    m = regretnet.load(run_dir)
    profiles = regretnet.sample(config, 20)
    r = m.regret(profiles, threads=1, restarts=1, steps=10, symmetrize=True)
    assert r["audited"].shape == (20, 1) and (r["audited"] >= 0).all()
    report = regretnet.evaluate(
        run_dir, threads=1, samples=200, restarts=1, steps=10, symmetrize=True
    )
    assert report["protocol"]["symmetrize"] is True
    assert report["protocol"]["name"].endswith("-sym")
    test = regretnet.sample(config, 200)
    swapped = test[:, :, ::-1].copy()
    revenue = (m.outcome(test)[1].sum(axis=1) + m.outcome(swapped)[1].sum(axis=1)) / 2
    assert report["revenue"] == pytest.approx(float(revenue.mean()), abs=1e-5)
    with pytest.raises(ValueError, match="symmetrize"):
        m.regret(profiles, certify=True, symmetrize=True)


def test_baselines_equal_cli(cli):
    out = subprocess.run(
        [cli, "baseline", "--preset", "additive_1x2_uniform", "--samples", "3000", "--json"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert regretnet.baselines("additive_1x2_uniform", samples=3000) == json.loads(out.stdout)


def test_sample_is_the_evaluation_sample():
    c = regretnet.config(preset="additive_2x3_uniform")
    a = regretnet.sample(c, 100)
    assert a.shape == (100, 2, 3)
    np.testing.assert_array_equal(a[:10], regretnet.sample(c, 10))  # a prefix, same seed
    assert not np.array_equal(a[:10], regretnet.sample(c, 10, seed=1))
    assert ((a >= 0) & (a <= 1)).all()


def test_loads_a_checkpoint_file_and_the_best(trained):
    run_dir, _ = trained
    latest = regretnet.load(run_dir)
    same = regretnet.load(str(latest.path))
    assert same.kind == "regretnet" and same.setting == latest.setting
    profiles = np.full((3, 1, 2), 0.5, dtype=np.float32)
    np.testing.assert_array_equal(same.outcome(profiles)[1], latest.outcome(profiles)[1])
    assert regretnet.load(run_dir, best=True).kind == "regretnet"


def test_float64_and_lists_are_accepted(trained):
    run_dir, _ = trained
    m = regretnet.load(run_dir)
    f32 = np.array([[[0.2, 0.7]], [[0.9, 0.4]]], dtype=np.float32)
    for other in (f32.astype(np.float64), f32.tolist(), np.asfortranarray(f32)):
        np.testing.assert_array_equal(m.outcome(other)[1], m.outcome(f32)[1])


def test_the_gil_is_released_while_training(tmp_path):
    import threading

    ticks = []
    done = threading.Event()

    def count():
        while not done.is_set():
            ticks.append(1)
            done.wait(0.01)

    t = threading.Thread(target=count)
    t.start()
    try:
        from conftest import small_config

        regretnet.train(small_config(iterations=200), str(tmp_path / "run"))
    finally:
        done.set()
        t.join()
    assert len(ticks) > 10


def test_the_stub_names_the_whole_api():
    import ast
    import pathlib

    stub = pathlib.Path(regretnet.__file__).with_name("__init__.pyi")
    tree = ast.parse(stub.read_text())
    names = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    names |= {t.target.id for t in tree.body if isinstance(t, ast.AnnAssign)}
    assert set(regretnet.__all__) <= names, set(regretnet.__all__) - names
    for cls, obj in (("Config", regretnet.Config), ("Mechanism", regretnet.Mechanism)):
        node = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls)
        stubbed = {f.name for f in node.body if isinstance(f, ast.FunctionDef)}
        public = {a for a in dir(obj) if not a.startswith("_")}
        assert public <= stubbed, (cls, public - stubbed)
    # Every public function and method has a docstring (from the Rust doc comments).
    for name in regretnet.__all__:
        if name != "__version__":
            assert getattr(regretnet, name).__doc__, name


def test_train_is_the_cli_s_training(cli, tmp_path):
    """The same config trained by `regretnet train --json` and by `regretnet.train`: one code
    path, so the same summary to every bit (but the wall time and the directory)."""
    from conftest import small_config

    c = small_config(iterations=200)
    c.save(str(tmp_path / "c.toml"))
    out = subprocess.run(
        [cli, "train", "--config", str(tmp_path / "c.toml"), "--out", str(tmp_path / "cli"),
         "--json", "--quiet"],
        check=True,
        capture_output=True,
        text=True,
    )
    theirs = json.loads(out.stdout)
    ours = regretnet.train(c, str(tmp_path / "py"))
    for key in ("iterations", "revenue", "regret", "regret_per_bidder"):
        assert ours[key] == theirs[key], key
    profiles = regretnet.sample(c, 100)
    np.testing.assert_array_equal(
        regretnet.load(str(tmp_path / "py")).outcome(profiles)[1],
        regretnet.load(str(tmp_path / "cli")).outcome(profiles)[1],
    )
