"""The alarm gate between rollout waves (``golden-path gate``).

After a wave is applied, CI waits the wave's bake time and asks CloudWatch for the
state of every alarm golden_path made for the stacks just applied (the synthesized
``aws_cloudwatch_metric_alarm`` and ``aws_cloudwatch_composite_alarm`` names). Any of
them in ALARM stops the rollout: the gate names the alarms and their stacks, and how to
resume. It looks during the bake too (every ``interval`` seconds) and stops at the
first alarm, so a broken canary does not wait out its bake. An alarm it cannot find
also stops the rollout: a gate looking at the wrong account or region, or at stacks
that were not applied, must not pass.

One gate run reads one account (the caller's credentials); the stacks' own provider
says which region each alarm is in.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Problem, SpecError

#: CloudWatch DescribeAlarms takes at most 100 alarm names per call.
BATCH = 100
ALARM_TYPES = {"aws_cloudwatch_metric_alarm": "MetricAlarm",
               "aws_cloudwatch_composite_alarm": "CompositeAlarm"}


@dataclass(frozen=True)
class Alarm:
    name: str
    stack: str
    account: str | None
    region: str | None


@dataclass(frozen=True)
class AlarmState:
    name: str
    state: str  # OK | ALARM | INSUFFICIENT_DATA
    reason: str = ""
    since: str = ""


@dataclass
class GateResult:
    alarms: list[Alarm]
    #: Alarm name -> its last state seen.
    states: dict[str, AlarmState] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    checks: int = 0
    waited_seconds: float = 0.0

    @property
    def firing(self) -> list[Alarm]:
        return [a for a in self.alarms
                if a.name not in self.ignored and self.states.get(a.name, _NONE).state == "ALARM"]

    @property
    def missing(self) -> list[Alarm]:
        return [a for a in self.alarms if a.name not in self.ignored and a.name not in self.states]

    @property
    def passed(self) -> bool:
        return not self.firing and not self.missing


_NONE = AlarmState("", "")


def alarms_of(out: str | Path, stacks: Iterable[str]) -> list[Alarm]:
    """The alarms golden_path synthesized for ``stacks`` (``<out>/stacks/<name>/cdk.tf.json``)."""
    found: list[Alarm] = []
    problems = []
    for name in stacks:
        path = Path(out) / "stacks" / name / "cdk.tf.json"
        if not path.is_file():
            problems.append(Problem(("--stacks",), name, f"no synthesized stack {path}: pass the "
                                                         "synth output the wave was applied from"))
            continue
        stack = json.loads(path.read_text())
        provider = (stack.get("provider", {}).get("aws") or [{}])[0]
        account = (provider.get("allowed_account_ids") or [None])[0]
        for rtype in ALARM_TYPES:
            for resource in stack.get("resource", {}).get(rtype, {}).values():
                alarm_name = resource.get("alarm_name")
                if isinstance(alarm_name, str) and "${" not in alarm_name:
                    found.append(Alarm(alarm_name, name, account, provider.get("region")))
    if problems:
        raise SpecError(problems)
    accounts = sorted({a.account for a in found if a.account})
    if len(accounts) > 1:
        raise SpecError(Problem(("--stacks",), ", ".join(accounts),
                                "these stacks are in more than one account and a gate reads one "
                                "(the caller's credentials): run one gate per account"))
    return found


def describe(client, names: list[str]) -> dict[str, AlarmState]:
    """DescribeAlarms for ``names``, 100 at a time; alarms that do not exist are absent."""
    states: dict[str, AlarmState] = {}
    for i in range(0, len(names), BATCH):
        kwargs = {"AlarmNames": names[i:i + BATCH], "AlarmTypes": list(ALARM_TYPES.values())}
        while True:
            page = client.describe_alarms(**kwargs)
            for alarm in page.get("MetricAlarms", []) + page.get("CompositeAlarms", []):
                since = alarm.get("StateUpdatedTimestamp")
                states[alarm["AlarmName"]] = AlarmState(
                    alarm["AlarmName"], alarm["StateValue"], alarm.get("StateReason", ""),
                    since.isoformat(timespec="seconds") if hasattr(since, "isoformat") else str(since or ""))
            if not page.get("NextToken"):
                break
            kwargs["NextToken"] = page["NextToken"]
    return states


def cloudwatch_clients(regions: Iterable[str | None], region: str | None = None,
                       endpoint_url: str | None = None) -> dict[str | None, object]:
    try:
        import boto3
    except ImportError as exc:  # not a dependency of the constructs themselves
        raise SpecError(Problem(("gate",), "boto3", "the gate calls CloudWatch with boto3: "
                                                    "pip install boto3")) from exc
    return {r: boto3.client("cloudwatch", region_name=region or r, endpoint_url=endpoint_url)
            for r in set(regions)}


def run_gate(out: str | Path, stacks: list[str], *, bake_minutes: float = 0, interval: float = 60,
             ignore: Iterable[str] = (), region: str | None = None, endpoint_url: str | None = None,
             clients: dict | None = None, echo: Callable[[str], None] = print,
             sleep: Callable[[float], None] = time.sleep,
             clock: Callable[[], float] = time.monotonic) -> GateResult:
    """Wait ``bake_minutes`` (looking every ``interval`` seconds), then look once more:
    the result says which alarms are in ALARM and which could not be found."""
    result = GateResult(alarms_of(out, stacks), ignored=sorted(set(ignore)))
    by_region: dict[str | None, list[str]] = {}
    for alarm in result.alarms:
        by_region.setdefault(region or alarm.region, []).append(alarm.name)
    if clients is None:
        clients = cloudwatch_clients(by_region, region, endpoint_url)
    start = clock()
    deadline = start + bake_minutes * 60
    if bake_minutes:
        echo(f"gate: baking {bake_minutes:g} min, looking at {len(result.alarms)} alarm(s) of "
             f"{len(stacks)} stack(s) every {interval:g} s")
    while True:
        for where, names in by_region.items():
            result.states.update(describe(clients[where], sorted(set(names))))
        result.checks += 1
        result.waited_seconds = clock() - start
        left = deadline - clock()
        if result.firing or left <= 0:
            return result
        echo(f"gate: {result.waited_seconds / 60:.0f}/{bake_minutes:g} min: {_counts(result)}")
        sleep(min(interval, left))


def _counts(result: GateResult) -> str:
    states = [result.states[a.name].state for a in result.alarms if a.name in result.states]
    counts = {s: states.count(s) for s in ("OK", "INSUFFICIENT_DATA", "ALARM")}
    text = ", ".join(f"{n} {s}" for s, n in counts.items())
    return text + (f", {len(result.missing)} not found" if result.missing else "")


def report(result: GateResult, stacks: list[str], wave: int | None = None,
           bake_minutes: float = 0) -> str:
    """What the gate saw; on a stop, the alarms with their stacks and how to resume."""
    where = f"wave {wave}" if wave else "this wave"
    baked = (f" after {result.waited_seconds / 60:.0f} of {bake_minutes:g} min of bake"
             if bake_minutes else "")
    lines = [f"gate: {len(result.alarms)} alarm(s) of {len(stacks)} stack(s){baked}: {_counts(result)}"
             + (f"; ignored: {', '.join(result.ignored)}" if result.ignored else "")]
    if result.passed:
        lines.append(f"gate: {where} passed; the rollout goes on")
        return "\n".join(lines) + "\n"
    lines.append(f"gate: STOP: the rollout stops after {where}")
    firing = result.firing
    if firing:
        lines.append(f"{len(firing)} alarm(s) in ALARM:")
        for alarm in firing:
            state = result.states[alarm.name]
            lines.append(f"  {alarm.name} (stack {alarm.stack}) since {state.since}: {state.reason}")
    if result.missing:
        lines.append(f"{len(result.missing)} alarm(s) not found (wrong account or region, or the "
                     "stack was not applied?):")
        lines += [f"  {a.name} (stack {a.stack}, {a.account or '?'} {a.region or '?'})"
                  for a in result.missing]
    resume = f"from wave {wave}" if wave else "from this wave"
    lines.append(f"resume: once the alarms are back to OK (or understood), re-run the apply "
                 f"workflow {resume} (apply.yml, Run workflow: from_wave {wave or 'K'}, the same "
                 "commit), or re-run its failed jobs; --ignore ALARM passes an alarm known "
                 "to be unrelated")
    return "\n".join(lines) + "\n"
