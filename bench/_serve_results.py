"""The results of bench/serve.py: figures of one scenario, one result a scenario, the table.

Separate from the driver so that it reads as setup, scenarios and the run; the names of
the servers (n2g, today, plain) become the prefixes of their figures in the results JSON.
"""

from __future__ import annotations

import argparse
from typing import Any

from bench._common import BenchResult
from bench._http_load import Measured

GOALS_MS = {"unit page": 50.0, "unit api": 50.0, "search": 100.0}


def _ms(value: float) -> float:
    return round(value, 2)


def figures(m: Measured) -> dict[str, Any]:
    return {
        "p50_ms": _ms(m.percentile(0.50)),
        "p95_ms": _ms(m.percentile(0.95)),
        "p99_ms": _ms(m.percentile(0.99)),
        "requests_per_s": round(m.rps, 1),
        "requests": m.requests,
        "non_200": m.failures,
        "mean_response_kb": round(m.body_bytes / max(m.requests, 1) / 1024, 1),
        "load_generator_cpu_pct": round(100 * m.client_cpu_s / m.seconds, 1) if m.seconds else 0,
    }


PREFIXES = {"n2g": "", "today": "today_", "plain": "plain_"}


def bench_results(
    args: argparse.Namespace,
    results: dict[tuple[str, str, str], Measured],
    scenarios: list[str],
    names: list[str],
    setup: dict[str, Any],
) -> list[BenchResult]:
    """One result a scenario: n2g's popular p95 beside the plain app's (today's when the
    plain app was not run); every server's figures as extras."""
    baseline = "plain" if "plain" in names else "today"
    out = []
    for scenario in scenarios:
        what = "units" if scenario != "search" else "tokens"
        n2g = results[("n2g", "popular", scenario)]
        goal = GOALS_MS[scenario]
        extra: dict[str, Any] = {
            "popular_means": f"{what} drawn "
            + (
                "Zipf-like over all units (rank r ∝ 1/(r+1))"
                if what == "units"
                else "as often as units fire on them"
            ),
            "cold_means": f"each request a {what[:-1]} no earlier request to that server asked for",
            "baseline": baseline,
            "goal_p95_ms": goal,
            "goal_met": n2g.percentile(0.95) < goal,
            "goal_met_cold": results[("n2g", "cold", scenario)].percentile(0.95) < goal,
        }
        for name in names:
            prefix = PREFIXES[name]
            for mode, infix in (("popular", ""), ("cold", "cold_")):
                figures_of = figures(results[(name, mode, scenario)])
                extra.update({f"{prefix}{infix}{k}": v for k, v in figures_of.items()})
        if "today" in names:
            extra["ratio_vs_today"] = round(
                results[("today", "popular", scenario)].percentile(0.95)
                / max(n2g.percentile(0.95), 1e-9),
                2,
            )
        extra.update(setup)
        out.append(
            BenchResult(
                name=f"serve: {scenario} p95 ({args.clients} clients)",
                unit="ms",
                figure=_ms(n2g.percentile(0.95)),
                plain_figure=_ms(results[(baseline, "popular", scenario)].percentile(0.95)),
                higher_is_better=False,
                quick=args.quick,
                extra=extra,
            )
        )
    return out


def table(results: list[BenchResult]) -> str:
    header = (
        f"{'scenario':<10} {'':<6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8}"
        f" | {'cold p50':>8} {'cold p95':>8} {'cold req/s':>10}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        scenario = r.name.split(": ", 1)[1].split(" p95")[0]
        for label, p in PREFIXES.items():
            e = r.extra
            if p + "p50_ms" not in e:
                continue
            lines.append(
                f"{scenario:<10} {label:<6} {e[p + 'p50_ms']:>8.1f} {e[p + 'p95_ms']:>8.1f}"
                f" {e[p + 'p99_ms']:>8.1f} {e[p + 'requests_per_s']:>8.1f}"
                f" | {e[p + 'cold_p50_ms']:>8.1f} {e[p + 'cold_p95_ms']:>8.1f}"
                f" {e[p + 'cold_requests_per_s']:>10.1f}"
            )
    return "\n".join(lines)
