"""State backends across the fleet: team-route stacks' backends, unique state keys."""

from __future__ import annotations

from ..errors import Problem
from ..load.service_file import platform_of, source_of
from ..resolve import Resolved
from ..resolve.common import StateBackend, state_backend, team_routes_state_key


def team_stack_name(team: str, environment: str, account: str, region: str) -> str:
    return f"team-{team}-{environment}-{account}-{region}"


def team_routes_state(services: list[Resolved], team: str, environment: str, account: str,
                      region: str) -> StateBackend:
    """The state backend of a team-route stack: its environment's, like its services'."""
    context = next((platform_of(s.spec) for s in services
                    if (s.spec.team, s.spec.environment, s.account, s.region)
                    == (team, environment, account, region)), None)
    state = context.environment.state if context is not None else None
    key = team_routes_state_key(state.key_prefix if state else "", environment, team, account, region)
    return state_backend(context, team_stack_name(team, environment, account, region), key)



def duplicate_state(services: list[Resolved]) -> list[Problem]:
    """Two stacks must never share a state object (each would overwrite the other's)."""
    owners: dict[str, str] = {}
    problems = []
    entries = [(s.stack_name, s.state, s) for s in services]
    routes = sorted({(s.spec.team, s.spec.environment, s.account, s.region) for s in services})
    entries += [(team_stack_name(*r), team_routes_state(services, *r), None) for r in routes]
    for stack, state, service in entries:
        if state is None:
            continue
        if state.location in owners and owners[state.location] != stack:
            origins = source_of(service.spec) if service is not None else None
            origin = (origins or {}).get(("name",))
            problems.append(Problem(("name",), stack,
                                    f"{owners[state.location]} and {stack} would share the state "
                                    f"{state.location}; rename one",
                                    origin.file if origin else None, origin.line if origin else None))
        owners.setdefault(state.location, stack)
    return problems


def local_state_warnings(services: list[Resolved]) -> list[str]:
    """Stacks that keep state in a local file because no platform.yaml applies to them."""
    local = [s for s in services if platform_of(s.spec) is None]
    if not local:
        return []
    files = sorted({o.file for s in local if (o := (source_of(s.spec) or {}).get(("name",)))})
    shown = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
    return [f"warning: {len(local)} stack(s) keep their Terraform state in a local file "
            f"(terraform.<stack>.tfstate beside the stack) because no platform.yaml applies to "
            f"them ({shown or 'Python specs'}): add a platform.yaml with a state backend beside "
            "or above the service files, and move them to the fleet form (docs/platform.md)"]
