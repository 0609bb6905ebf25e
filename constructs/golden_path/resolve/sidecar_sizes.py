"""How much of the task each container gets. Pure Python, no cdktf.

Each sidecar has one memory budget (its container's hard limit), set per service under
``sidecars.<name>.memory`` or defaulted from the task size; every limit inside it
derives from that one number, so the limits always fit their container, and the app
gets what is left of the task or an error that names the numbers (docs/sidecars.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import Problem
from ..spec.ecs import ServiceSpec

MIN_APP_MEMORY = 128
MIN_APP_CPU = 64


@dataclass(frozen=True)
class Size:
    cpu: int
    memory: int


@dataclass(frozen=True)
class Sizes:
    task: Size
    app: Size
    router: Size
    collector: Size


#: The collector's share of its budget (docs/sidecars.md "Sized to fit"): the soft limit
#: GOMEMLIMIT and memory_limiter's limit_mib at 80 % leave 20 % headroom for what Go does
#: not count (stacks, the runtime itself) below the container's hard limit; memory_limiter
#: refuses data above limit - spike (60 %); the exporter queue holds at most 1/8 of the
#: budget in serialized bytes, about 3/8 once decoded into pdata (2-3x its wire size),
#: so a full queue stays under the refusal point and the collector is never OOM-killed
#: for holding a long vendor outage.
COLLECTOR_LIMIT_SHARE = 0.80
COLLECTOR_SPIKE_SHARE_OF_LIMIT = 0.25
COLLECTOR_QUEUE_SHARE = 1 / 8
#: FireLens sets the forward input's Mem_Buf_Limit to half the router container's
#: memoryReservation (else its memory): amazon-ecs-agent agent/api/task/task.go and
#: agent/taskresource/firelens/firelensconfig_unix.go resolveMemBufLimit. AWS's OOM
#: guidance (aws-for-fluent-bit troubleshooting/debugging.md, "FireLens OOMKill
#: Prevention") is a hard limit of about twice the buffer limits: a reservation of half
#: the budget gives a buffer of a quarter, twice that is half, and the other half is
#: Fluent Bit itself.
ROUTER_RESERVATION_SHARE = 0.5


def _default_budgets(cpu: int, memory: int) -> tuple[Size, Size]:
    """(router, collector) for a task of this size, when the service sets no budget."""
    router = Size(cpu=32 if cpu <= 512 else 64 if cpu <= 2048 else 128, memory=64)
    collector = Size(
        cpu=64 if cpu <= 512 else 128 if cpu <= 2048 else 256,
        memory=128 if memory <= 2048 else 256 if memory <= 8192 else 512,
    )
    return router, collector


def task_sizes(spec: ServiceSpec, problems: list[Problem]) -> Sizes:
    """Carve the sidecars' budgets out of the task; the app gets the rest, or an error
    names the numbers."""
    cpu, memory = spec.cpu, spec.memory
    default_router, default_collector = _default_budgets(cpu, memory)
    budgets = spec.sidecars
    router = Size(cpu=budgets.log_router.cpu or default_router.cpu,
                  memory=budgets.log_router.memory or default_router.memory)
    collector = Size(cpu=budgets.collector.cpu or default_collector.cpu,
                     memory=budgets.collector.memory or default_collector.memory)
    app = Size(cpu - router.cpu - collector.cpu, memory - router.memory - collector.memory)
    if app.memory < MIN_APP_MEMORY:
        field = _budget_field(budgets, "memory", memory)
        problems.append(Problem(
            field, _field_value(spec, field),
            f"the sidecars take {collector.memory} MiB (collector) + {router.memory} MiB (log "
            f"router) = {collector.memory + router.memory} MiB of the task's {memory} MiB, "
            f"leaving {app.memory} MiB for the app (at least {MIN_APP_MEMORY}); raise memory "
            "or lower sidecars.*.memory"))
    if app.cpu < MIN_APP_CPU:
        field = _budget_field(budgets, "cpu", cpu)
        problems.append(Problem(
            field, _field_value(spec, field),
            f"the sidecars take {collector.cpu} (collector) + {router.cpu} (log router) = "
            f"{collector.cpu + router.cpu} cpu units of the task's {cpu}, leaving {app.cpu} "
            f"for the app (at least {MIN_APP_CPU}); raise cpu or lower sidecars.*.cpu"))
    return Sizes(task=Size(cpu, memory), app=app, router=router, collector=collector)


def _budget_field(budgets, what: str, task_value: int) -> tuple:
    """The field to blame: a sidecar budget the service set, else the task's own size."""
    for name in ("collector", "log_router"):
        if getattr(getattr(budgets, name), what) is not None:
            return ("sidecars", name, what)
    return (what,)


def _field_value(spec: ServiceSpec, field: tuple) -> object:
    value: object = spec
    for part in field:
        value = getattr(value, part)
    return value


@dataclass(frozen=True)
class RouterMemory:
    """The log router's memory, decided from its budget (hard limit) alone."""

    hard_mib: int
    reservation_mib: int
    #: What FireLens writes as the forward input's Mem_Buf_Limit (MB).
    mem_buf_limit_mb: int


def router_memory(budget_mib: int) -> RouterMemory:
    reservation = int(budget_mib * ROUTER_RESERVATION_SHARE)
    return RouterMemory(budget_mib, reservation, reservation // 2)


@dataclass(frozen=True)
class CollectorMemory:
    """The collector's memory settings, decided from its budget (hard limit) alone."""

    hard_mib: int
    limit_mib: int
    spike_limit_mib: int
    queue_size_bytes: int

    @property
    def refuse_above_mib(self) -> int:
        """memory_limiter's soft limit: new data is refused above it."""
        return self.limit_mib - self.spike_limit_mib


def collector_memory(budget_mib: int) -> CollectorMemory:
    limit = int(budget_mib * COLLECTOR_LIMIT_SHARE)
    return CollectorMemory(budget_mib, limit, int(limit * COLLECTOR_SPIKE_SHARE_OF_LIMIT),
                           int(budget_mib * 1024 * 1024 * COLLECTOR_QUEUE_SHARE))
