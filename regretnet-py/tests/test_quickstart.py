"""The quickstart runs as a researcher would run it (briefly; without matplotlib it says so
and draws nothing)."""

import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_quickstart(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            str(REPO / "examples" / "python" / "quickstart.py"),
            "--iterations",
            "300",
            "--samples",
            "2000",
            "--out",
            str(tmp_path / "qs"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    for line in ["trained 300 iterations", "audited regret on 200 test profiles", "(paired)"]:
        assert line in out.stdout, out.stdout
