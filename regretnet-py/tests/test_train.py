"""Training from Python: the summary `train --json` prints, progress rows, Ctrl-C (a
KeyboardInterrupt) that writes a checkpoint, and a resume that ends where an uninterrupted
run ends, bit for bit."""

import os
import signal
import threading

import numpy as np
import pytest

import regretnet
from conftest import small_config


def test_summary_and_progress(tmp_path):
    events = []
    s = regretnet.train(small_config(), str(tmp_path / "r"), progress=events.append)
    assert s["iterations"] == 300 and s["run_dir"] == str(tmp_path / "r")
    assert set(s) == {"iterations", "seconds", "revenue", "regret", "regret_per_bidder", "run_dir"}
    logged = [e["iteration"] for e in events if e["event"] == "logged"]
    assert logged == [100, 200, 300]
    assert any(e["event"] == "validated" for e in events)
    assert any(e["event"] == "checkpoint" for e in events)
    assert (tmp_path / "r" / "metrics.csv").exists()


def stop_at_first_log(event):
    if event["event"] == "logged":
        raise KeyboardInterrupt


def test_interrupt_checkpoints_and_resume_is_exact(tmp_path):
    config = small_config(iterations=300)
    whole = tmp_path / "whole"
    regretnet.train(config, str(whole))
    part = tmp_path / "part"
    # Raised by progress at iteration 100: training stops there with a checkpoint.
    with pytest.raises(KeyboardInterrupt):
        regretnet.train(config, str(part), progress=stop_at_first_log)
    stopped = regretnet.load(str(part))
    assert stopped.path.name == "iter-000000100.safetensors"
    regretnet.resume(str(part))
    a, b = regretnet.load(str(whole)), regretnet.load(str(part))
    profiles = regretnet.sample(config, 500)
    for x, y in zip(a.outcome(profiles), b.outcome(profiles)):
        np.testing.assert_array_equal(x, y)


def test_sigint_while_training_raises_keyboard_interrupt(tmp_path):
    """A real SIGINT arriving while Rust trains (the GIL released): the waiting thread sees
    it, training stops after the iteration with a checkpoint, KeyboardInterrupt is raised."""
    out = tmp_path / "r"
    started = threading.Event()

    def on_event(e):
        if e["event"] == "logged" and not started.is_set():
            started.set()
            # From another thread, so that the signal lands while Rust is training.
            threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()

    # A shell starts background jobs with SIGINT ignored, and Python then installs no handler:
    # install Python's own for the test, so that it cannot hang training a million iterations.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            regretnet.train(
                small_config(iterations=1_000_000, checkpoint_every=1_000_000),
                str(out),
                progress=on_event,
            )
    finally:
        signal.signal(signal.SIGINT, previous)
    m = regretnet.load(str(out))
    iteration = int(m.path.stem.split("-")[1])
    assert 100 <= iteration < 1_000_000
    # The stop's checkpoint resumes.
    with pytest.warns(UserWarning, match="extended to"):
        s = regretnet.resume(str(out), iterations=iteration + 100)
    assert s["iterations"] == iteration + 100


def test_resume_of_a_finished_run_says_so(trained):
    with pytest.raises(ValueError, match="is complete"):
        regretnet.resume(trained[0])
