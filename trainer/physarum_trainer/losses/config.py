"""LossConfig: what the RPC's ``loss`` field (CONTRACT-trainer-rpc.md) means, validated.

Wire keys are camelCase with nested ``tis``/``mis``/``kl``; ``from_wire`` rejects unknown keys and
bad values with an InvalidInputError naming the field (``loss.tis.clipHigh``), and ``merged``
applies a per-step partial override the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from ..errors import InvalidInputError

POLICY_LOSSES = ("ppo", "gspo", "cispo", "reinforce", "sft")
AGGREGATIONS = ("token_mean", "seq_mean_token_mean", "seq_mean_token_sum_norm")
CORRECTION_MODES = ("off", "token", "sequence")
KL_TYPES = ("k1", "k2", "k3")


@dataclass(frozen=True)
class TisConfig:
    """Truncated importance sampling: weight = clamp(exp(trainer − rollout), clip_low, clip_high)."""

    mode: str = "off"
    clip_low: float = 0.0
    clip_high: float = 2.0


@dataclass(frozen=True)
class MisConfig:
    """Masked importance sampling: drop tokens/sequences whose ratio lies outside [low, high]."""

    mode: str = "off"
    low: float = 0.5
    high: float = 2.0


@dataclass(frozen=True)
class KlConfig:
    coef: float = 0.0
    type: str = "k3"


@dataclass(frozen=True)
class LossConfig:
    policy_loss: str = "ppo"
    eps_clip: float = 0.2
    eps_clip_high: float | None = None
    """None means the same as eps_clip (no clip-higher)."""
    dual_clip_c: float | None = None
    aggregation: str = "token_mean"
    aggregation_constant: float | None = None
    """Dr.GRPO's divisor; None means the batch's longest response."""
    tis: TisConfig = field(default_factory=TisConfig)
    mis: MisConfig = field(default_factory=MisConfig)
    kl: KlConfig = field(default_factory=KlConfig)
    entropy_coef: float = 0.0
    temperature: float = 1.0

    @property
    def eps_high(self) -> float:
        return self.eps_clip if self.eps_clip_high is None else self.eps_clip_high

    @classmethod
    def from_wire(cls, d: dict[str, Any] | None, path: str = "loss") -> "LossConfig":
        return _parse(cls, d if d is not None else {}, path)

    def to_wire(self) -> dict[str, Any]:
        return _unparse(self)

    def merged(self, override: dict[str, Any] | None, path: str = "loss") -> "LossConfig":
        """This config with a partial wire-form override applied (nested sections merge key by key)."""
        if not override:
            return self
        if not isinstance(override, dict):
            raise InvalidInputError(f"{path} must be an object, got {type(override).__name__}")
        wire = self.to_wire()
        for key, value in override.items():
            if isinstance(value, dict) and isinstance(wire.get(key), dict):
                wire[key] = {**wire[key], **value}
            else:
                wire[key] = value
        return LossConfig.from_wire(wire, path)

    def with_(self, **changes: Any) -> "LossConfig":
        return replace(self, **changes)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


def _number(value: Any, path: str, *, low: float | None = None, low_open: bool = False, nullable: bool = False) -> float | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidInputError(f"{path} must be a finite number{' or null' if nullable else ''}, got {value!r}")
    if low is not None and (value <= low if low_open else value < low):
        raise InvalidInputError(f"{path} must be {'>' if low_open else '>='} {low:g}, got {value!r}")
    return float(value)


def _choice(value: Any, path: str, options: tuple[str, ...]) -> str:
    if value not in options:
        raise InvalidInputError(f"{path} must be one of {', '.join(options)}; got {value!r}")
    return value


# field name -> validator(value, path); nested sections are parsed recursively.
_RULES: dict[type, dict[str, Any]] = {
    TisConfig: {
        "mode": lambda v, p: _choice(v, p, CORRECTION_MODES),
        "clip_low": lambda v, p: _number(v, p, low=0.0),
        "clip_high": lambda v, p: _number(v, p, low=0.0, low_open=True),
    },
    MisConfig: {
        "mode": lambda v, p: _choice(v, p, CORRECTION_MODES),
        "low": lambda v, p: _number(v, p, low=0.0),
        "high": lambda v, p: _number(v, p, low=0.0, low_open=True),
    },
    KlConfig: {
        "coef": lambda v, p: _number(v, p, low=0.0),
        "type": lambda v, p: _choice(v, p, KL_TYPES),
    },
    LossConfig: {
        "policy_loss": lambda v, p: _choice(v, p, POLICY_LOSSES),
        "eps_clip": lambda v, p: _number(v, p, low=0.0),
        "eps_clip_high": lambda v, p: _number(v, p, low=0.0, nullable=True),
        "dual_clip_c": lambda v, p: _number(v, p, low=1.0, low_open=True, nullable=True),
        "aggregation": lambda v, p: _choice(v, p, AGGREGATIONS),
        "aggregation_constant": lambda v, p: _number(v, p, low=0.0, low_open=True, nullable=True),
        "tis": lambda v, p: _parse(TisConfig, v, p),
        "mis": lambda v, p: _parse(MisConfig, v, p),
        "kl": lambda v, p: _parse(KlConfig, v, p),
        "entropy_coef": lambda v, p: _number(v, p),
        "temperature": lambda v, p: _number(v, p, low=0.0, low_open=True),
    },
}


def _parse(cls: type, d: Any, path: str) -> Any:
    if not isinstance(d, dict):
        raise InvalidInputError(f"{path} must be an object, got {type(d).__name__}")
    rules = _RULES[cls]
    by_wire = {_camel(name): name for name in rules}
    unknown = sorted(k for k in d if k not in by_wire)
    if unknown:
        raise InvalidInputError(f"{path}.{unknown[0]} is not a known field (known: {', '.join(by_wire)})")
    values = {by_wire[k]: rules[by_wire[k]](v, f"{path}.{k}") for k, v in d.items()}
    out = cls(**values)
    _check_ranges(out, path)
    return out


def _check_ranges(cfg: Any, path: str) -> None:
    if isinstance(cfg, TisConfig) and cfg.clip_high < cfg.clip_low:
        raise InvalidInputError(f"{path}.clipHigh ({cfg.clip_high:g}) must be >= clipLow ({cfg.clip_low:g})")
    if isinstance(cfg, MisConfig) and cfg.high < cfg.low:
        raise InvalidInputError(f"{path}.high ({cfg.high:g}) must be >= low ({cfg.low:g})")


def _unparse(cfg: Any) -> dict[str, Any]:
    out = {}
    for f in fields(cfg):
        value = getattr(cfg, f.name)
        out[_camel(f.name)] = _unparse(value) if type(value) in _RULES else value
    return out
