#!/usr/bin/env python3
"""Medians and ratios of a side-by-side run: reads the RESULT lines of ../shared/peers/side_by_side.sh
(on standard input or from a file) and prints, per workload, each library's median training speed
over the rounds and the median of the per-round ratios (Caderno over the peer, same round).

usage: side_by_side.sh .build/release/caderno 5 | tee run.log; scripts/side_by_side_summary.py run.log
"""
import json, statistics, sys
from collections import defaultdict


def fields(line):
    return dict(part.split("=", 1) for part in line.split()[2:] if "=" in part)


def rounds(lines):
    current = None
    for line in lines:
        line = line.strip()
        if line.startswith("# round"):
            current = {}
            yield current
        elif line.startswith("RESULT caderno ") and current is not None:
            result = json.loads(line[len("RESULT caderno "):])
            current["caderno " + result["workload"]] = result["samples_per_second"]
            current["caderno " + result["workload"] + " epoch"] = result["epoch_seconds_median"]
        elif line.startswith("RESULT ") and current is not None:
            name, f = line.split()[1], fields(line)
            epoch = float(f["epoch_s"])
            if name == "torch_mlp":
                current[f"torch_mlp {f['optimizer']} {f['batch']}"] = 60000 / epoch
            elif name == "numpy_mlp":
                current["numpy_mlp"] = 60000 / epoch
            elif name == "torch_cnn":
                current["torch_cnn"] = float(f["samples_per_s"])
            elif name == "keras_cnn":
                current["keras_cnn"] = 54000 / epoch      # validation and (first epoch) tracing included
            elif name == "keras_deep_cnn":
                current["keras_deep_cnn"] = float(f["samples_per_s"])


COMPARISONS = [  # (workload, Caderno's key, peer, peer's key)
    ("MLP, SGD, batch 64", "caderno mlp", "PyTorch", "torch_mlp sgd 64"),
    ("MLP, batch 16", "caderno mlp16", "NumPy", "numpy_mlp"),
    ("MLP, Adam, batch 32", "caderno mlp-adam", "PyTorch", "torch_mlp adam 32"),
    ("Keras example CNN", "caderno cnn", "TensorFlow/Keras", "keras_cnn"),
    ("Keras example CNN", "caderno cnn", "PyTorch", "torch_cnn"),
    ("deep CNN", "caderno deep-cnn", "TensorFlow/Keras", "keras_deep_cnn"),
]


def main():
    source = open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin
    all_rounds = [r for r in list(rounds(source)) if r]
    print(f"{len(all_rounds)} rounds; training samples per second, medians over the rounds\n")
    print(f"| workload | Caderno | peer | peer's | Caderno ÷ peer (median of per-round ratios) |")
    print("|---|---|---|---|---|")
    for workload, ours, peer, theirs in COMPARISONS:
        pairs = [(r[ours], r[theirs]) for r in all_rounds if ours in r and theirs in r]
        if not pairs:
            continue
        ratios = [a / b for a, b in pairs]
        print(f"| {workload} | {statistics.median(a for a, _ in pairs):,.0f}/s | {peer} | {statistics.median(b for _, b in pairs):,.0f}/s "
              f"| {statistics.median(ratios):.2f}× (range {min(ratios):.2f}–{max(ratios):.2f}, {len(pairs)} rounds) |")
    epochs = defaultdict(list)
    for r in all_rounds:
        for key, value in r.items():
            if key.endswith(" epoch"):
                epochs[key[len("caderno "):-len(" epoch")]].append(value)
    print("\nCaderno's median epoch: " + ", ".join(f"{k} {statistics.median(v):.3f} s" for k, v in sorted(epochs.items())))


if __name__ == "__main__":
    main()
