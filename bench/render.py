"""Re-render the docs/performance.md table of a stored result (after a change to the
report's layout), without measuring again:

    .venv/bin/python bench/render.py bench/results/2026-11-22-100000.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import report  # noqa: E402


def main() -> None:
    for name in sys.argv[1:]:
        path = Path(name).resolve()
        result = json.loads(path.read_text(encoding="utf-8"))
        result["budgets"] = report.budgets(result)
        report.update_doc(report.markdown(result, path), result["dataset"]["children"])
        print(f"rendered {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
