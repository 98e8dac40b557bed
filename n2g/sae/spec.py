"""Unit-set specs: the `--sae SPEC` strings that name a sparse autoencoder or a transcoder.

Three forms, one per source:

- `L<layer>-<site>-<expansion>x[-topk<k>]` (`L3-mlp-8x`, `L5-resid-4x-topk32`): an SAE that
  n2g trains itself (offline) on the model's `blocks.<layer>.hook_mlp_out` (site `mlp`) or
  `blocks.<layer>.hook_resid_post` (site `resid`), with expansion x d_model latents; a
  standard ReLU SAE with an L1 penalty, or SAELens' TopK architecture with `-topk<k>`;
  site `tc` (`L3-tc-8x`) names a *transcoder* instead: it reads the MLP's input
  (`blocks.<layer>.ln2.hook_normalized`) and is trained to predict the MLP's output
  (`blocks.<layer>.hook_mlp_out`); ReLU + L1 only, as SAELens has no TopK transcoder to
  save it as;
- `path:<folder>`: an SAE or transcoder saved in SAELens' format (cfg.json +
  sae_weights.safetensors; the cfg's architecture says which);
- `release:<release>/<sae_id>` (`release:gpt2-small-res-jb/blocks.8.hook_resid_pre`): a
  pretrained SAE from SAELens' registry, downloaded from the Hugging Face hub.

Each spec has a short stable `name` ("sae:L3-mlp-8x", "tc:L3-tc-8x") that goes into unit
keys (`smollm2-135m/sae:L3-mlp-8x/1234`) and cache folders; keys use `/` as their
separator, so a name never contains one. The prefix is the kind of unit set: a `path:` or
`release:` spec is named `sae:` here and `tc:` once loading finds a transcoder (its
architecture is in the folder, and parsing reads no file). Parsing is pure (no file or
network access): whether a folder or release exists is checked when the SAE is loaded
(n2g.sae.units).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from n2g.errors import N2GError

SITES = {"mlp": "hook_mlp_out", "resid": "hook_resid_post"}
TRANSCODER_SITE = "tc"
# A transcoder's input: the MLP's input as transformer_lens names it in every block with a
# pre-MLP norm (LN, RMS, and their folded `Pre` forms; `hook_mlp_in` exists only with
# use_hook_mlp_in). SAELens' own transcoder releases read this hook too.
TRANSCODER_IN = "ln2.hook_normalized"
TRANSCODER_OUT = "hook_mlp_out"
_TRAINED = re.compile(r"L(\d+)-([a-z]+)-(\d+)x(?:-topk(\d+))?", re.IGNORECASE)
_FORMS = (
    "L<layer>-<mlp|resid>-<expansion>x[-topk<k>] (e.g. L3-mlp-8x), L<layer>-tc-<expansion>x "
    "(a transcoder), path:<folder>, "
    "or release:<release>/<sae_id>"
)


class _Spec(BaseModel, ABC):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @property
    @abstractmethod
    def name(self) -> str:
        """The short stable name used in unit keys and cache folders."""

    @property
    @abstractmethod
    def text(self) -> str:
        """The canonical spec string (parses back to an equal spec)."""

    @property
    def known_layer(self) -> int | None:
        """The hook's layer when the spec itself says it (before any SAE is loaded)."""
        return None

    def __str__(self) -> str:
        return self.text


class TrainedSAESpec(_Spec):
    """An SAE trained by n2g on one hook of the model (cached once trained)."""

    kind: Literal["trained"] = "trained"
    layer: int = Field(ge=0, description="block index of the hook")
    site: Literal["mlp", "resid"] = Field(description="mlp: hook_mlp_out; resid: hook_resid_post")
    expansion: int = Field(ge=1, le=1024, description="latents per model dimension")
    topk: int | None = Field(default=None, ge=1, description="TopK's k; None: ReLU + L1")

    @property
    def known_layer(self) -> int | None:
        return self.layer

    @property
    def hook_name(self) -> str:
        return f"blocks.{self.layer}.{SITES[self.site]}"

    @property
    def architecture(self) -> Literal["standard", "topk"]:
        return "standard" if self.topk is None else "topk"

    @property
    def text(self) -> str:
        suffix = f"-topk{self.topk}" if self.topk is not None else ""
        return f"L{self.layer}-{self.site}-{self.expansion}x{suffix}"

    @property
    def name(self) -> str:
        return f"sae:{self.text}"


