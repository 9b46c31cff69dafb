"""The worker's RPC records, mirrored from src/protocol/trainer-rpc.ts (zod).

Each `parse_*` takes the wire dict (camelCase) and returns it normalised exactly as zod's parse
does (defaults filled, unknown fields refused); a bad value raises InvalidRecord naming the field
path. tests/vectors/trainer-rpc.json keeps this file and the TypeScript schemas equal.
"""
from __future__ import annotations

import math
from typing import Any, Callable

from ..errors import InvalidInputError

Check = Callable[[Any, str], Any]
_MISSING = object()


class InvalidRecord(InvalidInputError):
    """A record field is wrong; the message starts with the field path."""


def _fail(path: str, message: str) -> None:
    raise InvalidRecord(f"{path}: {message}")


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def number(*, gt: float | None = None, ge: float | None = None, lt: float | None = None, integer: bool = False) -> Check:
    def check(v: Any, path: str) -> Any:
        if not _is_num(v):
            _fail(path, f"expected a number, got {v!r}")
        if integer and float(v) != int(v):
            _fail(path, f"expected an integer, got {v!r}")
        if gt is not None and not v > gt:
            _fail(path, f"must be > {gt}, got {v!r}")
        if ge is not None and not v >= ge:
            _fail(path, f"must be >= {ge}, got {v!r}")
        if lt is not None and not v < lt:
            _fail(path, f"must be < {lt}, got {v!r}")
        return int(v) if integer else v
    return check


def enum(*values: Any) -> Check:
    def check(v: Any, path: str) -> Any:
        if v not in values or isinstance(v, bool):
            _fail(path, f"expected one of {', '.join(map(repr, values))}, got {v!r}")
        return v
    return check


def string(v: Any, path: str) -> str:
    if not isinstance(v, str) or not v:
        _fail(path, f"expected a non-empty string, got {v!r}")
    return v


def boolean(v: Any, path: str) -> bool:
    if not isinstance(v, bool):
        _fail(path, f"expected a boolean, got {v!r}")
    return v


def anything(v: Any, path: str) -> Any:
    return v


def nullable(inner: Check) -> Check:
    return lambda v, path: None if v is None else inner(v, path)


def array(inner: Check, *, min_len: int = 0) -> Check:
    def check(v: Any, path: str) -> list[Any]:
        if not isinstance(v, list):
            _fail(path, f"expected an array, got {v!r}")
        if len(v) < min_len:
            _fail(path, f"expected at least {min_len} items")
        return [inner(x, f"{path}.{i}") for i, x in enumerate(v)]
    return check


def tuple_of(*items: Check) -> Check:
    def check(v: Any, path: str) -> list[Any]:
        if not isinstance(v, list) or len(v) != len(items):
            _fail(path, f"expected an array of {len(items)} items, got {v!r}")
        return [c(x, f"{path}.{i}") for i, (c, x) in enumerate(zip(items, v))]
    return check


def record(v: Any, path: str) -> dict[str, Any]:
    if not isinstance(v, dict):
        _fail(path, f"expected an object, got {v!r}")
    return dict(v)


def obj(fields: dict[str, tuple[Check, Any]], *, partial: bool = False) -> Check:
    """fields: name -> (check, default); default _MISSING = required, None-able defaults are values."""
    def check(v: Any, path: str) -> dict[str, Any]:
        if not isinstance(v, dict):
            _fail(path, f"expected an object, got {v!r}")
        unknown = sorted(set(v) - set(fields))
        if unknown:
            _fail(f"{path}.{unknown[0]}" if path else unknown[0], "unknown field")
        out: dict[str, Any] = {}
        for name, (inner, default) in fields.items():
            where = f"{path}.{name}" if path else name
            if name in v:
                out[name] = inner(v[name], where)
            elif partial or default is OPTIONAL:
                continue
            elif default is _MISSING:
                _fail(where, "required")
            else:
                out[name] = inner(default() if callable(default) else default, where)
        return out
    return check


OPTIONAL = object()
"""Default marker: the field may be absent and stays absent (zod's `.optional()`)."""


def union(*alternatives: Check) -> Check:
    def check(v: Any, path: str) -> Any:
        errors = []
        for alt in alternatives:
            try:
                return alt(v, path)
            except InvalidRecord as error:
                errors.append(str(error))
        _fail(path, "matches no alternative (" + "; ".join(errors) + ")")
    return check


_pos = number(gt=0)
_nonneg = number(ge=0)
_pos_int = number(gt=0, integer=True)
_nonneg_int = number(ge=0, integer=True)
_clip_mode = enum("off", "token", "sequence")

