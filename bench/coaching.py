"""Measure blame detection and action specificity against the labelled sets.

Run from anywhere: python bench/coaching.py
"""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
REPEATS = 200

# Lets the script run from a checkout without installing the package.
sys.path.insert(0, str(ROOT))

from flows.coaching import find_blame  # noqa: E402
from flows.specificity import score_action  # noqa: E402


def load(name: str) -> list[dict]:
    """Return the entries of one labelled YAML file in tests/data."""
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


def bench_blame(sentences: list[dict]) -> None:
    """Print precision, recall, F1, the confusion counts and every misclassified sentence."""
    tp = fp = fn = tn = 0
    wrong: list[str] = []
    for s in sentences:
        finding = find_blame(s["text"])
        flagged = finding is not None
        if flagged and s["blame"]:
            tp += 1
        elif flagged:
            fp += 1
            wrong.append(f"  FP [{finding.phrase}] {s['text']}")
        elif s["blame"]:
            fn += 1
            wrong.append(f"  FN {s['text']}")
        else:
            tn += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(f"Blame detection ({len(sentences)} sentences)")
    print(f"  precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}")
    print(f"  TP {tp}  FP {fp}  FN {fn}  TN {tn}")
    print("  misclassified:" if wrong else "  misclassified: none")
    for line in wrong:
        print(line)


def bench_specificity(actions: list[dict]) -> None:
    """Print how often is_vague agrees with the labels, and every disagreement."""
    disagreements: list[str] = []
    for a in actions:
        result = score_action(
            what=a["what"],
            success_criterion=a["success_criterion"],
            owner_is_person=a.get("owner_is_person", True),
            review_date=date(2025, 1, 1) if a.get("has_date", True) else None,
        )
        if result.is_vague != a["vague"]:
            disagreements.append(
                f"  label vague={a['vague']} got score {result.score} {result.checks}: "
                f"{a['what']!r} / {a['success_criterion']!r}"
            )
    agreement = 1 - len(disagreements) / len(actions)
    print(f"Action specificity ({len(actions)} actions)")
    print(f"  agreement {agreement:.1%}")
    print("  disagreements:" if disagreements else "  disagreements: none")
    for line in disagreements:
        print(line)


def bench_speed(sentences: list[dict]) -> None:
    """Print the mean time of one find_blame call over all sentences, REPEATS times."""
    texts = [s["text"] for s in sentences]
    find_blame(texts[0])  # compile the lexicon outside the timed loop
    start = time.perf_counter()
    for _ in range(REPEATS):
        for text in texts:
            find_blame(text)
    elapsed = time.perf_counter() - start
    calls = REPEATS * len(texts)
    print(f"find_blame: {elapsed / calls * 1e6:.1f} µs per call over {calls} calls")


def main() -> None:
    """Run all three benchmarks."""
    sentences = load("blame_sentences.yml")
    bench_blame(sentences)
    print()
    bench_specificity(load("actions_labelled.yml"))
    print()
    bench_speed(sentences)


if __name__ == "__main__":
    main()
