"""SAE and transcoder latents as ends of FEEDS edges (`n2g feeds --sae SPEC --transcoder SPEC`).

Every unit taking part is one of a list of UnitLayers: each stored layer's neurons and each
given unit set's stored latents. The 'weights' and 'data' sources then rank each unit's
feeders among all the units that write into the residual stream before it reads
(UnitLayer.reads_at / writes_at), neurons and latents alike, so a latent feeds later
neurons and latents and is fed by earlier ones:

- 'weights': the virtual weight of a write direction (a neuron's W_out row, a latent's
  decoder row) and a read direction (a neuron's W_in column, a transcoder's encoder column
  with ln2 folded, an SAE's encoder column on the residual stream), n2g.models.
  virtual_weights; an SAE that does not read the residual stream (on the MLP's output)
  has no read direction and is only a feeder there;
- 'data': n2g.models.latent_attribution (activation x gradient with the dictionaries
  spliced in; a transcoder fed by an earlier transcoder by the exact direct contribution).

Which latents are stored is asked before the model loads (the store decides, as for
neurons), and what the user can get wrong is told in one line: a unit set with no stored
latents, or stored for another model, or a transcoder given as --sae (and the reverse).
The evidence source and the ablation check stay with neurons.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from n2g.circuits.windows import DEFAULT_CROP, unit_windows
from n2g.db.connection import Database
from n2g.errors import N2GError
from n2g.graph.key import SAE_PREFIX, TRANSCODER_PREFIX
from n2g.models.base import NeuronModel
from n2g.models.latent_attribution import latent_attribution, top_feeders
from n2g.models.logit_lens import write_directions
from n2g.models.virtual_weights import UnitLayer, feeds, read_directions
from n2g.record.store import load_layer, load_manifest
from n2g.resources import read_cypher
from n2g.sae.spec import parse_sae_spec

if TYPE_CHECKING:
    from n2g.sae.units import SAEUnits

Rows = list[dict[str, object]]
Progress = Callable[[str, int, int, int], None]  # (source, layer, units, edges)


@dataclass(frozen=True)
class StoredSet:
    """A unit set given on the command line, as the store holds it for the model."""

    spec: str
    transcoder: bool
    name: str  # `sae:NAME` or `tc:NAME`
    layer: int
    indices: list[int]


def base_name(spec: str) -> str:
    """The name a spec's latents are stored under, without its kind's prefix."""
    return parse_sae_spec(spec).name.split(":", 1)[1]


def _kind(transcoder: bool) -> tuple[str, str, str]:
    """The prefix, the article + word and the flag of a kind."""
    if transcoder:
        return TRANSCODER_PREFIX, "a transcoder", "--transcoder"
    return SAE_PREFIX, "an SAE", "--sae"


def stored_sets(db: Database, model: str, given: Sequence[tuple[str, bool]]) -> list[StoredSet]:
    """Each (spec, transcoder) given, with the latents `model` has stored of it; N2GError
    when it has none (naming the models that do), or they are of the other kind."""
    found: list[StoredSet] = []
    for spec, transcoder in given:
        base = base_name(spec)
        names = [SAE_PREFIX + base, TRANSCODER_PREFIX + base]
        held: dict[tuple[str, str], list[dict[str, object]]] = defaultdict(list)
        for row in db.read(read_cypher("queries", "feeds_latents"), {"unit_sets": names}):
            held[(str(row["model"]), str(row["unit_set"]))].append(row)
        prefix, _, flag = _kind(transcoder)
        _, other_what, other_flag = _kind(not transcoder)
        name, other = prefix + base, _kind(not transcoder)[0] + base
        if (model, name) in held:
            rows = held[(model, name)]
            layer = int(str(rows[0]["layer"]))
            indices = [int(str(r["index"])) for r in rows]
            found.append(StoredSet(spec, transcoder, name, layer, indices))
            continue
        if (model, other) in held:
            raise N2GError(
                f"{flag} {spec}: its stored latents are {other_what}'s: give it as {other_flag}"
            )
        models = sorted({m for m, _ in held})
        if models:
            raise N2GError(
                f"{flag} {spec}: its latents are stored for {', '.join(models)}, not {model}"
            )
        raise N2GError(
            f"{flag} {spec}: no latents of it stored for {model} (build and ingest them "
            f"first: n2g run -m {model} {flag} {spec})"
        )
    return found


def load_parts(
    model: NeuronModel, sets: Sequence[StoredSet], load: Callable[[str, bool], SAEUnits]
) -> list[UnitLayer]:
    """Each stored set's latents as a UnitLayer; `load(spec, transcoder)` loads its
    dictionary (n2g.stages: the kind checked) and must give the stored name."""
    parts = []
    for stored in sets:
        units = load(stored.spec, stored.transcoder)
        if units.name != stored.name:
            raise N2GError(
                f"{stored.spec} loads as {units.name}, but its stored latents are {stored.name}"
            )
        parts.append(UnitLayer(model.with_units(units), stored.layer, stored.indices))
    return parts


def neuron_parts(model: NeuronModel, units: Mapping[int, Sequence[int]]) -> list[UnitLayer]:
    return [UnitLayer(model, layer, list(idx)) for layer, idx in sorted(units.items())]


def check_upstream(parts: Sequence[UnitLayer]) -> None:
    """N2GError when no unit taking part has another that writes before it reads."""
    if not any(s.writes_at < t.reads_at for t in parts for s in parts):
        raise N2GError(
            "nothing upstream to link: no stored unit writes before another reads "
            "(give layers or unit sets before the others)"
        )


def records_by_set(folders: Sequence[Path], model: str) -> dict[str | None, Path]:
    """The records folders by the unit set they recorded (its base name; None: neurons);
    N2GError for another model's records or two folders of one unit set."""
    out: dict[str | None, Path] = {}
    for folder in folders:
        manifest = load_manifest(folder)
        if manifest.model != model:
            raise N2GError(f"--records {folder} holds records of {manifest.model}, not {model}")
        spec = manifest.unit_set_spec
        key = base_name(spec) if spec else None
        if key in out:
            raise N2GError(f"--records {out[key]} and {folder} record the same units")
        out[key] = folder
    return out


