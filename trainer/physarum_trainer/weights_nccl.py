"""The NCCL weight path to SGLang (`init_weights_update_group` + `update_weights_from_distributed`).

The trainer is rank 0 of a group outside its own world, hosting the rendezvous store at
master_address:master_port; engine GPU i joins as rank_offset+i. The group is built the way
SGLang's `init_custom_process_group` builds it (tcp rendezvous, `PrefixStore(group_name)`, torch's
process-group helper), so both ends meet. Then, per bucket, the driver POSTs the bucket's
{names, dtypes, shapes} to every engine while the trainer broadcasts each tensor from rank 0 in
`names` order; the engine allocates `torch.empty(shape, dtype)` per name and receives it.
On CPU a gloo group stands in for NCCL (tests/test_weights_nccl.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Iterable, Mapping

import torch

DEFAULT_BUCKET_BYTES = 512 * 2**20  # slime's --update-weight-buffer-size default


@dataclass
class Bucket:
    names: list[str]
    tensors: list[torch.Tensor]

    def metadata(self) -> dict[str, Any]:
        """The body fields of SGLang's update_weights_from_distributed for this bucket."""
        return {"names": list(self.names), "dtypes": [dtype_name(t.dtype) for t in self.tensors],
                "shapes": [list(t.shape) for t in self.tensors]}

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in self.tensors)


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def plan_buckets(state: Mapping[str, torch.Tensor] | Iterable[tuple[str, torch.Tensor]], bucket_bytes: int = DEFAULT_BUCKET_BYTES,
                 dtype: torch.dtype | None = None) -> list[Bucket]:
    """Consecutive tensors (HF names, in the given order) in buckets of at most `bucket_bytes`;
    a tensor larger than that gets a bucket of its own. `dtype` casts (e.g. to the engine's bf16)."""
    if bucket_bytes < 1:
        raise ValueError(f"bucket_bytes must be >= 1, got {bucket_bytes}")
    items = state.items() if isinstance(state, Mapping) else state
    buckets: list[Bucket] = []
    current = Bucket([], [])
    for name, tensor in items:
        t = tensor.detach()
        if dtype is not None:
            t = t.to(dtype)
        size = t.numel() * t.element_size()
        if current.names and current.nbytes + size > bucket_bytes:
            buckets.append(current)
            current = Bucket([], [])
        current.names.append(name)
        current.tensors.append(t.contiguous())
    if current.names:
        buckets.append(current)
    return buckets


def init_weight_update_group(master_address: str, master_port: int, world_size: int, rank: int = 0,
                             group_name: str = "weight_update_group", backend: str = "nccl", timeout_s: float = 600) -> Any:
    """Join (rank 0: host) the group SGLang's engines join through /init_weights_update_group."""
    import torch.distributed as dist
    from torch.distributed import distributed_c10d as c10d

    timeout = timedelta(seconds=timeout_s)
    url = f"tcp://{master_address}:{master_port}"
    store, rank, world_size = next(dist.rendezvous(url, rank=rank, world_size=world_size, timeout=timeout))
    store.set_timeout(timeout)
    prefix_store = dist.PrefixStore(group_name, store)
    group = c10d._new_process_group_helper(world_size, rank, [], dist.Backend(backend), prefix_store, group_name=group_name,
                                           timeout=timeout)
    group = group[0] if isinstance(group, tuple) else group
    c10d._world.pg_group_ranks[group] = {i: i for i in range(world_size)}
    return group


def broadcast_bucket(bucket: Bucket, group: Any, device: torch.device | str | None = None) -> None:
    """Send one bucket from rank 0, one broadcast per tensor in `names` order (what the engine receives)."""
    import torch.distributed as dist

    for tensor in bucket.tensors:
        t = tensor.to(device) if device is not None else tensor
        dist.broadcast(t, src=0, group=group)


def receive_bucket(metadata: Mapping[str, Any], group: Any, device: torch.device | str = "cpu") -> dict[str, torch.Tensor]:
    """The engine's side (for tests and dry runs): allocate by metadata and receive in order."""
    import torch.distributed as dist

    out = {}
    for name, dtype, shape in zip(metadata["names"], metadata["dtypes"], metadata["shapes"]):
        t = torch.empty(shape, dtype=getattr(torch, dtype), device=device)
        dist.broadcast(t, src=0, group=group)
        out[name] = t
    return out
