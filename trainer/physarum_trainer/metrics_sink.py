"""The run's per-step metrics where people already read them: TensorBoard event files and,
when asked, a Weights & Biases run (offline by default).

    python -m physarum_trainer.metrics_sink <run-dir> [--follow] [--no-tensorboard]
        [--wandb-project NAME [--wandb-mode offline|online] [--wandb-entity E] [--wandb-name N]]

metrics.jsonl stays the source of truth: this process only reads it. The driver starts it beside a
run with --follow; it tails the file and exits once its stdin closes (the driver finished or died),
after writing every complete line. Without --follow it converts what the file holds and exits, so a
finished run can be converted later. Each start rewrites <run-dir>/tensorboard from the whole file
(a resumed run gets one clean set of curves); W&B gets only the steps it has not had yet.

A metrics line's number fields become scalars under their own names (`reward_mean`,
`time/rollout`, `train/loss`), at the line's `step`. A missing writer package is one line on
stderr, never a failure: the run goes on with metrics.jsonl.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import threading
import time
import uuid
from pathlib import Path

METRICS_FILE = "metrics.jsonl"
TENSORBOARD_DIR = "tensorboard"
WANDB_STATE = "wandb-logged-step.json"
SKIPPED_KEYS = {"step", "event"}


def say(line: str) -> None:
    print(f"metrics sink: {line}", file=sys.stderr, flush=True)


def scalars(record: dict) -> dict[str, float]:
    """The line's finite numbers, by name (booleans and strings are not curves)."""
    out = {}
    for key, value in record.items():
        if key in SKIPPED_KEYS or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if math.isfinite(value):
            out[key] = float(value)
    return out


class JsonlTail:
    """Complete lines appended to a file since the last read; a half-written last line waits."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = 0
        self.line_number = 0

    def read(self) -> list[tuple[int, dict]]:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                chunk = f.read()
        except FileNotFoundError:
            return []
        end = chunk.rfind(b"\n")
        if end < 0:
            return []
        self.offset += end + 1
        records = []
        for raw in chunk[: end + 1].splitlines():
            self.line_number += 1
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
                step = record["step"]
                if not isinstance(step, int):
                    raise ValueError("step is not an integer")
            except (ValueError, KeyError, TypeError) as error:
                say(f"{self.path} line {self.line_number} skipped ({error})")
                continue
            records.append((step, record))
        return records


def tensorboard_writer(logdir: Path):
    """torch's SummaryWriter (the trainer's venv has torch), else tensorboardX; None when neither imports."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        try:
            from tensorboardX import SummaryWriter
        except ImportError:
            say("tensorboard is not installed (pip install tensorboard); metrics.jsonl has every metric")
            return None
    shutil.rmtree(logdir, ignore_errors=True)
    return SummaryWriter(log_dir=str(logdir), flush_secs=5)


class WandbSink:
    def __init__(self, run_dir: Path, args):
        import wandb

        self.state_file = run_dir / WANDB_STATE
        self.logged = -(2**63)
        if self.state_file.exists():
            saved = json.loads(self.state_file.read_text())
            self.logged = saved["step"]
        id_file = run_dir / "wandb-run-id"
        if not id_file.exists():
            id_file.write_text(uuid.uuid4().hex[:12])
        os.environ.setdefault("WANDB_SILENT", "true")
        self.run = wandb.init(
            project=args.wandb_project,
            entity=args.wandb_entity,
            name=args.wandb_name or run_dir.name,
            id=id_file.read_text().strip(),
            resume="allow",
            dir=str(run_dir),
            mode=args.wandb_mode,
        )

    def write(self, step: int, values: dict[str, float]) -> None:
        if step <= self.logged:
            return
        self.run.log(values, step=step)
        self.logged = step

    def flush(self) -> None:
        self.state_file.write_text(json.dumps({"step": self.logged}))

    def close(self) -> None:
        self.flush()
        self.run.finish()


def open_wandb(run_dir: Path, args):
    try:
        return WandbSink(run_dir, args)
    except ImportError:
        say("wandb is not installed (pip install wandb); metrics.jsonl has every metric")
    except Exception as error:  # a W&B failure must not take TensorBoard down with it
        say(f"wandb could not start ({type(error).__name__}: {error}); metrics.jsonl has every metric")
    return None


def stdin_closed() -> threading.Event:
    """Set when stdin reaches EOF: the driver is done (or gone)."""
    done = threading.Event()

    def wait():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        finally:
            done.set()

    threading.Thread(target=wait, daemon=True).start()
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m physarum_trainer.metrics_sink", description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--follow", action="store_true", help="tail metrics.jsonl until stdin closes")
    parser.add_argument("--poll", type=float, default=0.5, help="seconds between reads while following")
    parser.add_argument("--no-tensorboard", dest="tensorboard", action="store_false")
    parser.add_argument("--wandb-project")
    parser.add_argument("--wandb-mode", choices=["offline", "online"], default="offline")
    parser.add_argument("--wandb-entity")
    parser.add_argument("--wandb-name")
    args = parser.parse_args(argv)
    if not args.run_dir.is_dir():
        say(f"run directory {args.run_dir} does not exist")
        return 2

    done = stdin_closed() if args.follow else None
    sinks = []
    if args.tensorboard:
        writer = tensorboard_writer(args.run_dir / TENSORBOARD_DIR)
        if writer is not None:
            sinks.append(("tensorboard", writer))
    if args.wandb_project:
        run = open_wandb(args.run_dir, args)
        if run is not None:
            sinks.append(("wandb", run))
    if not sinks:
        return 0

    tail = JsonlTail(args.run_dir / METRICS_FILE)
    written = 0
    while True:
        # Read after checking `done`: the lines written before stdin closed are all in this read.
        finished = done is None or done.is_set()
        records = tail.read()
        for step, record in records:
            values = scalars(record)
            for kind, sink in sinks:
                if kind == "tensorboard":
                    for tag, value in values.items():
                        sink.add_scalar(tag, value, global_step=step)
                else:
                    sink.write(step, values)
        if records:
            written += len(records)
            for _, sink in sinks:
                sink.flush()
        if finished:
            break
        time.sleep(args.poll)
    for _, sink in sinks:
        sink.close()
    say(f"{written} steps written to {', '.join(kind for kind, _ in sinks)} under {args.run_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
