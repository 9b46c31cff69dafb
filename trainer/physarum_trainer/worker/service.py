"""The verbs. Rank 0 validates a request (`prepare`: 4xx errors never reach the other ranks),
relays it, runs it itself (`execute`, the same code on every rank), collects every rank's outcome
and builds the answer (`finish`)."""
from __future__ import annotations

import importlib
import time
from pathlib import Path
from typing import Any

import msgpack
import numpy as np

from ..batch import decode_trainer_batch
from ..errors import (BackendUnavailableError, InvalidInputError, NotInitializedError, PhysarumTrainerError, RankFailedError,
                      WireError)
from ..losses import LossConfig, batch_totals
from ..backends.base import RankContext
from . import checkpoint_dir, records
from .budget import check_frame
from .export import export_weights
from .faults import maybe_fail
from .relay import Relay, error_wire

FRAME_VERBS = ("compute_logprobs", "train_step")
ARG_RECORDS = {"init": "WorkerInitConfig", "compute_logprobs": "ComputeLogprobsArgs", "train_step": "TrainStepArgs",
               "save": "SaveArgs", "load": "LoadArgs", "export_weights": "ExportWeightsArgs"}
VERBS = ("init", "compute_logprobs", "train_step", "save", "load", "export_weights", "stats", "shutdown")


class ReportedError(PhysarumTrainerError):
    """An error another rank reported, re-raised on rank 0 with its code."""

    def __init__(self, wire: dict[str, Any]) -> None:
        super().__init__(wire["message"], rank=wire.get("rank"), verb=wire.get("verb"))
        self.code = wire["code"]
        self.http_status = wire.get("status", 500)


def deal(batch: Any, rank: int, dp: int) -> list[tuple[int, Any]]:
    """(frame position, micro-batch) pairs of this rank: the frame's own split when its dpSize
    matches, else micro-batch i of the flattened frame goes to rank i mod dp."""
    flat = [mb for r in batch.ranks for mb in r]
    if batch.dp_size == dp:
        start = sum(len(r) for r in batch.ranks[:rank])
        return list(enumerate(batch.ranks[rank], start))
    return [(i, mb) for i, mb in enumerate(flat) if i % dp == rank]


