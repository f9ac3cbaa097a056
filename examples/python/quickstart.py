"""regretnet quickstart: train the default 1x2 auction briefly, load it, look at what it
allocates, audit its regret and compare its revenue with the optimal mechanism on the same
profiles.

    pip install ./regretnet-py            # from the repository root
    python examples/python/quickstart.py  # about a minute on a laptop core

The setting is one bidder, two items, values uniform on [0, 1]^2 (Dütting et al., "Optimal
Auctions through Deep Learning", setting (a)); its optimal mechanism is known (Manelli and
Vincent 2006): each item at 2/3, or both for (4 - sqrt 2)/3, expected revenue 0.5492.
With matplotlib installed it also draws the learned allocation with the optimum's regions.
"""

import argparse
import math
import os

import numpy as np

import regretnet

P_ITEM = 2.0 / 3.0
P_BUNDLE = (4.0 - math.sqrt(2.0)) / 3.0


def manelli_vincent_revenue(values):
    """Revenue per profile of the optimal 1x2 menu; values has shape (batch, 1, 2)."""
    v = values[:, 0, :].astype(np.float64)
    utilities = np.stack(
        [np.zeros(len(v)), v[:, 0] - P_ITEM, v[:, 1] - P_ITEM, v.sum(1) - P_BUNDLE], axis=1
    )
    prices = np.array([0.0, P_ITEM, P_ITEM, P_BUNDLE])
    return prices[utilities.argmax(axis=1)]


def draw(alloc, grid, path):
    """Both items' allocation over the value square, with the optimum's region borders."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no figure (pip install matplotlib to draw one)")
        return
    n = len(grid)
    fig, axes = plt.subplots(1, 2, figsize=(9, 4), constrained_layout=True)
    edge = P_BUNDLE - P_ITEM  # item 1 alone when v2 <= this, and symmetrically
    for j, ax in enumerate(axes):
        im = ax.imshow(
            alloc[:, 0, j].reshape(n, n), origin="lower", extent=(0, 1, 0, 1), vmin=0, vmax=1
        )
        ax.plot([P_ITEM, P_ITEM, 1], [0, edge, edge], "w--", lw=1)  # item 1 alone
        ax.plot([0, edge, edge], [P_ITEM, P_ITEM, 1], "w--", lw=1)  # item 2 alone
        ax.plot([edge, P_ITEM], [P_ITEM, edge], "w--", lw=1)  # nothing / bundle
        ax.set(title=f"probability of item {j + 1}", xlabel="v1", ylabel="v2")
    fig.colorbar(im, ax=axes, shrink=0.8)
    fig.savefig(path, dpi=120)
    print(f"figure: {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--out", default=os.path.join("runs", "quickstart"))
    parser.add_argument("--samples", type=int, default=10000)
    args = parser.parse_args()

    # 1. Train: the default preset, a short run (the full one is 32,000 iterations).
    config = regretnet.config(preset="additive_1x2_uniform", iterations=args.iterations)
    summary = regretnet.train(
        config,
        args.out,
        force=True,
        progress=lambda e: e["event"] == "validated"
        and print(f"  iteration {e['iteration']}: revenue {e['revenue']:.4f}, regret {e['regret'][0]:.2e}"),
    )
    print(f"trained {summary['iterations']} iterations in {summary['seconds']:.1f} s")

    # 2. Load the run's newest checkpoint.
    m = regretnet.load(args.out)
    print(f"loaded {m.kind} for {m.setting['name']} from {m.path}")

    # 3. Allocations on a grid of the value square.
    grid = np.linspace(0.0, 1.0, 101, dtype=np.float32)
    v1, v2 = np.meshgrid(grid, grid)
    profiles = np.stack([v1.ravel(), v2.ravel()], axis=1)[:, None, :]  # (101*101, 1, 2)
    alloc, pay = m.outcome(profiles)
    print(f"at values (0.9, 0.9) it sells {alloc[-1, 0]} for {pay[-1, 0]:.4f}")
    draw(alloc, grid, os.path.join(args.out, "quickstart.png"))

    # 4. Regret on its own test profiles (the ones `regretnet eval` uses), audited.
    test = regretnet.sample(config, args.samples)
    r = m.regret(test[:200])
    print(
        f"audited regret on 200 test profiles: mean {r['mean']:.2e}, max {r['audited'].max():.2e} "
        f"(estimates: {', '.join(r['estimates'])})"
    )

    # 5. Revenue against the optimum on the same profiles, paired.
    ours = m.outcome(test)[1].sum(axis=1).astype(np.float64)
    optimum = manelli_vincent_revenue(test)
    diff = ours - optimum
    se = lambda x: x.std(ddof=1) / math.sqrt(len(x))  # noqa: E731
    published = {b["name"]: b["revenue"] for b in regretnet.baselines(config, samples=args.samples)["baselines"]}
    assert abs(published["known optimum"] - optimum.mean()) < 1e-9, "the two optima disagree"
    print(f"revenue {ours.mean():.4f} +- {se(ours):.4f}; optimum {optimum.mean():.4f} on the same profiles")
    print(f"learned minus optimal: {diff.mean():+.4f} +- {se(diff):.4f} (paired)")
    print("a margin above the optimum is regret being sold, not a better mechanism")


if __name__ == "__main__":
    main()
