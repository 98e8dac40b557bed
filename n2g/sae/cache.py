"""Where trained SAEs are kept, and how a folder is known to be complete.

`<cache>/saes/<model name>/<spec name>/` holds SAELens' own format (cfg.json +
sae_weights.safetensors, written by `save_inference_model`, read by `SAE.load_from_disk`),
so any SAELens user can load it too (a transcoder is SAELens' "transcoder" architecture,
written by `save_model`), plus two n2g files: `quality.json` (n2g.sae.quality)
and `n2g_sae.json` (the manifest below: what it was trained on, how).

A folder is written in full under a temporary name beside it and renamed into place, so
an interrupted training leaves nothing that looks finished: the next call trains again.
The manifest lets a later call with different settings say so instead of silently
reusing an SAE trained otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from n2g.errors import N2GError
from n2g.files import write_folder_atomic
from n2g.paths import cache_dir as default_cache_dir
from n2g.sae.train import SAETrainConfig

MANIFEST = "n2g_sae.json"
SAELENS_FILES = ("cfg.json", "sae_weights.safetensors")


class TrainedSAEManifest(BaseModel):
    """How a cached SAE was made (n2g_sae.json)."""

    model_config = ConfigDict(extra="forbid")

    spec: str
    model: str
    hook_name: str
    hook_name_out: str | None = None  # a transcoder's target (None: an SAE's is its input)
    corpus: str
    config: SAETrainConfig
    trained_tokens: int
    seconds: float


def _safe(part: str) -> str:
    """One path component: local model names are absolute paths."""
    return part.strip("/").replace("/", "~") or "_"


def sae_folder(model_name: str, spec_name: str, cache_dir: Path | str | None = None) -> Path:
    """`<cache>/saes/<model name>/<spec name>/` (not created here)."""
    return default_cache_dir(cache_dir) / "saes" / _safe(model_name) / _safe(spec_name)


def is_complete(folder: Path) -> bool:
    """True when `folder` holds a finished SAE (SAELens files and the manifest)."""
    return all((folder / name).is_file() for name in (*SAELENS_FILES, MANIFEST))


def read_manifest(folder: Path) -> TrainedSAEManifest:
    try:
        return TrainedSAEManifest.model_validate_json((folder / MANIFEST).read_text("utf-8"))
    except (OSError, ValidationError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "invalid content"
        raise N2GError(
            f"cannot read {folder / MANIFEST}: {why}; delete {folder} to train again"
        ) from None


def write_atomically(folder: Path, fill: Callable[[Path], None]) -> None:
    """Call `fill(tmp)` on a fresh private folder beside `folder`, then rename it into
    place (replacing an unfinished `folder`; n2g.files.write_folder_atomic). On any error
    the temporary folder goes."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise N2GError(f"cannot write to {folder.parent}: {exc.strerror or exc}") from None
    try:
        write_folder_atomic(folder, fill, mode=0o755)  # private while filled; the cache is not
    except OSError as exc:
        raise N2GError(f"cannot write the SAE to {folder}: {exc.strerror or exc}") from None
