"""The other side of Caderno's model files: NumPy and the `safetensors` package, nothing of Caderno.

    python numpy_model.py forward MODEL.safetensors MNIST_DIR N OUT.f32
        the model's class probabilities for the first N test images, computed in NumPy from the
        file alone (its description, preprocessing and weights), written as float32
    python numpy_model.py make OUT.safetensors
        an MLP written by Python's safetensors, with a description Caderno can rebuild
"""
import gzip, json, os, sys
import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file


def mnist_test_images(folder, n):
    for name in ("t10k-images-idx3-ubyte", "t10k-images-idx3-ubyte.gz"):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            data = gzip.open(path).read() if name.endswith(".gz") else open(path, "rb").read()
            count, rows, cols = (int.from_bytes(data[i:i + 4], "big") for i in (4, 8, 12))
            pixels = np.frombuffer(data, np.uint8, offset=16).reshape(count, 1, rows, cols)
            return pixels[:n].astype(np.float64)
    raise SystemExit(f"no MNIST test images in {folder}")


def forward(path, x):
    weights = {k: v.astype(np.float64) for k, v in load_file(path).items()}
    with safe_open(path, framework="np") as f:
        meta = f.metadata()
    description = json.loads(meta["model"])
    pre = json.loads(meta["preprocessing"])
    if pre["normalization"] == "scale":
        x = x / 255
    elif pre["normalization"] == "standardize":
        x = (x - pre["mean"]) / pre["std"]
    x = x.reshape((x.shape[0], *description["input"]))
    index, ending = 0, "logits"
    for layer in description["layers"]:
        kind, options, size = layer["kind"], layer.get("options", {}), layer.get("size")
        step = 1
        if kind == "dense":
            x = x.reshape(x.shape[0], -1) @ weights[f"{index}.weight"].T + weights[f"{index}.bias"]
        elif kind == "conv2d":
            w, b = weights[f"{index}.weight"], weights[f"{index}.bias"]
            k = w.shape[2]
            if options.get("padding") == "same":   # as Keras: an even kernel's extra row and column at the bottom and right
                before = (k - 1) // 2
                x = np.pad(x, ((0, 0), (0, 0), (before, k - 1 - before), (before, k - 1 - before)))
            windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))   # N, C, H, W, k, k
            x = np.einsum("nchwij,fcij->nfhw", windows, w, optimize=True) + b[None, :, None, None]
            activation = options.get("activation", "none")
            x = {"relu": lambda v: np.maximum(v, 0), "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
                 "tanh": np.tanh, "none": lambda v: v}[activation](x)
            step = 1 if activation == "none" else 2   # PyTorch counts the activation as a module
        elif kind == "maxpool":
            pool = int(size or 2)
            stride = int(options.get("stride", pool))
            x = np.lib.stride_tricks.sliding_window_view(x, (pool, pool), axis=(2, 3))[:, :, ::stride, ::stride].max(axis=(4, 5))
        elif kind == "flatten":
            x = x.reshape(x.shape[0], -1)
        elif kind == "relu":
            x = np.maximum(x, 0)
        elif kind == "leaky-relu":
            x = np.where(x > 0, x, float(size if size is not None else 0.01) * x)
        elif kind == "sigmoid":
            x = 1 / (1 + np.exp(-x))
        elif kind == "tanh":
            x = np.tanh(x)
        elif kind in ("softmax", "log-softmax"):
            e = np.exp(x - x.max(axis=1, keepdims=True))
            x = e / e.sum(axis=1, keepdims=True)
            ending = "probabilities"
        elif kind != "dropout":   # dropout is the identity when predicting
            raise SystemExit(f"unknown layer kind {kind}")
        index += step
    if ending == "logits":
        e = np.exp(x - x.max(axis=1, keepdims=True))
        x = e / e.sum(axis=1, keepdims=True)
    return x


if __name__ == "__main__":
    if sys.argv[1] == "forward":
        _, _, model, folder, n, out = sys.argv
        probabilities = forward(model, mnist_test_images(folder, int(n)))
        probabilities.astype("<f4").tofile(out)
        print(probabilities.shape[0], probabilities.shape[1])
    elif sys.argv[1] == "make":
        rng = np.random.default_rng(7)
        tensors = {"0.weight": rng.normal(0, 0.05, (16, 784)), "0.bias": rng.normal(0, 0.1, 16),
                   "2.weight": rng.normal(0, 0.3, (10, 16)), "2.bias": rng.normal(0, 0.1, 10)}
        description = {"input": [784], "layers": [
            {"kind": "dense", "size": 16, "options": {"init": "pytorch"}}, {"kind": "relu", "options": {}},
            {"kind": "dense", "size": 10, "options": {"init": "pytorch"}}, {"kind": "softmax", "options": {}}]}
        metadata = {"model": json.dumps(description), "preprocessing": json.dumps({"normalization": "scale", "one_hot": False})}
        save_file({k: v.astype(np.float32) for k, v in tensors.items()}, sys.argv[2], metadata=metadata)
        print("written")
