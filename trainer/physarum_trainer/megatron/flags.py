"""``--megatron-<flag>`` pass-through: init's ``megatron: {flag: value}`` routed onto megatron-core's
config dataclasses (TransformerConfig, OptimizerConfig, DistributedDataParallelConfig).

Flags are kebab- or snake-case (``recompute-granularity`` == ``recompute_granularity``). A flag goes
to every config that has a field of that name (``bf16`` sets both TransformerConfig and
OptimizerConfig); a flag no config has is an InvalidInputError naming it, and so is a field the
backend derives from the model's HF config. String values (from a command line) are coerced to the
field's type when its default is a bool, int or float.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from ..errors import InvalidInputError

# Set from the HF config.json; overriding them would build a model that does not match the weights.
MODEL_OWNED = frozenset({
    "num_layers", "hidden_size", "num_attention_heads", "num_query_groups", "kv_channels", "ffn_hidden_size",
    "normalization", "gated_linear_unit", "activation_func", "add_bias_linear", "add_qkv_bias", "qk_layernorm",
    "layernorm_epsilon",
})


def _coerce(value: Any, default: Any, path: str) -> Any:
    if not isinstance(value, str) or default is None or isinstance(default, str):
        return value
    try:
        if isinstance(default, bool):
            if value.lower() in ("true", "1", "yes"):
                return True
            if value.lower() in ("false", "0", "no"):
                return False
            raise ValueError(value)
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
    except ValueError:
        raise InvalidInputError(f"{path}: {value!r} is not a valid {type(default).__name__}") from None
    return value


def route_flags(flags: Mapping[str, Any] | None, targets: Mapping[str, type]) -> dict[str, dict[str, Any]]:
    """{target name: {field: value}} for ``flags``; ``targets`` maps a name to a config dataclass."""
    routed: dict[str, dict[str, Any]] = {name: {} for name in targets}
    if not flags:
        return routed
    if not isinstance(flags, Mapping):
        raise InvalidInputError(f"megatron must be an object of flags, got {type(flags).__name__}")
    fields = {name: {f.name: f for f in dataclasses.fields(cls)} for name, cls in targets.items()}
    for flag, value in flags.items():
        key = flag.removeprefix("--").removeprefix("megatron-").replace("-", "_")
        path = f"megatron.{flag}"
        if key in MODEL_OWNED:
            raise InvalidInputError(f"{path} is set from the model's config.json and cannot be overridden")
        hits = [name for name in targets if key in fields[name]]
        if not hits:
            known = ", ".join(cls.__name__ for cls in targets.values())
            raise InvalidInputError(f"{path} is not a field of {known} (megatron-core {key!r} unknown)")
        for name in hits:
            f = fields[name][key]
            default = f.default if f.default is not dataclasses.MISSING else None
            routed[name][key] = _coerce(value, default, path)
    return routed
