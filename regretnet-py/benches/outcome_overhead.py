"""What the Python boundary costs: `Mechanism.outcome` on 10,000 profiles against the same
call from Rust (`Model::outcome_of`, regretnet-cli's `outcome_timing` example), on the same
run and the same profiles, best of R calls each. Run it on an idle machine:

    cargo build --release -p regretnet-cli --example outcome_timing
    python regretnet-py/benches/outcome_overhead.py [RUN_DIR] [--repeats R]

Without RUN_DIR it trains --preset (default the default 1x2) for 1 iteration (the cost of a forward pass
does not depend on the weights). Prints both times and their ratio (BENCHMARKS.md, "Python").
"""

import argparse
import json
import pathlib
import subprocess
import tempfile
import time

import regretnet

REPO = pathlib.Path(__file__).resolve().parents[2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("run_dir", nargs="?")
    parser.add_argument("--preset", default="additive_1x2_uniform")
    parser.add_argument("--profiles", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        run_dir = args.run_dir
        if run_dir is None:
            run_dir = str(pathlib.Path(scratch) / "run")
            regretnet.train(args.preset, run_dir, iterations=1)
        m = regretnet.load(run_dir)
        profiles = regretnet.sample(m.config, args.profiles)
        best = float("inf")
        for _ in range(args.repeats):
            t = time.perf_counter()
            _, pay = m.outcome(profiles)
            best = min(best, time.perf_counter() - t)
        example = REPO / "target" / "release" / "examples" / "outcome_timing"
        out = subprocess.run(
            [str(example), run_dir, str(args.profiles), str(args.repeats)],
            check=True,
            capture_output=True,
            text=True,
        )
        rust = json.loads(out.stdout)
        revenue = pay.sum(axis=1).astype("float64").mean()
        assert abs(revenue - rust["revenue"]) < 1e-6, (revenue, rust["revenue"])
        print(f"setting {m.setting['name']}, {args.profiles} profiles, best of {args.repeats}")
        print(f"rust   outcome_of     {rust['seconds'] * 1e3:8.3f} ms")
        print(f"python m.outcome      {best * 1e3:8.3f} ms")
        print(f"ratio                 {best / rust['seconds']:8.3f}")


if __name__ == "__main__":
    main()
