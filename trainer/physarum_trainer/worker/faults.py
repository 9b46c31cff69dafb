"""Fault injection for the worker's own tests: PHYSARUM_TRAINER_FAULT="rank=1,verb=train_step,mode=raise,call=2"
(mode raise | hang | exit; `call` = fire on that call of the verb only, default every call). Unset in every real run; it exists so the failure paths (a rank raising,
a rank hanging past the timeout, a save killed half-way) are tested on the real code path."""
from __future__ import annotations

import os
import time
from collections import Counter

from ..errors import TrainerError

_calls: Counter[str] = Counter()


def maybe_fail(rank: int, verb: str) -> None:
    spec = os.environ.get("PHYSARUM_TRAINER_FAULT")
    if not spec:
        return
    fields = dict(part.split("=", 1) for part in spec.split(",") if "=" in part)
    if int(fields.get("rank", -1)) != rank or fields.get("verb") != verb:
        return
    _calls[verb] += 1
    if "call" in fields and int(fields["call"]) != _calls[verb]:
        return
    mode = fields.get("mode", "raise")
    if mode == "hang":
        time.sleep(float(fields.get("seconds", 3600)))
    elif mode == "exit":
        os._exit(3)
    else:
        raise TrainerError(f"injected fault on rank {rank} in {verb} (PHYSARUM_TRAINER_FAULT)")
