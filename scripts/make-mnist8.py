#!/usr/bin/env python3
"""Builds data/mnist8/mnist8.csv from the MNIST test set (IDX files, gzip).

Each 28x28 image is cropped to its central 24x24 pixels and average-pooled over 3x3 blocks to
8x8, then scaled from 0..255 to integers 0..16, the value range of the bundled digits set. The
result has the digits set's CSV format (64 features, label last, one header row), so the two
share a loader and form a source/target pair for domain adaptation.

Usage: scripts/make-mnist8.py IMAGES.gz LABELS.gz > data/mnist8/mnist8.csv
"""
import gzip
import struct
import sys


def read_idx(path, magic):
    with gzip.open(path, "rb") as handle:
        data = handle.read()
    found = struct.unpack(">I", data[:4])[0]
    if found != magic:
        sys.exit(f"{path}: magic {found}, expected {magic}")
    return data


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    images = read_idx(sys.argv[1], 2051)
    labels = read_idx(sys.argv[2], 2049)
    count, rows, cols = struct.unpack(">III", images[4:16])
    if (rows, cols) != (28, 28) or struct.unpack(">I", labels[4:8])[0] != count:
        sys.exit("unexpected image shape or label count")
    pixels, tags = images[16:], labels[8:]
    out = sys.stdout
    out.write(",".join(f"pixel_{r}_{c}" for r in range(8) for c in range(8)) + ",label\n")
    for n in range(count):
        image = pixels[n * 784:(n + 1) * 784]
        cells = []
        for r in range(8):
            for c in range(8):
                total = 0
                for dr in range(3):
                    for dc in range(3):
                        total += image[(2 + 3 * r + dr) * 28 + 2 + 3 * c + dc]
                # Mean intensity over the 9 pixels, mapped to 0..16 with round-half-up.
                cells.append(str((total * 16 * 2 + 9 * 255) // (9 * 255 * 2)))
        out.write(",".join(cells) + f",{tags[n]}\n")


if __name__ == "__main__":
    main()
