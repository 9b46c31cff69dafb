"""Rank 0 relays each verb to the other ranks and collects how each one ended.

The channel is a TCPStore that rank 0 hosts (its port is broadcast once over the process group):
  cmd/<n>            pickled (verb, args, frame) that every rank runs
  agree/<n>/<p>/<r>  rank r's "ok" or its error before the collective of phase p
  status/<n>/<r>     rank r's outcome: ("ok", result) or ("error", wire dict)
Every wait polls with a deadline, so a rank that raised, died or hangs makes the verb fail with
PHYSARUM_TRAINER_RANK_FAILED naming it instead of blocking the others. Collectives themselves
(gradient all-reduce) run on the process group with its own timeout.
"""
from __future__ import annotations

import os
import pickle
import sys
import time
from datetime import timedelta
from typing import Any, Callable

from ..errors import PhysarumTrainerError, RankFailedError, TrainerError

POLL_S = 0.005


def rank_timeout_s() -> float:
    return float(os.environ.get("PHYSARUM_TRAINER_RANK_TIMEOUT_S", "600"))


def error_wire(error: BaseException, rank: int, verb: str) -> dict[str, Any]:
    if isinstance(error, PhysarumTrainerError):
        wire = error.to_wire()
        wire["rank"] = rank if wire.get("rank") is None else wire["rank"]
        wire["verb"] = verb
        wire["status"] = error.http_status
        return wire
    return {"code": TrainerError.code, "message": f"{type(error).__name__}: {error}", "rank": rank, "verb": verb, "status": 500}


class Relay:
    def __init__(self, rank: int, world_size: int, store: Any) -> None:
        self.rank = rank
        self.world_size = world_size
        self.store = store
        self.counter = 0
        self.current = 0
        self.phases: set[str] = set()

    @classmethod
    def connect(cls, rank: int, world_size: int) -> "Relay":
        """Rank 0 hosts the store on a free port and tells the others over the default group."""
        import torch.distributed as dist

        host = os.environ.get("MASTER_ADDR", "127.0.0.1")
        box: list[Any] = [None]
        store = None
        if rank == 0:
            store = dist.TCPStore(host, 0, world_size, True, timedelta(seconds=rank_timeout_s()), wait_for_workers=False)
            box[0] = store.port
        dist.broadcast_object_list(box, src=0)
        if rank != 0:
            store = dist.TCPStore(host, int(box[0]), world_size, False, timedelta(seconds=rank_timeout_s()))
        return cls(rank, world_size, store)

    # -- waiting -------------------------------------------------------------------------------
    def _wait(self, keys: dict[int, str], deadline: float, failed: Callable[[int], bool] = lambda r: False) -> list[int]:
        """Ranks whose key did not appear before the deadline (or that posted a failure first)."""
        pending = dict(keys)
        while pending:
            for r, key in list(pending.items()):
                if self.store.check([key]):
                    del pending[r]
                elif failed(r):
                    return [r]
            if not pending:
                break
            if time.monotonic() > deadline:
                return sorted(pending)
            time.sleep(POLL_S)
        return []

    def _posted_failure(self, n: int) -> Callable[[int], bool]:
        return lambda r: self.store.check([f"status/{n}/{r}"])

    # -- rank 0 ----------------------------------------------------------------------------------
    def broadcast(self, verb: str, args: dict[str, Any], frame: bytes | None) -> int:
        self.counter += 1
        n = self.counter
        if n > 1:
            self._forget(n - 1)
        self.current = n
        self.store.set(f"cmd/{n}", pickle.dumps((verb, args, frame), protocol=pickle.HIGHEST_PROTOCOL))
        return n

    def collect(self, n: int, verb: str) -> dict[int, tuple[str, Any]]:
        keys = {r: f"status/{n}/{r}" for r in range(1, self.world_size)}
        missing = self._wait(keys, time.monotonic() + rank_timeout_s())
        if missing:
            raise RankFailedError(f"rank {missing[0]} did not finish {verb} within {rank_timeout_s():g} s (PHYSARUM_TRAINER_RANK_TIMEOUT_S)",
                                  rank=missing[0], verb=verb)
        return {r: pickle.loads(self.store.get(key)) for r, key in keys.items()}

    def _forget(self, n: int) -> None:
        keys = [f"cmd/{n}"] + [f"status/{n}/{r}" for r in range(self.world_size)]
        keys += [f"agree/{n}/{p}/{r}" for p in self.phases for r in range(self.world_size)]
        for key in keys:
            try:
                self.store.delete_key(key)
            except Exception:  # noqa: BLE001 - a key that was never set
                pass

    # -- every rank ------------------------------------------------------------------------------
    def agree(self, error: BaseException | None, phase: str) -> None:
        """Say whether this rank failed before `phase`'s collective; raise RankFailedError when
        another rank failed or never arrived. The failing rank itself returns (it raises its own)."""
        n = self.current
        mine = "ok" if error is None else f"{type(error).__name__}: {error}"
        self.store.set(f"agree/{n}/{phase}/{self.rank}", mine.encode())
        self.phases.add(phase)
        if error is not None:
            return
        others = {r: f"agree/{n}/{phase}/{r}" for r in range(self.world_size) if r != self.rank}
        missing = self._wait(others, time.monotonic() + rank_timeout_s(), self._posted_failure(n))
        if missing:
            raise RankFailedError(f"rank {missing[0]} did not reach {phase} (failed, died or timed out)", rank=missing[0], verb=phase)
        for r in sorted(others):
            said = self.store.get(others[r]).decode()
            if said != "ok":
                raise RankFailedError(f"rank {r} failed in {phase}: {said}", rank=r, verb=phase)

    def post_status(self, n: int, outcome: tuple[str, Any]) -> None:
        self.store.set(f"status/{n}/{self.rank}", pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))

    def next_command(self) -> tuple[int, str, dict[str, Any], bytes | None]:
        """Block (polling) until rank 0 posts the next command; exit when rank 0 is gone."""
        n = self.counter + 1
        key = f"cmd/{n}"
        while True:
            try:
                if self.store.check([key]):
                    verb, args, frame = pickle.loads(self.store.get(key))
                    self.counter = self.current = n
                    return n, verb, args, frame
            except Exception as error:  # noqa: BLE001 - the store's host (rank 0) went away
                print(f"physarum worker rank {self.rank}: rank 0 is gone ({error}); exiting", file=sys.stderr)
                os._exit(1)
            time.sleep(0.02)
