#!/usr/bin/env python3
"""Writes a synthetic MNIST-layout folder of N training images: MNIST's 60,000 tiled (image i is
MNIST image i mod 60,000, with its label), uncompressed, plus MNIST's own test set. For measuring
how Caderno's cost grows with the data (`make scale`).

usage: tile_mnist.py MNIST_DIR OUT_DIR N
"""
import gzip, os, shutil, struct, sys


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return dims, data[4 + 4 * rank:]


def find(folder, name):
    for candidate in (name, name + ".gz"):
        if os.path.exists(os.path.join(folder, candidate)):
            return os.path.join(folder, candidate)
    sys.exit(f"{folder} has no {name} (nor .gz)")


def write_tiled(path, magic_rank, dims, payload, count):
    per_item = len(payload) // dims[0]
    temporary = path + ".partial"
    with open(temporary, "wb") as f:
        f.write(bytes([0, 0, 8, magic_rank]) + struct.pack(">" + "I" * magic_rank, count, *dims[1:]))
        whole, rest = divmod(count, dims[0])
        for _ in range(whole):
            f.write(payload)
        f.write(payload[:rest * per_item])
    os.replace(temporary, path)


def main():
    source, target, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    os.makedirs(target, exist_ok=True)
    for name, rank in (("train-images-idx3-ubyte", 3), ("train-labels-idx1-ubyte", 1)):
        dims, payload = read_idx(find(source, name))
        write_tiled(os.path.join(target, name), rank, dims, payload, count)
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        found = find(source, name)
        shutil.copyfile(found, os.path.join(target, os.path.basename(found)))
    print(f"{target}: {count:,} training images")


if __name__ == "__main__":
    main()
