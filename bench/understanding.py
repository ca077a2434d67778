"""How well foibot reads real police letters it was not written for.

    python bench/understanding.py                 # both parts: accuracy and confusion matrices
    python bench/understanding.py --misses dev    # ... and every miss of the dev part

The corpus (tests/corpus/real/, see its README) was split once, by force, into a development
part and a held-out part. Rules are written looking at the development part only; the held-out
figure is the one that counts. Printed for each part: accuracy on the fine kinds, accuracy on
the coarse question the board asks (answer / interim / needs requester / not a reply), how many
letters were flagged for review (confidence below the threshold) and the accuracy on the rest,
and the confusion matrix. Baseline in the same run: always guessing the most common kind.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from foibot.mail.parse import parse  # noqa: E402
from foibot.rules.classify import KINDS, classify  # noqa: E402
from tests.realcorpus import COARSE, PARTS, load, to_eml  # noqa: E402


def run(part: str, *, misses: bool) -> dict[str, float]:
    letters = load(part)
    rows = []
    started = time.perf_counter()
    for letter in letters:
        result = classify(parse(to_eml(letter)))
        rows.append((letter, result))
    elapsed = time.perf_counter() - started
    n = len(rows)
    fine = sum(r.kind == letter.kind for letter, r in rows)
    coarse = sum(COARSE[r.kind] == letter.coarse for letter, r in rows)
    flagged = [(letter, r) for letter, r in rows if r.needs_review]
    sure = [(letter, r) for letter, r in rows if not r.needs_review]
    sure_right = sum(r.kind == letter.kind for letter, r in sure)
    common = Counter(letter.kind for letter in letters).most_common(1)[0]
    print(f"\n== {part}: {n} letters from {len({x.force for x in letters})} forces "
          f"({elapsed * 1000 / max(n, 1):.1f} ms a letter)")
    print(f"fine kinds     {fine:4d}/{n} = {fine / n:6.1%}   "
          f"(baseline, always {common[0]}: {common[1] / n:6.1%})")
    print(f"coarse         {coarse:4d}/{n} = {coarse / n:6.1%}")
    print(f"needs review   {len(flagged):4d}/{n} = {len(flagged) / n:6.1%}   "
          f"fine accuracy of the rest {sure_right}/{len(sure)} = "
          f"{sure_right / max(len(sure), 1):6.1%}")
    wrong_answers = [(x, r) for x, r in rows if not r.needs_review and x.coarse != "answer"
                     and COARSE[r.kind] == "answer"]
    missed_answers = [(x, r) for x, r in rows if not r.needs_review and x.coarse == "answer"
                      and COARSE[r.kind] != "answer"]
    print(f"unflagged: {len(missed_answers)} answers read as non-answers (would be chased), "
          f"{len(wrong_answers)} non-answers read as answers (would count as responded)")
    kinds = [k for k in KINDS if any(x.kind == k or r.kind == k for x, r in rows)]
    short = {k: k[:6] for k in kinds}
    print("\nconfusion (rows: label, columns: foibot)")
    print(" " * 22 + " ".join(f"{short[k]:>6}" for k in kinds))
    for k in kinds:
        counts = Counter(r.kind for x, r in rows if x.kind == k)
        if counts:
            print(f"{k:>22}" + " ".join(f"{counts.get(c, 0) or '.':>6}" for c in kinds))
    if misses:
        print("\nmisses:")
        for letter, r in rows:
            if r.kind != letter.kind:
                flag = " (needs review)" if r.needs_review else ""
                print(f"  {letter.id}: label {letter.kind}, foibot {r.kind} "
                      f"{r.confidence:.2f}{flag}")
                for item in r.evidence[:4]:
                    print(f"      {item}")
    return {"fine": fine / n, "coarse": coarse / n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", choices=[*PARTS, "all", "none"], default="none",
                        help="list the misses of this part with their evidence")
    parser.add_argument("--part", choices=[*PARTS, "all"], default="all")
    args = parser.parse_args()
    for part in PARTS:
        if args.part in (part, "all"):
            run(part, misses=args.misses in (part, "all"))


if __name__ == "__main__":
    main()
