"""Plot held-out reward per step from a run's eval.jsonl files as a PNG (the CPU demo's figure).

    python -m physarum_trainer.plot_reward --out reward.png --label SFT runs/demo/sft/eval.jsonl \
        --label GRPO runs/demo/grpo/eval.jsonl

Each file is one stage; stages are drawn one after the other on a shared step axis.
"""
from __future__ import annotations

import argparse
import json
import sys


def read_points(path: str) -> list[tuple[int, float]]:
    points = []
    with open(path) as f:
        for line in f:
            if line.strip():
                record = json.loads(line)
                if "heldout_reward" in record:
                    points.append((int(record["step"]) + 1, float(record["heldout_reward"])))
    return points


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m physarum_trainer.plot_reward")
    parser.add_argument("--out", required=True)
    parser.add_argument("--title", default="held-out reward (greedy exact match)")
    parser.add_argument("--label", action="append", default=[])
    parser.add_argument("files", nargs="+")
    args = parser.parse_intermixed_args(argv)
    if args.label and len(args.label) != len(args.files):
        print("physarum plot_reward: give one --label per file", file=sys.stderr)
        return 1
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
    offset = 0
    for i, path in enumerate(args.files):
        points = read_points(path)
        if not points:
            continue
        xs = [offset + s for s, _ in points]
        ax.plot(xs, [r for _, r in points], marker="o", label=args.label[i] if args.label else path)
        offset = xs[-1]
    ax.set_xlabel("training step")
    ax.set_ylabel("held-out reward")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.set_title(args.title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
