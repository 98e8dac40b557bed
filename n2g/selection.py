"""Which units a command works on: layers, neurons, and the pruned-context cap, parsed.

The same selections are typed on the command line, in benchmarks and in Python, so their
parsing is domain code, here, not part of the CLI: `bench/` and the library use it without
importing typer. Every parse error is an N2GError that names the option, in one line.
"""

from __future__ import annotations

from n2g.errors import N2GError

MAX_LAYER = 1023  # far beyond any real model's depth; a range is refused before it is listed


def parse_layer_choice(text: str) -> list[int] | None:
    """`parse_layers`, or None for "all": every layer of the model (or of the records)."""
    return None if text.strip().lower() == "all" else parse_layers(text)


def parse_layers(text: str) -> list[int]:
    """'0-3' -> [0, 1, 2, 3]; '0,2' -> [0, 2]; '1-2,5' -> [1, 2, 5]. N2GError names --layers."""
    bounds: list[tuple[int, int]] = []
    try:
        for part in text.split(","):
            low, dash, high = part.strip().partition("-")
            bounds.append((int(low), int(high) if dash else int(low)))
    except ValueError:
        raise N2GError(f"bad --layers {text!r}: use e.g. '0-3' or '0,2'") from None
    if any(low > high for low, high in bounds):
        raise N2GError(f"bad --layers {text!r}: a range goes up, e.g. '0-3'")
    if any(low < 0 or high > MAX_LAYER for low, high in bounds):
        raise N2GError(f"bad --layers {text!r}: layers are numbers from 0 to {MAX_LAYER}")
    return sorted({layer for low, high in bounds for layer in range(low, high + 1)})


def format_layers(layers: list[int]) -> str:
    """[0, 1, 2, 3] -> '0-3'; [0, 2] -> '0,2' (the form --layers accepts)."""
    runs: list[list[int]] = []
    for layer in sorted(layers):
        if runs and runs[-1][-1] == layer - 1:
            runs[-1].append(layer)
        else:
            runs.append([layer])
    return ",".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def max_context_override(text: str | None) -> dict[str, int | None]:
    """The config override `--max-context` asks for: none when not given."""
    return {} if text is None else {"max_context": parse_max_context(text)}


def parse_max_context(text: str) -> int | None:
    """`--max-context`: a number of tokens, or none (no cap)."""
    if text.strip().lower() == "none":
        return None
    try:
        return int(text)
    except ValueError:
        raise N2GError(f"--max-context must be a number of tokens or none, not {text!r}") from None


def parse_neurons(text: str) -> list[int]:
    """'0:32' (half-open range), '5', '1,7,9' -> neuron list."""
    try:
        if ":" in text:
            low, high = (int(p) for p in text.split(":"))
            neurons = list(range(low, high))
        else:
            neurons = sorted({int(p) for p in text.split(",")})
    except ValueError:
        raise N2GError(f"--neurons must look like 0:32 or 1,7,9, not {text!r}") from None
    if not neurons:
        raise N2GError(f"--neurons {text!r} selects no neuron")
    if neurons[0] < 0:
        raise N2GError(f"neuron {neurons[0]} is out of range: neuron indices start at 0")
    return neurons
