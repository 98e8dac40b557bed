"""Shared conventions of the benchmarks in bench/.

Every benchmark measures its own approach and the plain approach side by side in the same
run (same machine, same load), prints both figures and their ratio, accepts `--quick` for
a small smoke run and `--json PATH` to write the result as a JSON object:

    {"name", "unit", "figure", "plain_figure", "ratio", "higher_is_better", "quick",
     "machine": {...}, ...extra}

Typical use:

    parser = bench_arg_parser("tokens/s of n2g record")
    args = parser.parse_args()
    seconds, value = timed(lambda: work())
    result = BenchResult(name="record", unit="tokens/s", figure=..., plain_figure=...)
    report(result, args)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class BenchResult:
    """One benchmark figure next to the plain approach's figure, measured in the same run.

    `ratio` is figure / plain_figure when higher is better (throughputs), and
    plain_figure / figure when lower is better (latencies), so > 1 always means "faster".
    """

    name: str
    unit: str
    figure: float
    plain_figure: float
    higher_is_better: bool = True
    quick: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        if self.higher_is_better:
            return self.figure / self.plain_figure if self.plain_figure else float("inf")
        return self.plain_figure / self.figure if self.figure else float("inf")

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        extra = data.pop("extra")
        data["ratio"] = self.ratio
        data["machine"] = machine_info()
        data.update(extra)
        return data

    def summary(self) -> str:
        """The human-readable lines a benchmark prints."""
        return "\n".join(
            [
                f"{self.name}{' (quick)' if self.quick else ''}",
                f"  n2g:   {self.figure:,.2f} {self.unit}",
                f"  plain: {self.plain_figure:,.2f} {self.unit}",
                f"  ratio: {self.ratio:,.2f}x",
            ]
            + [f"  {key}: {value}" for key, value in self.extra.items()]
        )


def machine_info() -> dict[str, Any]:
    """What the figures depend on: CPU count, torch threads, platform, versions."""
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }
    with contextlib.suppress(AttributeError):  # sched_getaffinity is Linux-only
        info["cpus_usable"] = len(os.sched_getaffinity(0))
    with contextlib.suppress(OSError):
        info["load_avg_1m"] = os.getloadavg()[0]
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
        info["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except ImportError:
        pass
    return info


def bench_arg_parser(description: str) -> argparse.ArgumentParser:
    """An argparse parser with the shared `--quick` and `--json PATH` flags."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="small smoke run (seconds)")
    parser.add_argument(
        "--json", type=Path, default=None, metavar="PATH", help="also write the result as JSON"
    )
    return parser


def timed(func: Callable[[], T], repeats: int = 1) -> tuple[float, T]:
    """Run `func` `repeats` times; return (the median wall seconds, its last result).

    A median of a few runs for work of a few seconds, which one run on a shared machine
    measures with tens of percent of noise."""
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        value = func()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), value


def write_result(result: BenchResult, json_path: Path | None) -> None:
    """Write the result as JSON (no-op when json_path is None); parent folders are created."""
    if json_path is None:
        return
    json_path = Path(json_path)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = json_path.with_name(f".{json_path.name}.tmp")
    tmp.write_text(json.dumps(result.as_dict(), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, json_path)


def report(result: BenchResult, args: argparse.Namespace) -> None:
    """Print the summary and write --json if asked."""
    print(result.summary())
    write_result(result, getattr(args, "json", None))
    sys.stdout.flush()


def stock_layout(model):
    """The plain approach's model as transformer_lens stores it: every parameter contiguous,
    so its forward copies W_gate/W_in/W_out and rearranges W_Q/W_K/W_V/W_O on every pass,
    as the paper's code paid (n2g stores them as they are read: n2g.models.layout). The
    values, and so every activation, are the same."""
    for param in model.model.parameters():
        param.data = param.data.contiguous()
    return model


@contextlib.contextmanager
def throwaway_database(prefix: str, heap: str = "2g") -> Iterator[Any]:
    """A connected n2g Database on a fresh local server of the benchmark's own, on free
    ports in a temporary folder; the server is stopped and the folder removed after."""
    import shutil
    import tempfile

    from n2g.db import server
    from n2g.db.connection import Database

    home = Path(tempfile.mkdtemp(prefix=prefix))
    settings = server.LocalServerSettings(
        home=home / "server", bolt_port=server.free_port(), http_port=server.free_port(), heap=heap
    )
    status = server.start(settings)
    try:
        with Database.connect(server.server_config(settings)) as db:
            yield db
    finally:
        if status.pid is not None:
            server.stop_process(status.pid)
        shutil.rmtree(home, ignore_errors=True)


def add_records_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of a benchmark that builds a seeded sample of a records folder's units
    (`--records`, `--layers`, `--neurons`, `--repeats`)."""
    parser.add_argument("--records", type=Path, required=True, help="records (n2g record)")
    parser.add_argument("--layers", default="1")
    parser.add_argument("--neurons", type=int, default=128, help="seeded sample per layer")
    parser.add_argument("--repeats", type=int, default=3)
