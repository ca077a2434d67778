"""Training the statistical reader (:mod:`.model`) on the development corpus only.

    pip install -e '.[dev]'                          # scikit-learn
    python -m foibot.rules.classify.training         # cross-validate by force, then write model.json
    python -m foibot.rules.classify.training --cv    # only cross-validate

Reproducible: the same corpus gives the same model (a deterministic solver, no shuffling).
Cross-validation keeps whole forces out of each training fold, as the held-out part does, so
its figure says how the model does on a force's house style it has never seen. The held-out
part of the corpus is never read here.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from foibot.mail.parse import parse
from foibot.rules.classify import COARSE, MODEL_TEXT, classify, own_words, reading_of
from foibot.rules.classify.model import Model, features

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]


def corpus() -> tuple[list[set[str]], list[str], list[str], list[str]]:
    """Features, labels, forces and the rules' own kinds for every development letter."""
    sys.path.insert(0, str(ROOT))
    from tests.realcorpus import load, to_eml

    rows, labels, forces, rules = [], [], [], []
    for letter in load("dev"):
        mail = parse(to_eml(letter))
        reading = reading_of(mail)
        rows.append(features(own_words(mail)[:MODEL_TEXT], [a.name for a in reading.acts]))
        labels.append(letter.kind)
        forces.append(letter.force)
        rules.append(classify(mail, statistical=False).kind)
    return rows, labels, forces, rules


def fixtures() -> tuple[list[set[str]], list[str]]:
    """The labelled replies of tests/corpus/ (written for foibot's tests, every kind present):
    extra training rows for the kinds the real corpus is thin on. Never used for measuring."""
    labels = json.loads((ROOT / "tests" / "corpus" / "expected.json").read_text("utf-8"))
    rows, kinds = [], []
    for name, label in sorted(labels.items()):
        mail = parse((ROOT / "tests" / "corpus" / name).read_bytes())
        if label["kind"] == "bounce":
            continue            # bounces are judged before the letter reader, by structure
        acts = [a.name for a in reading_of(mail).acts]
        rows.append(features(own_words(mail)[:MODEL_TEXT], acts))
        kinds.append(label["kind"])
    return rows, kinds


def fit(rows: list[set[str]], labels: list[str], *, c: float, min_df: int = 2) -> Model:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    counts = Counter(f for row in rows for f in row)
    kept = [{f: 1 for f in row if counts[f] >= min_df} for row in rows]
    vectoriser = DictVectorizer()
    x = vectoriser.fit_transform(kept)
    model = LogisticRegression(C=c, max_iter=5000, solver="lbfgs")
    model.fit(x, labels)
    classes = tuple(str(k) for k in model.classes_)
    coef = model.coef_
    intercepts: tuple[float, ...] = tuple(float(v) for v in model.intercept_)
    if len(classes) == 2:      # binary: one row of weights; spread to two classes
        coef = [[-w / 2 for w in coef[0]], [w / 2 for w in coef[0]]]
        intercepts = (-intercepts[0] / 2, intercepts[0] / 2)
    names = vectoriser.get_feature_names_out()
    weights = {}
    for j, name in enumerate(names):
        row = tuple(float(coef[i][j]) for i in range(len(classes)))
        if any(abs(w) >= 0.01 for w in row):
            weights[str(name)] = row
    return Model(classes, tuple(float(v) for v in intercepts), weights)


def cross_validate(c: float, *, extra: bool,
                   thresholds: tuple[float, ...] = (0.0, 0.4, 0.5)) -> dict[str, float]:
    """Leave-forces-out: each fold's forces are unseen in training. ``rules+model@t`` is the
    rules with the model's best guess replacing ``unknown`` from probability ``t`` (as
    :data:`~foibot.rules.classify.MODEL_AT` does)."""
    rows, labels, forces, rules = corpus()
    extra_rows, extra_labels = fixtures() if extra else ([], [])
    names = sorted(set(forces))
    folds = [names[i::5] for i in range(5)]
    right = coarse = 0
    combined = {t: [0, 0] for t in thresholds}
    for fold in folds:
        train = [i for i, f in enumerate(forces) if f not in fold]
        test = [i for i, f in enumerate(forces) if f in fold]
        model = fit([rows[i] for i in train] + extra_rows,
                    [labels[i] for i in train] + extra_labels, c=c)
        for i in test:
            probs = model.probabilities(rows[i])
            guess = max(probs, key=probs.__getitem__)
            right += guess == labels[i]
            coarse += COARSE[guess] == COARSE[labels[i]]
            for t, tally in combined.items():
                mixed = guess if rules[i] == "unknown" and probs[guess] >= t else rules[i]
                tally[0] += mixed == labels[i]
                tally[1] += COARSE[mixed] == COARSE[labels[i]]
    n = len(labels)
    rules_right = sum(r == lab for r, lab in zip(rules, labels))
    scores = {"model": right / n, "model_coarse": coarse / n, "rules": rules_right / n}
    for t, (fine, coarse_right) in combined.items():
        scores[f"rules+model@{t}"] = fine / n
        scores[f"coarse@{t}"] = coarse_right / n
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", action="store_true", help="cross-validate only")
    parser.add_argument("-C", type=float, default=0.3, help="inverse regularisation")
    parser.add_argument("--fixtures", action="store_true",
                        help="also train on tests/corpus/ (cross-validation says it costs "
                             "coarse accuracy; off by default)")
    args = parser.parse_args()
    for extra in (False, True):
        for c in (0.1, 0.3, 1.0):
            scores = cross_validate(c, extra=extra)
            print(f"fixtures {'yes' if extra else 'no '} C={c:<4} "
                  + " ".join(f"{k} {v:.1%}" for k, v in scores.items()))
    if args.cv:
        return
    rows, labels, _, _ = corpus()
    extra_rows, extra_labels = fixtures() if args.fixtures else ([], [])
    model = fit(rows + extra_rows, labels + extra_labels, c=args.C)
    (HERE / "model.json").write_text(json.dumps(model.to_doc(), separators=(",", ":")) + "\n")
    print(f"wrote {HERE / 'model.json'}: {len(model.weights)} features, "
          f"classes {', '.join(model.classes)}")


if __name__ == "__main__":
    main()
