"""Reference values for Caderno's metrics, computed by scikit-learn.

Regenerate with:  pip install scikit-learn numpy && python3 generate_metrics.py
(written with scikit-learn 1.9.1; the cases are seeded, so the output is the same each time).
Each case: labels, predicted probabilities (rounded to two decimals, so scores tie), and what
scikit-learn says of them. The predicted class is the argmax of the probabilities (first on ties).
"""
import json

import numpy as np
from sklearn.metrics import (auc, classification_report, confusion_matrix, precision_recall_fscore_support,
                             roc_auc_score, roc_curve)


def case(name, seed, n, classes, skill, absent=None, never_predicted=None):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    if absent is not None:
        labels[labels == absent] = (absent + 1) % classes
    logits = rng.normal(size=(n, classes))
    logits[np.arange(n), labels] += skill
    if never_predicted is not None:
        logits[:, never_predicted] -= 100
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    probabilities = np.round(probabilities, 2)
    predicted = probabilities.argmax(axis=1)
    everything = list(range(classes))
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted, labels=everything, zero_division=0)
    averages = {}
    for average in ["macro", "weighted"]:
        p, r, f, _ = precision_recall_fscore_support(labels, predicted, labels=everything, average=average, zero_division=0)
        averages[average] = [p, r, f]
    curves = []
    for c in everything:
        positives = labels == c
        if positives.all() or not positives.any():
            curves.append(None)  # ROC is undefined without both positives and negatives
            continue
        fpr, tpr, thresholds = roc_curve(positives, probabilities[:, c])
        curves.append({"fpr": fpr.tolist(), "tpr": tpr.tolist(),
                       "thresholds": [t if np.isfinite(t) else "inf" for t in thresholds.tolist()],
                       "auc": auc(fpr, tpr)})
    one_hot = np.eye(classes)[labels]
    micro_fpr, micro_tpr, _ = roc_curve(one_hot.ravel(), probabilities.ravel())
    return {
        "name": name, "classes": classes,
        "labels": labels.tolist(), "probabilities": probabilities.tolist(), "predicted": predicted.tolist(),
        "confusion": confusion_matrix(labels, predicted, labels=everything).tolist(),
        "precision": precision.tolist(), "recall": recall.tolist(), "f1": f1.tolist(), "support": support.tolist(),
        "macro": averages["macro"], "weighted": averages["weighted"],
        "accuracy": float((labels == predicted).mean()),
        "roc": curves,
        "micro_auc": auc(micro_fpr, micro_tpr),
        "macro_auc": float(np.mean([c["auc"] for c in curves if c is not None])),
        "report": classification_report(labels, predicted, labels=everything, zero_division=0, digits=4),
    }


cases = [
    case("ten classes", seed=1, n=300, classes=10, skill=1.5),
    case("three classes, one never predicted", seed=2, n=60, classes=3, skill=1.0, never_predicted=2),
    case("four classes, one absent", seed=3, n=40, classes=4, skill=2.0, absent=1),
]
with open("metrics.json", "w") as file:
    json.dump(cases, file, indent=1)
    file.write("\n")