class TrainedTranscoderSpec(_Spec):
    """A transcoder trained by n2g on one block's MLP: from its input to its output."""

    kind: Literal["transcoder"] = "transcoder"
    layer: int = Field(ge=0, description="block index of the MLP")
    expansion: int = Field(ge=1, le=1024, description="latents per model dimension")

    @property
    def known_layer(self) -> int | None:
        return self.layer

    @property
    def hook_name(self) -> str:
        """What the transcoder reads (its latents are functions of this hook)."""
        return f"blocks.{self.layer}.{TRANSCODER_IN}"

    @property
    def hook_name_out(self) -> str:
        """What it is trained to predict."""
        return f"blocks.{self.layer}.{TRANSCODER_OUT}"

    @property
    def text(self) -> str:
        return f"L{self.layer}-{TRANSCODER_SITE}-{self.expansion}x"

    @property
    def name(self) -> str:
        return f"tc:{self.text}"


class PathSAESpec(_Spec):
    """An SAE saved in SAELens' format in a local folder (its hook is in its metadata)."""

    kind: Literal["path"] = "path"
    folder: Path

    @property
    def text(self) -> str:
        return f"path:{self.folder}"

    @property
    def name(self) -> str:
        # The folder's own name; resolved so that `path:.` is named after the real folder.
        return f"sae:{self.folder.expanduser().resolve().name}"


class ReleaseSAESpec(_Spec):
    """A pretrained SAE of SAELens' registry (`SAE.from_pretrained`: needs the hub)."""

    kind: Literal["release"] = "release"
    release: str = Field(min_length=1, pattern=r"^[^/\s]+$")
    sae_id: str = Field(min_length=1, pattern=r"^\S+$")

    @property
    def text(self) -> str:
        return f"release:{self.release}/{self.sae_id}"

    @property
    def name(self) -> str:
        return f"sae:{self.release}:{self.sae_id.replace('/', '~')}"


SAESpec = Annotated[
    TrainedSAESpec | TrainedTranscoderSpec | PathSAESpec | ReleaseSAESpec,
    Field(discriminator="kind"),
]
_PARSED = (TrainedSAESpec, TrainedTranscoderSpec, PathSAESpec, ReleaseSAESpec)


def _bad(text: str, why: str) -> N2GError:
    return N2GError(f"bad SAE spec {text!r}: {why}; use {_FORMS}")


def parse_sae_spec(
    text: str | TrainedSAESpec | TrainedTranscoderSpec | PathSAESpec | ReleaseSAESpec,
) -> SAESpec:
    """The validated spec of `text`; a bad spec is a one-line N2GError naming the forms."""
    if isinstance(text, _PARSED):
        return text
    raw = text.strip()
    if not raw:
        raise _bad(text, "it is empty")
    try:
        if raw.startswith("path:"):
            folder = raw.removeprefix("path:").strip()
            if not folder:
                raise _bad(text, "path: needs a folder")
            spec: SAESpec = PathSAESpec(folder=Path(folder))
            if spec.name == "sae:":
                raise _bad(text, "the folder has no name (give the SAE's own folder)")
            return spec
        if raw.startswith("release:"):
            release, slash, sae_id = raw.removeprefix("release:").partition("/")
            if not slash or not release or not sae_id:
                raise _bad(text, "release: needs <release>/<sae_id>")
            return ReleaseSAESpec(release=release, sae_id=sae_id)
        match = _TRAINED.fullmatch(raw)
        if match is None:
            raise _bad(text, "unknown form")
        layer, site, expansion, topk = match.groups()
        if site.lower() == TRANSCODER_SITE:
            if topk is not None:
                raise _bad(text, "a transcoder is ReLU + L1 (SAELens has no TopK transcoder)")
            return TrainedTranscoderSpec(layer=int(layer), expansion=int(expansion))
        if site.lower() not in SITES:
            raise _bad(text, f"site {site!r} is not one of {', '.join([*SITES, 'tc'])}")
        return TrainedSAESpec(
            layer=int(layer),
            site=site.lower(),  # checked against SITES above
            expansion=int(expansion),
            topk=int(topk) if topk is not None else None,
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"])
        raise _bad(text, f"{field} {error['msg'].lower()}") from None
