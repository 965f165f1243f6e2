"""`python -m bench [--json] [--only NAME ...]`: each figure beside its target.

Benchmarks are not tests: they measure on this machine and say whether each
figure meets the target set in the issue that asked for it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from bench.figures import BIG_STORE, FIGURES, Figure
from bench.image import HOW as IMAGE_HOW
from bench.image import IMAGE_FIGURES
from bench.office import OFFICE_FIGURES
from bench.refunds import REFUND_FIGURES
from bench.tables import TABLE_FIGURES
from bench.ui import UI_FIGURES
from bench.update import UPDATE_FIGURES

#: measured only when named with --only (they boot VMs for minutes)
ON_REQUEST = {f.name for f in UPDATE_FIGURES}


def _run(fig: Figure, work: Path) -> dict:
    try:
        value = fig.measure(work)
    except Exception as e:  # a benchmark that breaks reports it, the others go on
        return {
            "value": None,
            "target": fig.target,
            "unit": fig.unit,
            "ok": False,
            "error": repr(e),
        }
    ok = value <= fig.target if fig.lower_is_better else value >= fig.target
    return {"value": round(value, 4), "target": fig.target, "unit": fig.unit, "ok": ok}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench")
    p.add_argument("--json", action="store_true")
    p.add_argument("--only", nargs="*", help="names of the figures to measure")
    a = p.parse_args(argv)
    metrics = {}
    # the image figures build and boot disk images (root, minutes): only when named
    images = [f for f in IMAGE_FIGURES if a.only and f.name in a.only]
    with tempfile.TemporaryDirectory(prefix="autonome-bench-") as tmp:
        for fig in [
            *FIGURES,
            *UI_FIGURES,
            *OFFICE_FIGURES,
            *TABLE_FIGURES,
            *REFUND_FIGURES,
            *images,
            *UPDATE_FIGURES,
        ]:
            if a.only and fig.name not in a.only:
                continue
            if fig.name in ON_REQUEST and not (a.only and fig.name in a.only):
                continue
            work = Path(tmp) / fig.name
            work.mkdir()
            metrics[fig.name] = m = _run(fig, work)
            if not a.json:
                mark = "ok  " if m["ok"] else "MISS"
                val = "error" if m["value"] is None else f"{m['value']:g}"
                print(
                    f"{mark} {fig.name:<40} {val:>10} {fig.unit:<3} (target {fig.target:g}) "
                    f"{m.get('error', '')}",
                    flush=True,
                )
    if not a.json:
        for fig in IMAGE_FIGURES:
            if fig not in images and not a.only:
                print(
                    f"---- {fig.name:<40} {'not measured':>14} (target {fig.target:g} "
                    f"{fig.unit}): {IMAGE_HOW}"
                )
    shutil.rmtree(BIG_STORE, ignore_errors=True)
    if a.json:
        print(json.dumps({"metrics": metrics}))
    return 0 if all(m["ok"] for m in metrics.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