def check_records(
    sets: Sequence[StoredSet], neurons: bool, by_set: Mapping[str | None, Path]
) -> None:
    """N2GError unless the data source has the records of every unit set taking part (the
    neurons' when `neurons`): a unit's windows come from its records, and a set taking
    part without them would have no data edges into it while the others were replaced."""
    if neurons and None not in by_set:
        raise N2GError(
            "the data source needs the neurons' records too (their folder as one more "
            "--records): the data source reads each unit's windows from its records"
        )
    for stored in sets:
        if base_name(stored.spec) not in by_set:
            raise N2GError(
                f"the data source needs the records of {stored.name} (give its records "
                "folder with one more --records)"
            )


def _set_key(part: UnitLayer) -> str | None:
    name = part.model.unit_set
    return name.split(":", 1)[1] if name else None


def weights_rows(
    parts: Sequence[UnitLayer], k: int, done: Progress | None = None
) -> tuple[Rows, list[str]]:
    """'weights' rows of every part's units that reads the residual stream, fed by every
    part that writes into it; and the keys of the units scored (their old edges go)."""
    writers = [p for p in parts if write_directions(p.model, p.layer, p.indices()[:1]) is not None]
    readers = [p for p in parts if read_directions(p.model, p.layer, p.indices()[:1]) is not None]
    rows: Rows = []
    scored: list[str] = []
    for target in readers:
        if any(w.writes_at < target.reads_at for w in writers):
            scored.extend(target.key(unit) for unit in target.indices())
        found = [e.as_row() for e in feeds(writers, k, targets=[target])]
        rows.extend(found)
        if done is not None and found:
            done("weights", target.layer, len(target.indices()), len(found))
    return rows, scored


def data_rows(
    model: NeuronModel,
    parts: Sequence[UnitLayer],
    records: Mapping[str | None, Path],
    k: int,
    crop: int = DEFAULT_CROP,
    done: Progress | None = None,
) -> tuple[Rows, list[str]]:
    """'data' rows of every part whose records are given, on its units' train windows
    (units that never fire there get no feeders); and the keys of the units scored."""
    rows: Rows = []
    scored: list[str] = []
    for target in parts:
        sources = [p for p in parts if p.writes_at < target.reads_at]
        folder = records.get(_set_key(target))
        if not sources or folder is None:
            continue
        scored.extend(target.key(unit) for unit in target.indices())
        layer_records = load_layer(folder, target.layer)
        jobs = [(u, unit_windows(layer_records, u, crop=crop).train) for u in target.indices()]
        jobs = [(u, w) for u, w in jobs if w]
        found = latent_attribution(model, target, jobs, sources)
        before = len(rows)
        for scores in found:
            if scores is None:
                continue
            for rank, (key, weight) in enumerate(top_feeders(sources, scores, k)):
                row = {"source": key, "target": target.key(scores.unit), "weight": weight}
                rows.append(row | {"rank": rank})
        if done is not None:
            done("data", target.layer, len(jobs), len(rows) - before)
    return rows, scored
