"""The Sample record (docs/architecture.md, contract 4), mirrored from src/protocol/sample.ts.

Field names are snake_case here and camelCase on the wire; ``Sample.from_dict`` validates a wire
dict exactly as the TypeScript zod schema does (same defaults, same rejections), and
``Sample.to_dict`` gives the wire form back. tests/vectors/sample-*.json keep the two equal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidInputError

SAMPLE_SCHEMA_VERSION = 1

SAMPLE_STATUSES = (
    "completed",
    "truncated",
    "aborted",
    "env_error",
    "sandbox_error",
    "model_error",
    "tool_timeout",
    "verifier_error",
)
INFRASTRUCTURE_FAILURES = frozenset({"env_error", "sandbox_error", "model_error", "verifier_error"})
SPAN_KINDS = ("prompt", "sampled", "tool", "user", "scaffold")
MESSAGE_ROLES = ("system", "user", "assistant", "tool")


class SampleValidationError(InvalidInputError):
    """A Sample dict breaks the schema; the message names the field. Same code as TS InvalidInputError."""


def _fail(path: str, message: str) -> None:
    raise SampleValidationError(f"{path}: {message}")


def _is_int(value: Any) -> bool:
    # bool is an int subclass in Python but not a number in JSON/zod.
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and value.is_integer()


def _nonneg_int(value: Any, path: str) -> int:
    if not _is_int(value) or value < 0:
        _fail(path, f"expected a non-negative integer, got {value!r}")
    return int(value)


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        _fail(path, f"expected a finite number, got {value!r}")
    return value


def _string(value: Any, path: str, *, min_length: int = 0) -> str:
    if not isinstance(value, str) or len(value) < min_length:
        _fail(path, f"expected a string{' (non-empty)' if min_length else ''}, got {value!r}")
    return value


def _list(value: Any, path: str) -> list:
    if not isinstance(value, list):
        _fail(path, f"expected a list, got {type(value).__name__}")
    return value


def _record(value: Any, path: str) -> dict:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        _fail(path, f"expected an object with string keys, got {type(value).__name__}")
    return value


def _message(value: Any, path: str) -> dict:
    m = _record(value, path)
    if m.get("role") not in MESSAGE_ROLES:
        _fail(f"{path}.role", f"expected one of {MESSAGE_ROLES}, got {m.get('role')!r}")
    out: dict[str, Any] = {"role": m["role"], "content": _string(m.get("content"), f"{path}.content")}
    for key in ("reasoningContent", "toolCallId", "name"):
        if key in m and m[key] is not None:
            out[key] = _string(m[key], f"{path}.{key}")
    if m.get("toolCalls") is not None:
        calls = []
        for i, c in enumerate(_list(m["toolCalls"], f"{path}.toolCalls")):
            c = _record(c, f"{path}.toolCalls.{i}")
            calls.append({"id": _string(c.get("id"), f"{path}.toolCalls.{i}.id"), "name": _string(c.get("name"), f"{path}.toolCalls.{i}.name"), "arguments": c.get("arguments")})
        out["toolCalls"] = calls
    return out


def _span(value: Any, path: str) -> dict:
    s = _record(value, path)
    if s.get("kind") not in SPAN_KINDS:
        _fail(f"{path}.kind", f"expected one of {SPAN_KINDS}, got {s.get('kind')!r}")
    out: dict[str, Any] = {"kind": s["kind"]}
    for key in ("start", "end", "turn"):
        out[key] = _nonneg_int(s.get(key), f"{path}.{key}")
    for key in ("weightVersion", "toolName"):
        if key in s and s[key] is not None:
            out[key] = _string(s[key], f"{path}.{key}")
    return out


@dataclass
class Sample:
    """slime's Sample plus spans, agent and fork index. Arrays stay plain lists here; batch.py is the hot path."""

    index: int
    group_index: int
    rollout_id: str
    prompt: str | list[dict[str, Any]]
    tokens: list[int]
    response_length: int
    response: str
    loss_mask: list[int]
    rollout_log_probs: list[float]
    reward: float | None
    status: str
    weight_versions: list[str]
    spans: list[dict[str, Any]]
    turns: int
    fork_index: int = 0
    agent: str = "policy"
    label: Any = None
    has_label: bool = False
    rewards: dict[str, float] = field(default_factory=dict)
    status_reason: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    schema_version: int = SAMPLE_SCHEMA_VERSION

    @property
    def prompt_length(self) -> int:
        return len(self.tokens) - self.response_length

    @property
    def is_infrastructure_failure(self) -> bool:
        return self.status in INFRASTRUCTURE_FAILURES

    @staticmethod
    def from_dict(data: Any) -> "Sample":
        """Validate a camelCase wire dict; raises SampleValidationError naming the field."""
        d = _record(data, "(root)")
        if d.get("schemaVersion") != SAMPLE_SCHEMA_VERSION or isinstance(d.get("schemaVersion"), bool):
            _fail("schemaVersion", f"expected {SAMPLE_SCHEMA_VERSION}, got {d.get('schemaVersion')!r}")
        prompt = d.get("prompt")
        if isinstance(prompt, list):
            prompt = [_message(m, f"prompt.{i}") for i, m in enumerate(prompt)]
        elif not isinstance(prompt, str):
            _fail("prompt", f"expected a string or a list of messages, got {type(prompt).__name__}")
        tokens = [_nonneg_int(t, f"tokens.{i}") for i, t in enumerate(_list(d.get("tokens"), "tokens"))]
        n = _nonneg_int(d.get("responseLength"), "responseLength")
        loss_mask = _list(d.get("lossMask"), "lossMask")
        for i, m in enumerate(loss_mask):
            if isinstance(m, bool) or m not in (0, 1):
                _fail(f"lossMask.{i}", f"expected 0 or 1, got {m!r}")
        log_probs = [_number(v, f"rolloutLogProbs.{i}") for i, v in enumerate(_list(d.get("rolloutLogProbs"), "rolloutLogProbs"))]
        if "reward" not in d:
            _fail("reward", "required: a number, or null when the status excludes it")
        reward = None if d["reward"] is None else _number(d["reward"], "reward")
        status = d.get("status")
        if status not in SAMPLE_STATUSES:
            _fail("status", f"expected one of {SAMPLE_STATUSES}, got {status!r}")
        rewards = {k: _number(v, f"rewards.{k}") for k, v in _record(d.get("rewards", {}), "rewards").items()}
        sample = Sample(
            index=_nonneg_int(d.get("index"), "index"),
            group_index=_nonneg_int(d.get("groupIndex"), "groupIndex"),
            rollout_id=_string(d.get("rolloutId"), "rolloutId", min_length=1),
            fork_index=_nonneg_int(d.get("forkIndex", 0), "forkIndex"),
            agent=_string(d.get("agent", "policy"), "agent", min_length=1),
            prompt=prompt,
            label=d.get("label"),
            has_label="label" in d,
            tokens=tokens,
            response_length=n,
            response=_string(d.get("response"), "response"),
            loss_mask=[int(m) for m in loss_mask],
            rollout_log_probs=log_probs,
            reward=reward,
            rewards=rewards,
            status=status,
            status_reason=None if d.get("statusReason") is None else _string(d["statusReason"], "statusReason"),
            weight_versions=[_string(v, f"weightVersions.{i}") for i, v in enumerate(_list(d.get("weightVersions"), "weightVersions"))],
            spans=[_span(s, f"spans.{i}") for i, s in enumerate(_list(d.get("spans"), "spans"))],
            turns=_nonneg_int(d.get("turns"), "turns"),
            metadata=dict(_record(d.get("metadata", {}), "metadata")),
        )
        sample.check_lengths()
        return sample

    def check_lengths(self) -> None:
        """The cross-field rules of the TS schema's refinement."""
        n = self.response_length
        if n > len(self.tokens):
            _fail("responseLength", f"responseLength {n} exceeds tokens.length {len(self.tokens)}")
        if len(self.loss_mask) != n:
            _fail("lossMask", f"lossMask has {len(self.loss_mask)} entries, responseLength is {n}")
        if len(self.rollout_log_probs) != n:
            _fail("rolloutLogProbs", f"rolloutLogProbs has {len(self.rollout_log_probs)} entries, responseLength is {n}")
        for i, s in enumerate(self.spans):
            if s["end"] < s["start"] or s["end"] > len(self.tokens):
                _fail(f"spans.{i}", f"span [{s['start']}, {s['end']}) is outside tokens (length {len(self.tokens)})")

    def to_dict(self) -> dict[str, Any]:
        """The camelCase wire dict, with defaults filled in (what TS `Sample.parse` returns)."""
        out: dict[str, Any] = {
            "schemaVersion": self.schema_version,
            "index": self.index,
            "groupIndex": self.group_index,
            "rolloutId": self.rollout_id,
            "forkIndex": self.fork_index,
            "agent": self.agent,
            "prompt": self.prompt,
        }
        if self.has_label:
            out["label"] = self.label
        out.update(
            tokens=self.tokens,
            responseLength=self.response_length,
            response=self.response,
            lossMask=self.loss_mask,
            rolloutLogProbs=self.rollout_log_probs,
            reward=self.reward,
            rewards=self.rewards,
            status=self.status,
        )
        if self.status_reason is not None:
            out["statusReason"] = self.status_reason
        out.update(weightVersions=self.weight_versions, spans=self.spans, turns=self.turns, metadata=self.metadata)
        return out