LOSS_FIELDS: dict[str, tuple[Check, Any]] = {
    "policyLoss": (enum("ppo", "gspo", "cispo", "reinforce", "sft"), "ppo"),
    "epsClip": (_nonneg, 0.2),
    "epsClipHigh": (nullable(_nonneg), None),
    "dualClipC": (nullable(number(gt=1)), None),
    "aggregation": (enum("token_mean", "seq_mean_token_mean", "seq_mean_token_sum_norm"), "token_mean"),
    "aggregationConstant": (nullable(_pos), None),
    "tis": (obj({"mode": (_clip_mode, "off"), "clipLow": (_nonneg, 0), "clipHigh": (_pos, 2)}), lambda: {}),
    "mis": (obj({"mode": (_clip_mode, "off"), "low": (_nonneg, 0.5), "high": (_pos, 2)}), lambda: {}),
    "kl": (obj({"coef": (_nonneg, 0), "type": (enum("k1", "k2", "k3"), "k3")}), lambda: {}),
    "entropyCoef": (number(), 0),
    "temperature": (_pos, 1),
}
loss_config = obj(LOSS_FIELDS)
loss_override = obj(LOSS_FIELDS, partial=True)

_tiny = obj({
    "layers": (_pos_int, _MISSING),
    "hidden": (number(ge=8, integer=True), _MISSING),
    "heads": (_pos_int, OPTIONAL),
    "vocab": (enum("bytes"), "bytes"),
    "seed": (_nonneg_int, 0),
})

init_config = obj({
    "backend": (enum("torch_hf", "megatron"), _MISSING),
    "model": (union(obj({"path": (string, _MISSING)}), obj({"tiny": (_tiny, _MISSING)})), _MISSING),
    "device": (enum("cpu", "cuda", "auto"), "auto"),
    "dtype": (enum("float32", "bfloat16"), OPTIONAL),
    "seed": (_nonneg_int, _MISSING),
    "optimizer": (obj({
        "name": (enum("adamw"), "adamw"),
        "lr": (_pos, 1e-5),
        "betas": (tuple_of(number(ge=0, lt=1), number(ge=0, lt=1)), lambda: [0.9, 0.999]),
        "eps": (_pos, 1e-8),
        "weightDecay": (_nonneg, 0),
        "clipGrad": (nullable(_pos), 1),
    }), lambda: {}),
    "scheduler": (obj({"warmupSteps": (_nonneg_int, 0), "minLr": (_nonneg, 0), "decaySteps": (nullable(_pos_int), None)}), lambda: {}),
    "loss": (loss_config, OPTIONAL),
    "reference": (union(enum("none", "initial"), obj({"path": (string, _MISSING)})), "none"),
    "lora": (obj({
        "r": (_pos_int, _MISSING),
        "alpha": (_pos, _MISSING),
        "dropout": (number(ge=0, lt=1), 0),
        "targetModules": (array(string, min_len=1), _MISSING),
    }), OPTIONAL),
    "parallelism": (obj({"tp": (_pos_int, 1), "pp": (_pos_int, 1), "dp": (_pos_int, OPTIONAL)}), lambda: {}),
    "microBatchTokens": (_pos_int, OPTIONAL),
    "memoryBudgetTokens": (_pos_int, OPTIONAL),
    "activationCheckpointing": (boolean, False),
    "threads": (_pos_int, OPTIONAL),
    "megatron": (record, lambda: {}),
})

compute_logprobs_args = obj({"model": (enum("actor", "reference"), "actor"), "temperature": (_pos, OPTIONAL)})
train_step_args = obj({"step": (_nonneg_int, _MISSING), "temperature": (_pos, OPTIONAL), "loss": (loss_override, OPTIONAL)})
save_args = obj({"dir": (string, _MISSING), "step": (_nonneg_int, _MISSING), "cursor": (anything, None)})
load_args = obj({"dir": (string, _MISSING)})
export_weights_args = obj({"format": (enum("gguf", "hf"), _MISSING), "dir": (string, _MISSING), "version": (_nonneg_int, _MISSING)})
empty_args = obj({})

RECORDS: dict[str, Check] = {
    "WorkerInitConfig": init_config,
    "LossConfig": loss_config,
    "ComputeLogprobsArgs": compute_logprobs_args,
    "TrainStepArgs": train_step_args,
    "SaveArgs": save_args,
    "LoadArgs": load_args,
    "ExportWeightsArgs": export_weights_args,
}


def parse(record_name: str, value: Any) -> dict[str, Any]:
    """Validate and normalise one wire record; raises InvalidRecord naming the field."""
    return RECORDS[record_name](value, "")
