"""`python -m physarum_trainer.worker --host 127.0.0.1 --port 0 [--token-env NAME]`

Rank 0 serves the trainer RPC and prints one stdout line when it listens:
    PHYSARUM_WORKER_READY {"url": "http://127.0.0.1:PORT", "pid": 123}
Under torchrun every other rank waits for rank 0's commands. SIGTERM/SIGINT end it after the verb
in flight (exit 0); so does EOF on stdin (the parent died), unless --no-stdin-watch.
"""
from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import signal
import sys
import threading
from datetime import timedelta

LOOPBACK = ("localhost",)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m physarum_trainer.worker", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token-env", default="PHYSARUM_WORKER_TOKEN", help="environment variable holding the bearer token")
    parser.add_argument("--no-stdin-watch", action="store_true", help="do not exit when stdin reaches EOF")
    return parser.parse_args(argv)


def init_distributed() -> tuple[int, int, object]:
    """(rank, world size, group) from torchrun's environment; a single process needs no group."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return 0, 1, None
    import torch
    import torch.distributed as dist

    timeout = timedelta(seconds=float(os.environ.get("PHYSARUM_TRAINER_COLLECTIVE_TIMEOUT_S", "300")))
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group(backend, timeout=timeout)
    return dist.get_rank(), world, dist.group.WORLD


def watch_stdin(stop: callable) -> None:
    def run() -> None:
        try:
            while os.read(0, 65536):  # the raw fd: a BufferedReader's lock would block interpreter exit
                pass
        except (OSError, ValueError):
            pass
        stop("stdin closed (the parent process is gone)")

    threading.Thread(target=run, name="physarum-stdin-watch", daemon=True).start()


async def serve(service, host: str, port: int, token: str | None) -> None:
    from aiohttp import web

    from .server import make_app

    done = asyncio.Event()
    loop = asyncio.get_running_loop()

    def stop(reason: str = "") -> None:
        if reason:
            print(f"physarum worker: {reason}; exiting", file=sys.stderr)
        loop.call_soon_threadsafe(done.set)

    app = make_app(service, token=token, on_shutdown=stop)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = site._server.sockets[0].getsockname()  # type: ignore[union-attr]
    shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
    print("PHYSARUM_WORKER_READY " + json.dumps({"url": f"http://{shown}:{bound[1]}", "pid": os.getpid()}), flush=True)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop, f"signal {sig.name}")
    if not serve.no_stdin_watch:  # type: ignore[attr-defined]
        watch_stdin(stop)
    await done.wait()
    await runner.cleanup()  # waits for the verb in flight


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    token = os.environ.get(args.token_env) or None
    if token is None and not is_loopback(args.host):
        print(f"physarum worker: --host {args.host} is not loopback; set a token in ${args.token_env}", file=sys.stderr)
        return 2
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    rank, world, group = init_distributed()
    from .relay import Relay
    from .service import WorkerService

    relay = Relay.connect(rank, world) if world > 1 else None
    service = WorkerService(rank, world, relay, group)
    if rank != 0:
        return follow(service, relay)
    serve.no_stdin_watch = args.no_stdin_watch  # type: ignore[attr-defined]
    asyncio.run(serve(service, args.host, args.port, token))
    if relay is not None:
        if not service.shut_down:  # a signal or stdin EOF, not the shutdown verb: tell the other ranks
            n = relay.broadcast("shutdown", {}, None)
            relay.post_status(n, ("ok", {}))
            try:
                relay.collect(n, "shutdown")
            except Exception as error:  # noqa: BLE001 - leaving anyway; say why the others may linger
                print(f"physarum worker: {error}", file=sys.stderr)
        import torch.distributed as dist

        dist.destroy_process_group()
    return 0


def follow(service, relay) -> int:
    """Ranks other than 0: run each command rank 0 posts, report the outcome, until shutdown."""
    from .relay import error_wire

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # torchrun forwards Ctrl-C; rank 0 decides when to stop
    while True:
        n, verb, args, frame = relay.next_command()
        try:
            outcome = ("ok", service.execute(verb, args, frame))
        except Exception as error:  # noqa: BLE001 - reported to rank 0, which names this rank
            outcome = ("error", error_wire(error, relay.rank, verb))
        relay.post_status(n, outcome)
        if verb == "shutdown":
            return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # do not wait for the stdin watcher or a verb thread stuck in a dead collective
