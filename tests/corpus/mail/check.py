#!/usr/bin/env python3
"""Validate tests/corpus/mail/manifest.json and print its counts (standard library only).

Usage: python3 tests/corpus/mail/check.py   (exit status 1 if anything is wrong)
"""
import json
import os
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
LABELS = ('bounce', 'delay', 'auto_reply', 'normal')
SPLITS = ('dev', 'heldout')
LABEL_FROM = ('source test expectations', 'read by hand')
REQUIRED = ('file', 'source', 'version', 'origin', 'licence', 'label', 'failed_recipients',
            'label_from', 'why', 'split')
NOT_MESSAGES = {'manifest.json', 'README.md', 'check.py', 'build.py', '.gitattributes'}


def main():
    errors = []
    with open(os.path.join(HERE, 'manifest.json'), encoding='utf-8') as fh:
        manifest = json.load(fh)
    if not isinstance(manifest, list) or not manifest:
        print('manifest.json must be a non-empty list')
        return 1

    seen = set()
    for i, entry in enumerate(manifest):
        where = f'entry {i} ({entry.get("file", "?")})'
        missing = [k for k in REQUIRED if k not in entry]
        if missing:
            errors.append(f'{where}: missing keys {missing}')
            continue
        rel = entry['file']
        if rel in seen:
            errors.append(f'{where}: duplicate file')
        seen.add(rel)
        path = os.path.join(HERE, rel)
        if os.path.isabs(rel) or '..' in rel.split('/') or not os.path.isfile(path):
            errors.append(f'{where}: file does not exist under tests/corpus/mail')
        elif os.path.getsize(path) == 0:
            errors.append(f'{where}: file is empty')
        if entry['label'] not in LABELS:
            errors.append(f'{where}: bad label {entry["label"]!r}')
        if entry['split'] not in SPLITS:
            errors.append(f'{where}: bad split {entry["split"]!r}')
        if entry['label_from'] not in LABEL_FROM:
            errors.append(f'{where}: bad label_from {entry["label_from"]!r}')
        fr = entry['failed_recipients']
        if not isinstance(fr, list) or not all(isinstance(a, str) and '@' in a for a in fr):
            errors.append(f'{where}: failed_recipients must be a list of addresses')
        elif fr and entry['label'] != 'bounce':
            errors.append(f'{where}: failed_recipients given for a {entry["label"]} message')
        for key in ('source', 'version', 'origin', 'licence', 'why'):
            if not isinstance(entry[key], str) or not entry[key].strip():
                errors.append(f'{where}: empty {key}')
        lic = os.path.join(HERE, 'LICENSES', rel.split('/')[0] + '.txt')
        if not os.path.isfile(lic):
            errors.append(f'{where}: no licence text at LICENSES/{rel.split("/")[0]}.txt')

    # every message file on disk is listed
    for dirpath, dirnames, filenames in os.walk(HERE):
        dirnames[:] = [d for d in dirnames if d not in ('LICENSES', '__pycache__')]
        for name in filenames:
            rel = os.path.relpath(os.path.join(dirpath, name), HERE).replace(os.sep, '/')
            if rel not in NOT_MESSAGES and rel not in seen:
                errors.append(f'{rel}: on disk but not in manifest.json')

    total = len(manifest)
    splits = Counter(e.get('split') for e in manifest)
    for s in SPLITS:
        if not splits[s]:
            errors.append(f'split {s!r} is empty')
    share = splits['heldout'] / total
    if not 0.30 <= share <= 0.40:
        errors.append(f'heldout share {share:.1%} outside 30%-40%')
    for label in LABELS:
        for s in SPLITS:
            if not any(e.get('label') == label and e.get('split') == s for e in manifest):
                errors.append(f'no {label} message in {s}')

    # counts
    by = Counter((e.get('split'), e.get('label')) for e in manifest)
    print(f'{"":12}' + ''.join(f'{l:>11}' for l in LABELS) + f'{"total":>8}')
    for s in SPLITS:
        print(f'{s:12}' + ''.join(f'{by[(s, l)]:>11}' for l in LABELS) + f'{splits[s]:>8}')
    lt = Counter(e.get('label') for e in manifest)
    print(f'{"all":12}' + ''.join(f'{lt[l]:>11}' for l in LABELS) + f'{total:>8}')
    print(f'heldout share: {share:.1%}')
    print()
    src = Counter((e['file'].split('/')[0], e.get('label')) for e in manifest)
    print(f'{"source dir":34}' + ''.join(f'{l:>11}' for l in LABELS) + f'{"dev":>6}{"held":>6}')
    for d in sorted({e['file'].split('/')[0] for e in manifest}):
        sp = Counter(e['split'] for e in manifest if e['file'].split('/')[0] == d)
        print(f'{d:34}' + ''.join(f'{src[(d, l)]:>11}' for l in LABELS) + f'{sp["dev"]:>6}{sp["heldout"]:>6}')
    lf = Counter(e.get('label_from') for e in manifest)
    print()
    print('label_from: ' + ', '.join(f'{k}: {v}' for k, v in sorted(lf.items())))

    if errors:
        print()
        for err in errors:
            print('ERROR:', err)
        print(f'{len(errors)} problem(s)')
        return 1
    print('manifest OK')
    return 0


if __name__ == '__main__':
    sys.exit(main())
