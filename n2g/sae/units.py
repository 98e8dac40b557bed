"""SAE and transcoder latents as units: scalar functions of one hook point, beside neurons.

`SAEUnits` is all the rest of n2g needs of an SAE, a unit set in n2g's vocabulary
(n2g.graph.key): its name (`sae:NAME`), which hook to read (`hook_name`, in block `layer`),
how many latents (`n_units`: SAELens' d_sae), and `encode`, which turns the hook's
activations into the latents' activations. It wraps a loaded SAELens `SAE`, whatever its
architecture, so that SAEs trained here, saved by SAELens users, or published in SAELens'
registry all read the same. A transcoder is one more such architecture: it reads the
MLP's input and its decoder predicts another hook (`hook_name_out`, the MLP's output);
explaining its latents needs only the hook it reads, so it flows through every stage as an
SAE does, under a `tc:` name instead of `sae:`.

`load_units` gets one from its spec (n2g.sae.spec): a `path:` folder through SAELens'
`SAE.load_from_disk`, a `release:` through `SAE.from_pretrained` (the hub), and an
`L<layer>-<site>-<N>x` spec from the cache, training it there first if it is not yet
(n2g.sae.train, n2g.sae.transcoder for `L<layer>-tc-<N>x`; quality measured on held-out
windows, n2g.sae.quality). Every failure a
user can cause is a one-line N2GError.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from n2g.errors import N2GError
from n2g.files import write_text_atomic
from n2g.graph.key import SAE_PREFIX, TRANSCODER_PREFIX
from n2g.record.config import DEFAULT_CORPUS
from n2g.record.corpus import Corpus, CorpusConfig, open_corpus, windows
from n2g.sae import cache
from n2g.sae.quality import SAEQuality, load_quality, measure_quality, save_quality
from n2g.sae.spec import (
    PathSAESpec,
    ReleaseSAESpec,
    SAESpec,
    TrainedSAESpec,
    TrainedTranscoderSpec,
    parse_sae_spec,
)
from n2g.sae.train import SAETrainConfig

if TYPE_CHECKING:
    import torch

    from n2g.models.base import NeuronModel


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line if len(line) <= 200 else line[:199] + "…"


def _kind_name(name: str, transcoder: bool) -> str:
    """`name` with the prefix of its kind (a `path:` spec is named before it is opened)."""
    prefix = TRANSCODER_PREFIX if transcoder else SAE_PREFIX
    for known in (SAE_PREFIX, TRANSCODER_PREFIX):
        if name.startswith(known):
            return prefix + name.removeprefix(known)
    return prefix + name


@dataclass
class SAEUnits:
    """The latents of one SAE or transcoder, read from one hook of the model."""

    name: str
    hook_name: str
    layer: int
    d_in: int
    n_units: int  # the latents (SAELens' d_sae)
    sae: Any  # a sae_lens SAE (inference form; a Transcoder for transcoders)
    folder: Path | None = None
    quality: SAEQuality | None = None
    spec: str = ""  # the spec it was loaded from (records name it, so builds reload it)
    transcoder: bool = False
    hook_name_out: str | None = None  # a transcoder's target, when its metadata says it
    d_out: int | None = None  # a transcoder's output width

    @property
    def kind(self) -> str:
        """ "transcoder" or "SAE", for the messages and the report."""
        return "transcoder" if self.transcoder else "SAE"

    @classmethod
    def from_sae(cls, name: str, sae: Any, folder: Path | None = None) -> SAEUnits:
        """Units of a loaded SAELens SAE or transcoder; its hooks come from its metadata."""
        from sae_lens import Transcoder

        from n2g.sae.acts import hook_layer

        hook_name = sae.cfg.metadata.hook_name
        if not isinstance(hook_name, str) or not hook_name:
            raise N2GError(f"SAE {name} has no hook_name in its metadata (cfg.json)")
        if getattr(sae.cfg, "reshape_activations", "none") != "none":
            raise N2GError(f"SAE {name} reads attention heads ({hook_name}): not supported yet")
        transcoder = isinstance(sae, Transcoder)
        hook_out = sae.cfg.metadata.hook_name_out if transcoder else None
        hook_out = hook_out if isinstance(hook_out, str) and hook_out else None
        if hook_out is not None and hook_layer(hook_out) != hook_layer(hook_name):
            raise N2GError(
                f"transcoder {name} reads {hook_name} but writes {hook_out}: n2g explains "
                "transcoders within one block"
            )
        sae.eval()
        return cls(
            name=_kind_name(name, transcoder),
            hook_name=hook_name,
            layer=hook_layer(hook_name),
            d_in=int(sae.cfg.d_in),
            n_units=int(sae.cfg.d_sae),
            sae=sae,
            folder=folder,
            quality=load_quality(folder) if folder is not None else None,
            transcoder=transcoder,
            hook_name_out=hook_out,
            d_out=int(sae.cfg.d_out) if transcoder else None,
        )

    def _parameter(self) -> torch.Tensor:
        return next(self.sae.parameters())

    def encode(self, acts: torch.Tensor) -> torch.Tensor:
        """float32 [..., n_units] latent activations of hook activations [..., d_in], on the
        input's device (the SAE's encoder output: what n2g explains)."""
        import torch

        if acts.shape[-1] != self.d_in:
            raise ValueError(f"{self.name} reads {self.d_in}-wide activations, not {acts.shape}")
        weight = self._parameter()
        with torch.no_grad():
            latents = self.sae.encode(acts.to(weight.device, weight.dtype))
        return latents.to(acts.device, torch.float32)

    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        """float32 [..., d_in] reconstruction of the hook from latents [..., n_units] (a
        transcoder's prediction of its target, [..., d_out])."""
        import torch

        weight = self._parameter()
        with torch.no_grad():
            recon = self.sae.decode(latents.to(weight.device, weight.dtype))
        return recon.to(latents.device, torch.float32)


def _check_width(units: SAEUnits, model: NeuronModel) -> SAEUnits:
    from n2g.sae.acts import check_hook, hook_width

    hooks = [(units.hook_name, units.d_in, "reads")]
    if units.hook_name_out is not None and units.d_out is not None:
        hooks.append((units.hook_name_out, units.d_out, "writes"))
    for hook, expected, verb in hooks:
        check_hook(model, hook)
        width = hook_width(model, hook)
        if width != expected:
            raise N2GError(
                f"{units.kind} {units.name} {verb} {expected}-wide activations but {hook} "
                f"of {model.name} is {width} wide: it was trained on another model"
            )
    return units


def _load_folder(name: str, folder: Path, device: str) -> SAEUnits:
    from sae_lens import SAE

    if not (folder / "cfg.json").is_file():
        raise N2GError(f"no SAE in {folder}: SAELens' cfg.json is missing")
    try:
        sae = SAE.load_from_disk(str(folder), device=device)
    except Exception as exc:  # any SAELens/safetensors failure: one line for the user
        raise N2GError(f"cannot load the SAE in {folder}: {_first_line(exc)}") from None
    return SAEUnits.from_sae(name, sae, folder)


def _load_release(spec: ReleaseSAESpec, device: str) -> SAEUnits:
    from sae_lens import SAE

    try:
        sae = SAE.from_pretrained(spec.release, spec.sae_id, device=device)
    except Exception as exc:  # registry, hub and network failures
        raise N2GError(
            f"cannot load SAE {spec.release}/{spec.sae_id} through SAELens (it needs the "
            f"Hugging Face hub): {_first_line(exc)}"
        ) from None
    return SAEUnits.from_sae(spec.name, sae)


def _open(corpus: str | CorpusConfig | Corpus | None, cache_dir: Path | None) -> Corpus:
    if isinstance(corpus, Corpus):
        return corpus
    if isinstance(corpus, CorpusConfig):
        return open_corpus(corpus)
    return open_corpus(CorpusConfig(spec=corpus or DEFAULT_CORPUS, cache_dir=cache_dir))


def _check_manifest(
    folder: Path, corpus: Corpus | None, config: SAETrainConfig | None
) -> cache.TrainedSAEManifest:
    """The cached SAE's manifest; an error when the caller asked for other settings."""
    manifest = cache.read_manifest(folder)
    again = f"delete {folder} to train it again, or leave them out to reuse it"
    if corpus is not None and corpus.name != manifest.corpus:
        raise N2GError(
            f"the cached SAE was trained on {manifest.corpus}, not {corpus.name}: {again}"
        )
    if config is not None and config != manifest.config:
        raise N2GError(f"the cached SAE was trained with other settings: {again}")
    return manifest


def _train_into(
    folder: Path,
    spec: TrainedSAESpec | TrainedTranscoderSpec,
    model: NeuronModel,
    corpus: Corpus,
    config: SAETrainConfig,
    progress: bool,
) -> None:
    """Train, save (SAELens format), measure quality, write the manifest, atomically."""
    from sae_lens import SAE

    from n2g.sae import train, transcoder
    from n2g.sae.acts import chunks, hooks_activations

    def held_out() -> Iterator[list[int]]:
        stream = windows(corpus, model, config.context, max_windows=config.eval_windows)
        return (ids for _, ids in stream)

    def training() -> Iterator[list[int]]:
        stream = itertools.islice(windows(corpus, model, config.context), config.eval_windows, None)
        return (ids for _, ids in stream)

    if sum(1 for _ in held_out()) < config.eval_windows:
        raise N2GError(
            f"corpus {corpus.name} has fewer than {config.eval_windows} windows of "
            f"{config.context} tokens to hold out, and more are needed for training"
        )

    def fill(tmp: Path) -> None:
        started = time.perf_counter()
        hooks = [spec.hook_name]
        if isinstance(spec, TrainedTranscoderSpec):
            hooks.append(spec.hook_name_out)
            trained = transcoder.train_transcoder(spec, model, training, config, progress=progress)
            trained.save_model(str(tmp))
        else:
            trained = train.train_sae(spec, model, training, config, progress=progress)
            trained.save_inference_model(str(tmp))
        units = SAEUnits.from_sae(spec.name, SAE.load_from_disk(str(tmp), device="cpu"))
        batches = chunks(held_out(), config.windows_per_pass)
        pairs = (hooks_activations(model, hooks, chunk) for chunk in batches)
        save_quality(tmp, measure_quality(units, pairs))
        manifest = cache.TrainedSAEManifest(
            spec=spec.text,
            model=model.name,
            hook_name=spec.hook_name,
            hook_name_out=hooks[1] if len(hooks) > 1 else None,
            corpus=corpus.name,
            config=config,
            trained_tokens=config.steps * config.batch_size,
            seconds=round(time.perf_counter() - started, 3),
        )
        write_text_atomic(tmp / cache.MANIFEST, manifest.model_dump_json(indent=2) + "\n")

    cache.write_atomically(folder, fill)


def load_units(
    spec: str | SAESpec,
    model: NeuronModel,
    *,
    cache_dir: Path | str | None = None,
    corpus: str | CorpusConfig | Corpus | None = None,
    train_config: SAETrainConfig | None = None,
    progress: bool = True,
) -> SAEUnits:
    """The units of SAE (or transcoder) `spec` on `model`.

    An `L<layer>-<site>-<N>x` (or `L<layer>-tc-<N>x`) spec is trained once on `corpus`
    (default: python-docs) with `train_config` (default: SAETrainConfig()) and cached in
    `<cache>/saes/<model>/<name>/`; later calls load it. Passing a corpus or config other
    than the cached SAE's is an error rather than a silent reuse. `corpus` and
    `train_config` are unused for `path:` and `release:` specs. The SAE's input width must
    match the model's hook (a transcoder's output width, its target hook's).
    """
    parsed = parse_sae_spec(spec)
    return replace(
        _load(parsed, model, cache_dir, corpus, train_config, progress), spec=parsed.text
    )


def _load(
    parsed: SAESpec,
    model: NeuronModel,
    cache_dir: Path | str | None,
    corpus: str | CorpusConfig | Corpus | None,
    train_config: SAETrainConfig | None,
    progress: bool,
) -> SAEUnits:
    root = Path(cache_dir).expanduser() if cache_dir is not None else None
    if isinstance(parsed, PathSAESpec):
        folder = parsed.folder.expanduser()
        if not folder.is_dir():
            raise N2GError(f"SAE folder {folder} not found")
        return _check_width(_load_folder(parsed.name, folder, model.device), model)
    if isinstance(parsed, ReleaseSAESpec):
        return _check_width(_load_release(parsed, model.device), model)
    folder = cache.sae_folder(model.name, parsed.name, root)
    opened = _open(corpus, root) if corpus is not None else None
    if not cache.is_complete(folder):
        config = train_config or SAETrainConfig()
        from n2g.sae.acts import check_context, check_hook

        for hook in (parsed.hook_name, getattr(parsed, "hook_name_out", parsed.hook_name)):
            check_hook(model, hook)  # before opening (maybe fetching) the corpus
        check_context(model, config.context)
        source = opened or _open(None, root)
        _train_into(folder, parsed, model, source, config, progress)
    else:
        _check_manifest(folder, opened, train_config)
    return _check_width(_load_folder(parsed.name, folder, model.device), model)
