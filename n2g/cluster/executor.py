"""`--executor local|ray`: where record and build run, and joining the Ray cluster.

`local` (the default) is today's single process, untouched. `ray` joins the cluster at
`--ray-address` (a `ray start --head` machine's `HOST:PORT`, or `auto` for the one this
machine belongs to) or, without an address, starts a private Ray instance on this machine
for the length of the command. Workers are Ray actors: each loads the model once and
takes task after task.

How many workers: `--workers` when given; else one per GPU of the cluster with `--device
cuda`, else one per machine of the cluster, each using that machine's CPUs as the single
process would (torch's own threads are better at filling one machine's cores than
several processes are). Every failure to reach or start Ray is one `error:` line.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from n2g.errors import N2GError

# A worker process that dies this often is not unlucky: the error reaches the user.
RESTARTS = 3
RAY_MISSING = "the Ray executor needs Ray: pip install 'neuron2graph[ray]'"


class Executor(StrEnum):
    local = "local"
    ray = "ray"


class ClusterConfig(BaseModel):
    """The Ray executor's settings (`--ray-address`, `--workers`)."""

    model_config = ConfigDict(frozen=True)

    address: str | None = Field(
        None, description="Ray cluster HOST:PORT or auto (default: a private local instance)"
    )
    workers: int | None = Field(
        None, ge=1, description="Ray workers (default: one per GPU with cuda, else per machine)"
    )
    target_seconds: float = Field(
        20.0, gt=0, description="estimated seconds of work a build task aims at"
    )


class WorkerPlan(BaseModel):
    """How many workers, and what each reserves of its machine."""

    count: int
    cpus: float
    gpus: float


def import_ray() -> Any:
    """The `ray` module, or N2GError telling how to install it."""
    try:
        import ray
    except ImportError:
        raise N2GError(RAY_MISSING) from None
    return ray


def plan_workers(
    resources: dict[str, float], nodes: int, config: ClusterConfig, device: str
) -> WorkerPlan:
    """Workers for a cluster with `resources` (Ray's totals) over `nodes` machines."""
    cpus, gpus = resources.get("CPU", 1.0), resources.get("GPU", 0.0)
    if device.startswith("cuda"):
        if gpus < 1:
            raise N2GError("--device cuda: the Ray cluster has no GPU")
        count = config.workers or int(gpus)
        return WorkerPlan(count=count, cpus=max(1.0, cpus // count), gpus=1.0)
    count = config.workers or max(nodes, 1)
    return WorkerPlan(count=count, cpus=max(1.0, cpus // count), gpus=0.0)


@contextlib.contextmanager
def ray_cluster(config: ClusterConfig, device: str) -> Iterator[WorkerPlan]:
    """Join (or start) Ray for the block; the plan of workers to create."""
    ray = preflight(config)
    # Ray's own logs would break the progress bar; worker errors still reach the driver
    # as exceptions of the tasks.
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    try:
        ray.init(
            address=config.address,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
            ignore_reinit_error=True,
        )
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = config.address or "a local instance"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise N2GError(f"cannot join the Ray cluster at {where}: {first}") from None
    try:
        nodes = sum(1 for node in ray.nodes() if node.get("Alive"))
        yield plan_workers(ray.cluster_resources(), nodes, config, device)
    finally:
        ray.shutdown()


def preflight(config: ClusterConfig) -> Any:
    """The `ray` module, once Ray is known to be installed and the address to answer:
    called before anything is written, so a misused executor leaves no trace."""
    ray = import_ray()
    if config.address not in (None, "auto", "local"):
        check_reachable(config.address)
    return ray


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """N2GError unless something listens at HOST:PORT (`ray.init` would retry for minutes
    before saying so)."""
    import socket

    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise N2GError(f"--ray-address must look like HOST:PORT or auto, not {address!r}")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise N2GError(
            f"no Ray cluster answers at {address} ({why}); start one with `ray start --head`"
        ) from None


def start_workers(ray: Any, worker_class: type, plan: WorkerPlan, *args: Any) -> list[Any]:
    """`plan.count` actors of `worker_class(*args, threads)`, restarted by Ray if their
    process dies (up to `RESTARTS` times each), a task in flight then retried on the new
    process."""
    remote = ray.remote(
        num_cpus=plan.cpus,
        num_gpus=plan.gpus,
        max_restarts=RESTARTS,
        max_task_retries=RESTARTS,
    )(worker_class)
    return [remote.remote(*args, int(plan.cpus)) for _ in range(plan.count)]


def result_of(ray: Any, ref: Any) -> Any:
    """A finished task's value; a task's error or a worker lost for good as N2GError (what
    was finished before is kept by the caller, so rerunning resumes)."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as exc:
        cause = exc.cause if isinstance(exc.cause, N2GError) else None
        raise N2GError(str(cause) if cause else f"a Ray task failed: {exc}") from None
    except ray.exceptions.RayActorError as exc:
        raise N2GError(
            f"a Ray worker died {RESTARTS + 1} times ({type(exc).__name__}); what was "
            "finished is kept: run the same command again to resume"
        ) from None
