#!/usr/bin/env python3
"""Validate the real police FOI reply corpus and print its counts.

Standard library only.  Run from anywhere:

    python3 tests/corpus/real/check.py

Checks every record in dev/ and heldout/ (fields, types, kind labels,
force ids against foibot/data/police_forces.csv, id/file-name agreement,
no duplicate bodies), checks split.json against the files (and re-derives
the held-out force list from the recorded seed and seed_force_counts, plus
any forces listed in added_forces), then prints counts per
kind per part and per force.  Exit status 1 if any check fails.
"""
import collections
import csv
import json
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
FORCES_CSV = os.path.join(ROOT, "foibot", "data", "police_forces.csv")
PARTS = ("dev", "heldout")

KINDS = (
    "acknowledgement", "clarification", "fee", "extension", "successful",
    "partially_successful", "not_held", "rejected", "review_outcome",
    "auto_reply", "bounce", "unknown",
)
FIELDS = {
    "id": str, "force": str, "source": str, "reply_date": (str, type(None)),
    "subject": (str, type(None)), "body": str, "attachments": list,
    "kind": str, "wdtk_state": (str, type(None)), "reason": str,
    "ncnd": bool, "sections": list, "truncated": bool,
    "notes": (str, type(None)),
}
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ID_RE = re.compile(r"^([a-z0-9-]+)-(\d{3})$")

errors = []


def err(msg):
    errors.append(msg)


def load_force_ids():
    with open(FORCES_CSV, encoding="utf-8") as fh:
        lines = [l for l in fh if l.strip() and not l.lstrip().startswith("#")]
    return {row["id"].strip() for row in csv.DictReader(lines)}


def norm(text):
    return re.sub(r"\s+", " ", text).strip().lower()


def load_records(force_ids):
    records = []
    for part in PARTS:
        pdir = os.path.join(HERE, part)
        if not os.path.isdir(pdir):
            err(f"missing directory {part}/")
            continue
        for name in sorted(os.listdir(pdir)):
            path = os.path.join(pdir, name)
            if not name.endswith(".json"):
                err(f"{part}/{name}: not a .json file")
                continue
            try:
                with open(path, encoding="utf-8") as fh:
                    rec = json.load(fh)
            except (ValueError, UnicodeDecodeError) as exc:
                err(f"{part}/{name}: unreadable JSON ({exc})")
                continue
            where = f"{part}/{name}"
            if set(rec) != set(FIELDS):
                err(f"{where}: fields {sorted(set(rec) ^ set(FIELDS))} missing/extra")
                continue
            for key, typ in FIELDS.items():
                if not isinstance(rec[key], typ):
                    err(f"{where}: field {key} has type {type(rec[key]).__name__}")
            if rec["id"] + ".json" != name:
                err(f"{where}: id {rec['id']!r} does not match file name")
            m = ID_RE.match(rec["id"])
            if not m or m.group(1) != rec["force"]:
                err(f"{where}: id {rec['id']!r} is not '<force>-NNN'")
            if rec["force"] not in force_ids:
                err(f"{where}: force {rec['force']!r} not in police_forces.csv")
            if rec["kind"] not in KINDS:
                err(f"{where}: unknown kind {rec['kind']!r}")
            if rec["reply_date"] is not None and not DATE_RE.match(rec["reply_date"]):
                err(f"{where}: reply_date {rec['reply_date']!r} is not YYYY-MM-DD")
            if not rec["body"].strip():
                err(f"{where}: empty body")
            if not rec["reason"].strip():
                err(f"{where}: empty reason")
            if not rec["source"].startswith(("http://", "https://")):
                err(f"{where}: source is not a URL")
            if not all(isinstance(s, str) and s for s in rec["sections"]):
                err(f"{where}: sections must be non-empty strings")
            for att in rec["attachments"]:
                if not (isinstance(att, dict) and set(att) == {"filename", "text"}):
                    err(f"{where}: attachment entries need exactly filename and text")
            rec["_part"] = part
            records.append(rec)
    return records


def check_duplicates(records):
    seen = {}
    for rec in records:
        key = norm(rec["body"])
        if key in seen:
            err(f"duplicate body: {rec['id']} and {seen[key]}")
        else:
            seen[key] = rec["id"]
    ids = collections.Counter(r["id"] for r in records)
    for rid, n in ids.items():
        if n > 1:
            err(f"id {rid} appears {n} times")