class WorkerService:
    def __init__(self, rank: int = 0, world_size: int = 1, relay: Relay | None = None, group: Any = None) -> None:
        self.rank, self.world_size, self.relay, self.group = rank, world_size, relay, group
        self.backend: Any = None
        self.cfg: dict[str, Any] | None = None
        self.loss: LossConfig | None = None
        self.step: int | None = None
        self.shut_down = False
        self.tiny_tmp: Any = None
        self.started = time.monotonic()

    def context(self) -> RankContext:
        agree = self.relay.agree if self.relay else (lambda error, phase: None)
        return RankContext(rank=self.rank, world_size=self.world_size, dp_rank=self.rank, dp_size=self.world_size,
                           group=self.group, agree=agree)

    # -- rank 0 ----------------------------------------------------------------------------------
    def handle(self, verb: str, raw_args: Any, frame: bytes | None) -> Any:
        if verb not in VERBS:
            raise InvalidInputError(f"unknown verb {verb!r}; verbs: {', '.join(VERBS)}", verb=verb)
        started = time.perf_counter()
        args = records.parse(ARG_RECORDS[verb], raw_args) if verb in ARG_RECORDS else records.empty_args(raw_args or {}, "")
        if verb == "train_step" and isinstance(raw_args, dict) and "loss" in raw_args:
            args["loss"] = raw_args["loss"]  # validated above; merged key by key into the init's loss
        if verb == "stats":
            return self.stats()
        if verb not in ("init", "shutdown") and self.backend is None:
            raise NotInitializedError(f"{verb} before init: call init first", verb=verb)
        decode_s = 0.0
        batch = manifest = None
        if verb in FRAME_VERBS:
            if frame is None:
                raise WireError(f"{verb} takes a trainer-batch frame as its body", verb=verb)
            t0 = time.perf_counter()
            batch = decode_trainer_batch(frame)
            decode_s = time.perf_counter() - t0
            check_frame(batch, self.backend.info(), self.cfg)
        partial = None
        if verb == "save":
            partial = checkpoint_dir.begin(Path(args["dir"]))
            args = {**args, "partial": str(partial)}
        if verb == "load":
            manifest = checkpoint_dir.read_manifest(Path(args["dir"]))
        if verb == "init" and "tiny" in args["model"]:
            # Written once, by rank 0, and read by every rank (transformers saves only on rank 0 under
            # torch.distributed); so a tiny model needs the ranks on one machine.
            from ..model_source import model_directory

            model_dir, self.tiny_tmp = model_directory(args["model"])
            args = {**args, "model": {"path": str(model_dir)}}
        n = self.relay.broadcast(verb, args, frame) if self.relay else 0
        try:
            local = self.execute(verb, args, frame)
            outcome: tuple[str, Any] = ("ok", local)
        except Exception as error:  # noqa: BLE001 - every failure is reported, then re-raised below
            outcome = ("error", error_wire(error, self.rank, verb))
            local_error: BaseException | None = error
        else:
            local_error = None
        others: dict[int, tuple[str, Any]] = {}
        if self.relay:
            self.relay.post_status(n, outcome)
            others = self.relay.collect(n, verb)
        failed = [(r, o[1]) for r, o in sorted(others.items()) if o[0] == "error"]
        if failed:
            if partial:
                checkpoint_dir.abandon(partial)
            r, wire = failed[0]
            raise RankFailedError(f"rank {r} failed in {verb}: {wire['code']}: {wire['message']}", rank=r, verb=verb)
        if local_error is not None:
            if partial:
                checkpoint_dir.abandon(partial)
            raise local_error
        results = {0: local, **{r: o[1] for r, o in others.items()}}
        return self.finish(verb, args, results, started, decode_s, manifest, batch)

    def finish(self, verb: str, args: dict[str, Any], results: dict[int, Any], started: float, decode_s: float,
               manifest: dict[str, Any] | None, batch: Any) -> Any:
        if verb == "init":
            self.step = None
            return results[0]
        if verb == "train_step":
            self.step = args["step"]
            metrics = dict(results[0])
            step_s = time.perf_counter() - started
            tokens = int(batch.totals["tokens"])
            metrics.update(tokens=tokens, samples=int(batch.totals["samples"]), step_s=step_s, frame_decode_s=decode_s,
                           tokens_per_s=tokens / step_s if step_s > 0 else 0.0,
                           peak_memory_mb=max(float(r.get("peak_memory_mb", 0.0)) for r in results.values()))
            return {"step": args["step"], "metrics": metrics}
        if verb == "compute_logprobs":
            return self._logprobs_answer(batch, results)
        if verb == "save":
            meta = {"step": args["step"], "cursor": args.get("cursor"), "worldSize": self.world_size, "backend": self.backend.name}
            return {"dir": str(checkpoint_dir.finish(Path(args["partial"]), Path(args["dir"]), meta))}
        if verb == "load":
            self.step = int(manifest["step"])
            return {"step": self.step, "cursor": manifest.get("cursor")}
        return results[0]

    @staticmethod
    def _logprobs_answer(batch: Any, results: dict[int, Any]) -> bytes:
        # Ranks of one tensor-parallel group answer the same micro-batches: keep one answer per position.
        unique = {pos: res for _, rank_result in sorted(results.items(), reverse=True) for pos, res in rank_result}
        placed = sorted(unique.items(), key=lambda item: item[0])
        flat = [mb for r in batch.ranks for mb in r]
        ids: list[str] = []
        lengths: list[int] = []
        for pos, _ in placed:
            ids += flat[pos].rollout_ids
            lengths += [int(x) for x in flat[pos].response_lengths]
        logp = np.concatenate([res.log_probs for _, res in placed] or [np.zeros(0, np.float32)]).astype("<f4")
        ent = np.concatenate([res.entropy for _, res in placed] or [np.zeros(0, np.float32)]).astype("<f4")
        return msgpack.packb({"rolloutIds": ids, "responseLengths": lengths, "logProbs": logp.tobytes(), "entropy": ent.tobytes()})

    def stats(self) -> dict[str, Any]:
        extra = self.backend.stats() if self.backend is not None else {}
        return {"initialized": self.backend is not None, "step": self.step,
                "backend": self.backend.name if self.backend is not None else None,
                "device": extra.get("device"), "tokensTrained": int(extra.get("tokensTrained", 0)),
                "peakMemoryMb": float(extra.get("peakMemoryMb", 0.0)), "uptimeS": time.monotonic() - self.started}

    # -- every rank ------------------------------------------------------------------------------
    def execute(self, verb: str, args: dict[str, Any], frame: bytes | None) -> Any:
        if verb == "init":
            return self._init(args)
        if verb == "shutdown":
            self.shut_down = True
            return {}
        if verb in FRAME_VERBS:
            batch = decode_trainer_batch(frame)
            mine = deal(batch, *self.backend.data_parallel())
            if verb == "compute_logprobs":
                temperature = args.get("temperature", self.loss.temperature)
                out = self.backend.compute_logprobs([mb for _, mb in mine], temperature, args["model"])
                return [(pos, res) for (pos, _), res in zip(mine, out)]
            loss = self.loss.merged(args.get("loss")) if args.get("loss") else self.loss
            totals = batch_totals([mb for r in batch.ranks for mb in r])
            metrics = self.backend.train_step([mb for _, mb in mine], loss, args["step"], totals=totals,
                                              temperature=args.get("temperature", loss.temperature))
            metrics["peak_memory_mb"] = float(self.backend.stats().get("peakMemoryMb", 0.0))
            return metrics
        if verb == "save":
            self.backend.save(Path(args["partial"]))
            maybe_fail(self.rank, "save")
            return {}
        if verb == "load":
            self.backend.load(Path(args["dir"]).expanduser())
            return {}
        if verb == "export_weights":
            if self.rank != 0 and not self.backend.exports_on_all_ranks:
                return {}
            state = self.backend.export_state_dict_hf()
            if self.rank != 0:
                return {}
            return export_weights(args["format"], Path(args["dir"]), args["version"], state, self.backend.hf_config(),
                                  self.backend.tokenizer_dir())
        raise InvalidInputError(f"unknown verb {verb!r}", verb=verb)

    def _init(self, cfg: dict[str, Any]) -> dict[str, Any]:
        if self.backend is not None:
            self.backend.close()
            self.backend = None
        dp = cfg["parallelism"].get("dp")
        if cfg["backend"] == "torch_hf" and (cfg["parallelism"]["tp"] != 1 or cfg["parallelism"]["pp"] != 1):
            raise InvalidInputError("parallelism: torch_hf runs data-parallel only (tp and pp must be 1; use the megatron backend)")
        if dp is not None and cfg["backend"] == "torch_hf" and dp != self.world_size:
            raise InvalidInputError(f"parallelism.dp is {dp} but the worker has {self.world_size} ranks (torchrun --nproc-per-node)")
        self.loss = LossConfig.from_wire(cfg.get("loss"))
        self.cfg = cfg
        import torch

        if cfg.get("threads") is not None:
            # Before the model loads: on a small machine a rollout overlapping the train step needs a
            # core, and torch's threads wait on each other at every op when one of them is preempted.
            torch.set_num_threads(cfg["threads"])
        if cfg["backend"] == "torch_hf":
            from ..backends.torch_hf import TorchHfBackend

            self.backend = TorchHfBackend(cfg, self.context())
        else:
            try:
                module = importlib.import_module("physarum_trainer.megatron.backend")
            except (ImportError, BackendUnavailableError) as error:
                raise BackendUnavailableError(f"backend 'megatron' is unavailable here: {error} (megatron-core is a GPU-only optional import)") from error
            self.backend = module.MegatronBackend(cfg, self.context())
        return {**self.backend.info(), "threads": torch.get_num_threads()}
