"""`n2g ablate` and `Store.ablate`: a set of units named three ways, checked, then measured.

The set is a stored group (by its key), the units a token search returns, or a list of
keys. Everything that can be refused is refused before the model runs, each with one
line: an unknown group, no unit firing on the token, a key that does not parse or is not
an MLP neuron (only neurons have the hook ablated), keys of several models or of another
model than the one loaded, records of another model or missing a layer of the set, and a
measurement that would not fit in memory (the records file read and one pass's logits,
n2g.models.group_ablation.estimate_bytes, against the memory available or the budget
given). The maths is n2g.models.group_ablation's; the texts n2g.run.ablation_texts'; a
group's result is stored on it (n2g.search.group_ablation).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from n2g.db.connection import Database
from n2g.errors import N2GError
from n2g.graph.key import parse_neuron_key
from n2g.graph.levels import FIRING_LEVEL
from n2g.search import store
from n2g.search.group_ablation import Mode, SetAblation, group_units, write_group_ablation

if TYPE_CHECKING:
    from n2g.models.base import NeuronModel

MAX_SEARCH_UNITS = 1000  # units a token search may lend
GIB = 1024**3


class AblationRequest(BaseModel):
    """What to ablate and how (the command's options; defaults written once, here)."""

    model_config = ConfigDict(frozen=True)

    model: str = Field(description="the model to load (its units' keys start with it)")
    records: Path = Field(description="records folder of the model (`n2g record`)")
    group: str | None = None
    token: str | None = None
    units: list[str] | None = None
    mode: Mode = "zero"
    per_unit: int = Field(4, ge=1, description="firing windows each member lends")
    windows: int = Field(32, ge=1, description="firing windows in all")
    control: int = Field(32, ge=1, description="random corpus windows (control texts)")
    control_corpus: str | None = Field(
        None, description="corpus of the control texts (default: the records')"
    )
    random: int = Field(8, ge=0, description="random sets of the same layers to compare")
    context: int | None = Field(
        None,
        ge=2,
        description="tokens a window keeps (firing: up to the token after its last firing"
        " position; default: the records' whole windows)",
    )
    seed: int = 0
    batch: int = Field(4, ge=1, description="windows a pass")
    memory_gb: float | None = Field(None, gt=0, description="memory budget (default: available)")
    device: str = "cpu"
    dtype: str = "float32"


def _keys(db: Database | None, request: AblationRequest) -> list[str]:
    given = [request.group is not None, request.token is not None, request.units is not None]
    if sum(given) != 1:
        raise N2GError("name the set one way: --group KEY, --token TEXT or --units K1,K2,...")
    if request.units is not None:
        if not request.units:
            raise N2GError("--units names no unit")
        return sorted(set(request.units))
    assert db is not None
    if request.group is not None:
        model, members = group_units(db, request.group)
        if model != request.model:
            raise N2GError(f"group {request.group!r} holds units of {model}, not {request.model}")
        return members
    rows = store.token_hits(
        db,
        request.token,
        None,
        model=request.model,
        layer=None,
        limit=MAX_SEARCH_UNITS,
        level=FIRING_LEVEL,
    )
    if not rows:
        raise N2GError(f"no unit of {request.model} fires on {request.token!r}")
    return sorted({str(row["key"]) for row in rows})


def resolve_units(db: Database | None, request: AblationRequest) -> list[tuple[int, int]]:
    """The set as (layer, neuron) pairs of the request's model; N2GError when refused."""
    units = []
    models = set()
    for key in _keys(db, request):
        unit = parse_neuron_key(key)
        if unit.layer is None or unit.unit_set is not None:
            raise N2GError(f"{key} is not an MLP neuron: only neurons can be ablated")
        models.add(unit.model)
        units.append((unit.layer, unit.unit))
    if len(models) > 1:
        raise N2GError(f"the set mixes models ({', '.join(sorted(models))}): ablate one at a time")
    if models != {request.model}:
        raise N2GError(f"the set's units are of {models.pop()}, not of {request.model} (-m)")
    return sorted(set(units))


def available_bytes() -> int:
    """Memory the system can give now (MemAvailable; the physical total elsewhere)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    import os

    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def check_memory(model: NeuronModel, request: AblationRequest, layers: list[int]) -> None:
    """Refuse a measurement whose records and one pass would not fit (before any pass)."""
    from n2g.models.group_ablation import estimate_bytes
    from n2g.record.store import load_manifest
    from n2g.run.ablation_texts import records_bytes

    window = load_manifest(request.records).window
    window = window if request.context is None else min(window, request.context)
    needed = estimate_bytes(model, window, request.batch) + records_bytes(request.records, layers)
    budget = request.memory_gb * GIB if request.memory_gb is not None else available_bytes()
    if needed > budget:
        raise N2GError(
            f"the measurement needs about {needed / GIB:.2f} GiB (a records file and a pass of "
            f"{request.batch} windows of {window} tokens), more than the {budget / GIB:.2f} GiB "
            "available: lower --batch, or give --memory-gb"
        )


def check_records(request: AblationRequest, layers: list[int]) -> None:
    from n2g.record.store import load_manifest
    from n2g.run.ablation_texts import records_bytes

    manifest = load_manifest(request.records)
    if manifest.model != request.model:
        raise N2GError(f"records in {request.records} are of {manifest.model}, not {request.model}")
    if manifest.unit_set_spec is not None:
        raise N2GError(f"records in {request.records} hold latents, not the model's neurons")
    records_bytes(request.records, layers)


def ablate(
    db: Database | None, request: AblationRequest, model: NeuronModel | None = None
) -> SetAblation:
    """Measure the request (see the module docstring); a group's result is stored on it.
    `db` may be None only for `units`; `model`: already loaded (else loaded by name)."""
    from n2g.models.group_ablation import measure_set
    from n2g.run.ablation_texts import control_texts, firing_texts

    units = resolve_units(db, request)
    layers = sorted({layer for layer, _ in units})
    check_records(request, layers)
    if model is None:
        from n2g.models import load_model

        model = load_model(request.model, device=request.device, dtype=request.dtype)
    elif model.name != request.model:
        raise N2GError(f"the model given is {model.name}, not {request.model}")
    if model.loaded_layers < model.n_layers:
        raise N2GError("the loss needs the whole model: load it with every layer")
    check_memory(model, request, layers)
    for layer, neuron in units:
        if not 0 <= neuron < model.n_units or not 0 <= layer < model.n_layers:
            raise N2GError(f"{request.model} has no unit {neuron} of layer {layer}")
    texts = firing_texts(
        request.records,
        units,
        per_unit=request.per_unit,
        max_windows=request.windows,
        context=request.context,
    )
    control = control_texts(
        request.records,
        model.tokenizer,
        request.control,
        request.seed,
        request.control_corpus,
        request.context,
    )
    result = measure_set(
        model,
        units,
        texts.windows,
        texts.positions,
        control,
        mode=request.mode,
        n_random=request.random,
        held_out=texts.held_out,
        seed=request.seed,
        batch=request.batch,
        group=request.group,
        context=request.context,
    )
    if request.group is not None and db is not None:
        write_group_ablation(db, request.group, result)
    return result