def check_split(records):
    path = os.path.join(HERE, "split.json")
    try:
        with open(path, encoding="utf-8") as fh:
            split = json.load(fh)
    except (OSError, ValueError) as exc:
        err(f"split.json unreadable ({exc})")
        return None
    for key in ("seed", "method", "dev_forces", "heldout_forces"):
        if key not in split:
            err(f"split.json lacks {key}")
            return None
    dev, held = set(split["dev_forces"]), set(split["heldout_forces"])
    if dev & held:
        err(f"forces in both parts: {sorted(dev & held)}")
    for rec in records:
        want = "heldout" if rec["force"] in held else "dev" if rec["force"] in dev else None
        if want is None:
            err(f"{rec['id']}: force {rec['force']} not listed in split.json")
        elif want != rec["_part"]:
            err(f"{rec['id']}: in {rec['_part']}/ but split.json puts {rec['force']} in {want}")
    present = {r["force"] for r in records}
    if present != dev | held:
        err(f"split.json forces differ from forces present: {sorted(present ^ (dev | held))}")
    # Re-derive the held-out list from the seed (method described in split.json).
    # The shuffle ran once, on the letter counts recorded in seed_force_counts
    # (first pass); forces first seen later are listed in added_forces with
    # the part they were given.  Without seed_force_counts the current counts
    # are used (the original behaviour).
    total = len(records)
    per_force = collections.Counter(r["force"] for r in records)
    seed_counts = split.get("seed_force_counts") or dict(per_force)
    added = split.get("added_forces", {})
    for force, part in added.items():
        if part not in PARTS:
            err(f"added_forces: {force} has unknown part {part!r}")
        elif force in seed_counts:
            err(f"added_forces: {force} was already in the seeded split")
        elif force not in (held if part == "heldout" else dev):
            err(f"added_forces: {force} is not in {part}_forces")
    order = sorted(seed_counts)
    random.Random(split["seed"]).shuffle(order)
    seed_total = sum(seed_counts.values())
    derived, n = [], 0
    for force in order:
        if n >= 0.30 * seed_total:
            break
        derived.append(force)
        n += seed_counts[force]
    derived = set(derived) | {f for f, part in added.items() if part == "heldout"}
    if derived != held:
        err("held-out forces do not match a re-run of the seeded shuffle "
            "(plus added_forces)")
    for force in dev | held:
        if force not in seed_counts and force not in added:
            err(f"{force} is neither in seed_force_counts nor in added_forces")
    frac = sum(per_force[f] for f in held) / total if total else 0
    if not 0.30 <= frac <= 0.40:
        err(f"held-out share {frac:.3f} outside 30-40%")
    kinds_total = collections.Counter(r["kind"] for r in records)
    for kind, count in kinds_total.items():
        if count >= 3:
            for part in PARTS:
                if not any(r["kind"] == kind and r["_part"] == part for r in records):
                    err(f"kind {kind} ({count} letters) absent from {part}")
    return split, frac


def print_tables(records, frac):
    print(f"records: {len(records)}  forces: {len({r['force'] for r in records})}  "
          f"held-out share: {frac:.1%}")
    by = collections.Counter((r["kind"], r["_part"]) for r in records)
    print()
    print(f"{'kind':<22}{'dev':>6}{'heldout':>9}{'total':>7}")
    for kind in KINDS:
        d, h = by[(kind, "dev")], by[(kind, "heldout")]
        print(f"{kind:<22}{d:>6}{h:>9}{d + h:>7}")
    nd = sum(1 for r in records if r["_part"] == "dev")
    print(f"{'all':<22}{nd:>6}{len(records) - nd:>9}{len(records):>7}")
    print()
    trunc = collections.Counter(r["_part"] for r in records if r["truncated"])
    ncnd = collections.Counter(r["_part"] for r in records if r["ncnd"])
    print(f"truncated: dev {trunc['dev']}, heldout {trunc['heldout']}, total {sum(trunc.values())}")
    print(f"ncnd=true: dev {ncnd['dev']}, heldout {ncnd['heldout']}, total {sum(ncnd.values())}")
    print()
    print(f"{'force':<30}{'part':<9}{'letters':>8}")
    per = collections.Counter((r["force"], r["_part"]) for r in records)
    for (force, part), n in sorted(per.items(), key=lambda x: (x[0][1], x[0][0])):
        print(f"{force:<30}{part:<9}{n:>8}")


def main():
    force_ids = load_force_ids()
    records = load_records(force_ids)
    check_duplicates(records)
    result = check_split(records)
    frac = result[1] if result else 0.0
    print_tables(records, frac)
    print()
    if errors:
        print(f"FAILED: {len(errors)} problem(s)")
        for e in errors:
            print("  -", e)
        return 1
    print("OK: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
