"""The number format a model runs in: float32, or bfloat16 where the hardware does it natively.

Why it matters: the builder is compute-bound (every pass is matrix products through the
model's layers), and on a CPU with AVX512-BF16 (or AMX) oneDNN runs a SmolLM2 forward pass
in bfloat16 4-5x faster than in float32 (whole builds 2-2.6x: `bench.fidelity` timings);
GPUs likewise. Activations move by 0.05-0.35% of a neuron's maximum on average in layers
0-10 (correlation with float32 > 0.999 through 20 layers), far below the 0.5 thresholds of
pruning, saliency and evaluation; graph quality is unchanged (`bench.fidelity --variants
default,default+bf16`). Where bfloat16 is emulated (older CPUs) it is slower than float32,
so "auto" picks it only where it is native.
"""

from __future__ import annotations

from typing import Literal, get_args

Dtype = Literal["auto", "float32", "bfloat16"]
Resolved = Literal["float32", "bfloat16"]
DTYPES: tuple[str, ...] = get_args(Dtype)
DEFAULT_DTYPE: Dtype = "auto"
DTYPE_HELP = (
    "number format of the model's passes: float32, bfloat16, or auto (bfloat16 where the "
    "CPU or GPU computes it natively, else float32)"
)


def native_bfloat16(device: str) -> bool:
    """Whether `device` computes bfloat16 matrix products natively (not emulated)."""
    import torch

    if device.startswith("cuda"):
        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    if device != "cpu":
        return False
    cpu = torch.cpu
    return bool(cpu._is_avx512_bf16_supported() or cpu._is_amx_tile_supported())


def resolve_dtype(dtype: str, device: str) -> Resolved:
    """The concrete format for `dtype` on `device` ("auto" decided by the hardware)."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, not {dtype!r}")
    if dtype == "auto":
        return "bfloat16" if native_bfloat16(device) else "float32"
    return "bfloat16" if dtype == "bfloat16" else "float32"
