"""Detection quality on the labelled public evaluation set (``make eval``; not a timed test).

Every file in ``tests/data/eval/`` (public export samples: connector test fixtures and dbt
package seeds, cited in ``tests/data/README.md``) is scanned as a user would scan it; each
reported column's classes are compared with the hand labels in ``tests/data/eval/labels.yaml``
(``file -> column -> [classes]``; ``[]`` = no personal-data class). The unit of counting is a
(file, column, class) triple: column-level precision, recall and F1 (micro-averaged), per class,
and every wrong triple are printed.

    python -m benchmarks.eval [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

EVAL_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "eval"
LABELS = EVAL_DIR / "labels.yaml"
TARGETS = {"f1": 0.98, "precision": 0.97, "recall": 0.97}


def sample_files(folder: Path = EVAL_DIR) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name not in ("labels.yaml",))


def load_labels(path: Path = LABELS) -> dict[str, dict[str, frozenset[str]]]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {f: {c: frozenset(v or ()) for c, v in cols.items()} for f, cols in raw.items()}


def predict(path: Path) -> dict[str, frozenset[str]]:
    """Column -> classes the scan reports for one sample file (vendor recognised as usual)."""
    from breachscope.scan.engine import scan_files

    report = scan_files([path])
    return {col: classes for (_, col), classes in report.column_classes().items()}


@dataclass
class Result:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    errors: list[tuple[str, str, str, str]] = field(default_factory=list)  # kind, file, column, class
    per_class: dict[str, Counter[str]] = field(default_factory=dict)
    columns: int = 0
    files: int = 0

    def add(self, kind: str, file: str, column: str, cls: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        self.per_class.setdefault(cls, Counter())[kind] += 1
        if kind != "tp":
            self.errors.append((kind, file, column, cls))

    @staticmethod
    def _ratio(a: int, b: int) -> float:
        return a / b if b else 1.0

    @property
    def precision(self) -> float:
        return self._ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return self._ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def evaluate(folder: Path = EVAL_DIR) -> Result:
    labels = load_labels(folder / "labels.yaml")
    res = Result()
    for path in sample_files(folder):
        expected = labels.get(path.name, {})
        got = predict(path)
        res.files += 1
        for column in sorted(set(got) | set(expected)):
            res.columns += 1
            want, have = expected.get(column, frozenset()), got.get(column, frozenset())
            for cls in sorted(want | have):
                kind = "tp" if cls in want and cls in have else "fp" if cls in have else "fn"
                res.add(kind, path.name, column, cls)
    return res


def summary(res: Result) -> dict[str, Any]:
    return {
        "files": res.files,
        "columns": res.columns,
        "labelled_pairs": res.tp + res.fn,
        "tp": res.tp,
        "fp": res.fp,
        "fn": res.fn,
        "precision": round(res.precision, 4),
        "recall": round(res.recall, 4),
        "f1": round(res.f1, 4),
        "targets": TARGETS,
        "passed": res.f1 >= TARGETS["f1"]
        and res.precision >= TARGETS["precision"]
        and res.recall >= TARGETS["recall"],
        "errors": [dict(zip(("kind", "file", "column", "class"), e, strict=True)) for e in res.errors],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = ap.parse_args(argv)
    res = evaluate()
    doc = summary(res)
    print(
        f"evaluation set: {res.files} files, {res.columns} columns, "
        f"{res.tp + res.fn} labelled (column, class) pairs"
    )
    print(
        f"precision {res.precision:.4f}  recall {res.recall:.4f}  F1 {res.f1:.4f}  "
        f"(tp {res.tp}, fp {res.fp}, fn {res.fn})"
    )
    print(
        f"targets: F1 >= {TARGETS['f1']}, precision and recall >= {TARGETS['precision']}: "
        f"{'met' if doc['passed'] else 'MISSED'}"
    )
    print("\nper class (tp/fp/fn):")
    for cls, c in sorted(res.per_class.items()):
        print(f"  {cls:18} {c['tp']:4} {c['fp']:4} {c['fn']:4}")
    if res.errors:
        print("\nerrors (fp = reported but not labelled, fn = labelled but not reported):")
        for kind, file, column, cls in res.errors:
            print(f"  {kind}  {file}  {column!r}  {cls}")
    if args.json:
        args.json.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
