"""Type stub of the regretnet package (the native module `regretnet._regretnet`)."""

from os import PathLike
from pathlib import Path
from typing import Any, Callable, Literal, Optional, Union

import numpy as np
import numpy.typing as npt

__version__: str

StrPath = Union[str, "PathLike[str]"]
ArrayLike = npt.ArrayLike
F32 = npt.NDArray[np.float32]
Setting = Union["Config", str, "PathLike[str]"]
Protocol = Literal["default", "paper"]

class Config:
    """A run's configuration (the `config.toml` a run directory holds)."""

    @property
    def setting(self) -> str: ...
    @property
    def bidders(self) -> int: ...
    @property
    def items(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def iterations(self) -> int: ...
    def to_toml(self) -> str: ...
    def to_dict(self) -> dict[str, dict[str, Any]]: ...
    def replace(self, **overrides: Any) -> "Config": ...
    def save(self, path: StrPath) -> None: ...

class Mechanism:
    """A trained mechanism: RegretNet, RochetNet, MyersonNet or an affine maximizer."""

    @property
    def setting(self) -> dict[str, Any]: ...
    @property
    def kind(self) -> str: ...
    @property
    def path(self) -> Path: ...
    @property
    def config(self) -> Optional[Config]: ...
    def outcome(self, bids: ArrayLike) -> tuple[F32, F32]: ...
    def utility(self, values: ArrayLike, bids: ArrayLike) -> F32: ...
    def regret(
        self,
        profiles: ArrayLike,
        protocol: Protocol = "default",
        *,
        threads: Optional[int] = None,
        restarts: Optional[int] = None,
        steps: Optional[int] = None,
        grid: Optional[int] = None,
        coordinate_grid: Optional[int] = None,
        pair_samples: Optional[int] = None,
        reference_samples: Optional[int] = None,
        reference_restarts: Optional[int] = None,
        reference_steps: Optional[int] = None,
        symmetrize: Optional[bool] = None,
        **overrides: Any,
    ) -> dict[str, Any]: ...
    def certify(
        self,
        profiles: ArrayLike,
        *,
        tol: Optional[float] = None,
        budget: Optional[int] = None,
        protocol: Protocol = "default",
        threads: Optional[int] = None,
    ) -> dict[str, Any]: ...

def presets() -> list[dict[str, Any]]: ...
def config(
    path: Optional[StrPath] = None, *, preset: Optional[str] = None, **overrides: Any
) -> Config: ...
def train(
    config: Setting,
    out: StrPath,
    *,
    iterations: Optional[int] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    progress: Optional[Callable[[dict[str, Any]], Any]] = None,
    force: bool = False,
) -> dict[str, Any]: ...
def resume(
    run_dir: StrPath,
    *,
    iterations: Optional[int] = None,
    threads: Optional[int] = None,
    progress: Optional[Callable[[dict[str, Any]], Any]] = None,
) -> dict[str, Any]: ...
def load(path: StrPath, *, best: bool = False) -> Mechanism: ...
def evaluate(
    run_dir: StrPath,
    protocol: Protocol = "default",
    *,
    checkpoint: Optional[StrPath] = None,
    threads: Optional[int] = None,
    **overrides: Any,
) -> dict[str, Any]: ...
def baselines(
    setting: Setting, *, samples: Optional[int] = None, seed: Optional[int] = None
) -> dict[str, Any]: ...
def sample(setting: Union[Setting, Mechanism], n: int, seed: Optional[int] = None) -> F32: ...
