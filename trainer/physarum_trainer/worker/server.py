"""The HTTP face of rank 0 (aiohttp): POST /v1/<verb>. One verb runs at a time, on a worker
thread, so the event loop keeps answering (and a stuck verb can still be reported by the relay's
deadlines). Errors become {"ok": false, "error": {code, message, rank, verb}} with 4xx/5xx."""
from __future__ import annotations

import asyncio
import hmac
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from aiohttp import web

from ..errors import InvalidInputError, PhysarumTrainerError
from .records import InvalidRecord
from .relay import error_wire
from .service import FRAME_VERBS, WorkerService

FRAME_CONTENT_TYPE = "application/vnd.physarum.trainer-batch"
ARGS_HEADER = "physarum-args"


def _error_response(error: BaseException, verb: str) -> web.Response:
    if isinstance(error, InvalidRecord):
        error = InvalidInputError(str(error))
    wire = error_wire(error, 0, verb)
    if not isinstance(error, PhysarumTrainerError):
        wire["rank"] = 0
    status = wire.pop("status", 500)
    return web.json_response({"ok": False, "error": wire}, status=status)


def make_app(service: WorkerService, *, token: str | None, on_shutdown: Callable[[], None]) -> web.Application:
    lock = asyncio.Lock()
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="physarum-verb")

    async def handle(request: web.Request) -> web.StreamResponse:
        verb = request.match_info["verb"]
        if token is not None:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return web.json_response({"ok": False, "error": {"code": "PHYSARUM_INVALID_INPUT", "message": "missing or wrong bearer token",
                                                                 "rank": None, "verb": verb}}, status=401)
        try:
            frame: bytes | None = None
            if verb in FRAME_VERBS:
                if request.content_type != FRAME_CONTENT_TYPE:
                    raise InvalidInputError(f"{verb} takes the trainer-batch frame with content-type {FRAME_CONTENT_TYPE}, got {request.content_type!r}")
                raw = request.headers.get(ARGS_HEADER, "{}")
                args: Any = json.loads(raw)
                frame = await request.read()
            else:
                body = await request.read()
                args = json.loads(body) if body.strip() else {}
        except json.JSONDecodeError as error:
            return _error_response(InvalidInputError(f"{verb}: arguments are not valid JSON: {error}"), verb)
        except PhysarumTrainerError as error:
            return _error_response(error, verb)
        async with lock:
            try:
                result = await asyncio.get_running_loop().run_in_executor(pool, service.handle, verb, args, frame)
            except Exception as error:  # noqa: BLE001 - every failure answers with its code
                return _error_response(error, verb)
        if verb == "shutdown":
            asyncio.get_running_loop().call_soon(on_shutdown)
        if isinstance(result, bytes):
            return web.Response(body=result, content_type="application/msgpack")
        return web.json_response({"ok": True, "result": result})

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "result": service.stats()})

    app = web.Application(client_max_size=1 << 34)
    app.router.add_post("/v1/{verb}", handle)
    app.router.add_get("/health", health)
    app.on_cleanup.append(lambda _app: asyncio.get_running_loop().run_in_executor(None, pool.shutdown, True))
    return app
