"""The trainer's errors: one base, one class per failure family, each with the stable ``code`` the
TypeScript side uses (src/protocol/errors.ts; tests/vectors/error-codes.json keeps the two equal).

The RPC server turns any ``PhysarumTrainerError`` into ``{"ok": false, "error": err.to_wire()}``
with ``err.http_status`` (4xx: the caller's fault, 5xx: the worker's). Callers match on ``code``,
never on message text.
"""

from __future__ import annotations

from typing import Any


class PhysarumTrainerError(Exception):
    """Base of every error the worker reports; ``rank``/``verb`` say where it happened when known."""

    code = "PHYSARUM_TRAINER"
    http_status = 500

    def __init__(self, message: str, *, rank: int | None = None, verb: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.rank = rank
        self.verb = verb

    def to_wire(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "rank": self.rank, "verb": self.verb}


class TrainerError(PhysarumTrainerError):
    """Anything else that went wrong inside the worker."""


class InvalidInputError(PhysarumTrainerError, ValueError):
    """A caller-supplied value (argument, config field, flag) is wrong; the message names it."""

    code = "PHYSARUM_INVALID_INPUT"
    http_status = 400


class WireError(PhysarumTrainerError, ValueError):
    """A malformed trainer-batch frame or one of the wrong version (same code as the TS WireError)."""

    code = "PHYSARUM_WIRE"
    http_status = 400


class NotInitializedError(PhysarumTrainerError):
    """A verb that needs a model was called before ``init``."""

    code = "PHYSARUM_TRAINER_NOT_INITIALIZED"
    http_status = 409


class ModelNotFoundError(PhysarumTrainerError):
    """The model path given to ``init`` (or a reference path) does not exist or is not a model."""

    code = "PHYSARUM_TRAINER_MODEL_NOT_FOUND"
    http_status = 404


class MemoryBudgetError(PhysarumTrainerError):
    """A batch (or micro-batch) is larger than the configured memory budget."""

    code = "PHYSARUM_TRAINER_MEMORY_BUDGET"
    http_status = 413


class RankFailedError(PhysarumTrainerError):
    """A rank failed or timed out; ``rank`` names it. The whole step fails, never hangs."""

    code = "PHYSARUM_TRAINER_RANK_FAILED"
    http_status = 500


class CheckpointError(PhysarumTrainerError):
    """A checkpoint could not be written, or the one asked for is missing or incomplete."""

    code = "PHYSARUM_TRAINER_CHECKPOINT"
    http_status = 500


class BackendUnavailableError(PhysarumTrainerError):
    """The requested backend cannot run here (e.g. megatron-core is not importable)."""

    code = "PHYSARUM_TRAINER_BACKEND_UNAVAILABLE"
    http_status = 501


ERROR_CLASSES: tuple[type[PhysarumTrainerError], ...] = (
    TrainerError,
    InvalidInputError,
    WireError,
    NotInitializedError,
    ModelNotFoundError,
    MemoryBudgetError,
    RankFailedError,
    CheckpointError,
    BackendUnavailableError,
)
