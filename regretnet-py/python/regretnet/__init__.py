"""regretnet from Python: train, load, query and audit learned auctions on numpy arrays.

A thin skin over the Rust library that the ``regretnet`` command line uses: the same configs,
run directories, evaluations and error messages. Arrays of profiles have shape
``(batch, bidders, values)``; results are ``float32`` numpy arrays.

>>> import regretnet
>>> c = regretnet.config(preset="additive_1x2_uniform", iterations=2000)
>>> summary = regretnet.train(c, "runs/quick")            # doctest: +SKIP
>>> m = regretnet.load("runs/quick")                       # doctest: +SKIP
>>> alloc, pay = m.outcome(regretnet.sample(c, 1000))      # doctest: +SKIP

See docs/PYTHON.md for the whole API and examples/python/quickstart.py for a tour.
"""

from ._regretnet import (
    Config,
    Mechanism,
    __version__,
    baselines,
    config,
    evaluate,
    load,
    presets,
    resume,
    sample,
    train,
)

__all__ = [
    "Config",
    "Mechanism",
    "__version__",
    "baselines",
    "config",
    "evaluate",
    "load",
    "presets",
    "resume",
    "sample",
    "train",
]
