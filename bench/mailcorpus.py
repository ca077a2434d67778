"""How foibot reads real third-party mail: bounces, delay warnings, auto-replies, odd clients.

    python bench/mailcorpus.py                  # both parts
    python bench/mailcorpus.py --misses dev     # ... and every miss of the dev part

The corpus (tests/corpus/mail/, see its README) holds messages from other projects' public test
suites, split once by mail system into a development and a held-out part; the held-out figure
counts. Printed for each part: messages that failed to parse (must be none), bounce detection
(bounces read as bounces), delay warnings taken for failures (must be none), auto-replies read
as acknowledgements (must be none) or as replies at all, and ordinary mail taken for a bounce.
Baseline in the same run: flufl.bounce's own detectors alone on the same messages.
"""

from __future__ import annotations

import argparse
import email
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from foibot.mail.parse import parse  # noqa: E402
from foibot.rules.classify import REPLIES, classify  # noqa: E402

CORPUS = ROOT / "tests" / "corpus" / "mail"


def flufl_alone(raw: bytes) -> bool:
    from flufl.bounce import all_failures

    try:
        _, permanent = all_failures(email.message_from_bytes(raw))
    except Exception:  # noqa: BLE001 - a detector choking counts as "not found"
        return False
    return bool(permanent)


def run(part: str, *, misses: bool) -> None:
    manifest = [e for e in json.loads((CORPUS / "manifest.json").read_text()) if e["split"] == part]
    counts = {k: 0 for k in ("bounce", "bounce_found", "flufl_found", "delay", "delay_as_bounce",
                             "auto", "auto_as_ack", "auto_as_reply", "auto_found", "normal",
                             "normal_as_bounce", "parse_errors")}
    missed = []
    started = time.perf_counter()
    for entry in manifest:
        raw = (CORPUS / entry["file"]).read_bytes()
        try:
            result = classify(parse(raw))
        except Exception as exc:  # noqa: BLE001 - counted, never expected
            counts["parse_errors"] += 1
            missed.append((entry, f"raised {type(exc).__name__}: {exc}", ()))
            continue
        label, kind = entry["label"], result.kind
        if label == "bounce":
            counts["bounce"] += 1
            counts["bounce_found"] += kind == "bounce"
            counts["flufl_found"] += flufl_alone(raw)
            if kind != "bounce":
                missed.append((entry, kind, result.evidence))
        elif label == "delay":
            counts["delay"] += 1
            counts["delay_as_bounce"] += kind == "bounce"
            if kind == "bounce":
                missed.append((entry, kind, result.evidence))
        elif label == "auto_reply":
            counts["auto"] += 1
            counts["auto_as_ack"] += kind == "acknowledgement"
            counts["auto_as_reply"] += kind in REPLIES
            counts["auto_found"] += kind == "auto_reply"
            if kind != "auto_reply":
                missed.append((entry, kind, result.evidence))
        else:
            counts["normal"] += 1
            counts["normal_as_bounce"] += kind == "bounce"
            if kind == "bounce":
                missed.append((entry, kind, result.evidence))
    elapsed = time.perf_counter() - started
    c = counts
    pct = lambda a, b: f"{a}/{b} = {a / b:6.1%}" if b else "0/0"  # noqa: E731
    print(f"\n== {part}: {len(manifest)} messages ({elapsed * 1000 / len(manifest):.1f} ms each)")
    print(f"parse errors             {c['parse_errors']}")
    print(f"bounces detected         {pct(c['bounce_found'], c['bounce'])}   "
          f"(flufl.bounce alone: {pct(c['flufl_found'], c['bounce'])})")
    print(f"delays taken as failure  {pct(c['delay_as_bounce'], c['delay'])}")
    print(f"auto-replies recognised  {pct(c['auto_found'], c['auto'])}; read as "
          f"acknowledgement {c['auto_as_ack']}, as any reply {c['auto_as_reply']}")
    print(f"ordinary mail as bounce  {pct(c['normal_as_bounce'], c['normal'])}")
    if misses:
        print("\nmisses:")
        for entry, kind, evidence in missed:
            print(f"  {entry['file']} ({entry['label']}): {kind}")
            for item in list(evidence)[:2]:
                print(f"      {item}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", choices=["dev", "heldout", "all", "none"], default="none")
    parser.add_argument("--part", choices=["dev", "heldout", "all"], default="all")
    args = parser.parse_args()
    for part in ("dev", "heldout"):
        if args.part in (part, "all"):
            run(part, misses=args.misses in (part, "all"))


if __name__ == "__main__":
    main()
