"""`golden-path gate`: the alarm gate between rollout waves, against a real moto server
(tests/emulator.py starts it on 127.0.0.1; no Terraform)."""

from __future__ import annotations

import os

import pytest
from test_changed import service_stack, team_name, team_stack, write

from golden_path import SpecError
from golden_path.cli import main
from golden_path.fleet.gate import alarms_of, describe, report, run_gate

REGION = "eu-west-1"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    pytest.importorskip("moto.server", reason="moto[server] (make setup) runs the local emulator")
    import emulator as em

    emu = em.start_emulator(tmp_path_factory.mktemp("gate-emulator"))
    yield emu
    emu.stop()


@pytest.fixture
def aws(emulator, monkeypatch):
    """boto3 in the gate talks to the emulator with throwaway credentials."""
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    import boto3

    cloudwatch = boto3.client("cloudwatch", region_name=REGION, endpoint_url=emulator.url)
    made = []

    def put(*names: str, state: str = "OK") -> None:
        for name in names:
            cloudwatch.put_metric_alarm(
                AlarmName=name, Namespace="AWS/Lambda", MetricName="Errors", Statistic="Sum",
                Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
            cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason=f"test: {state}")
            made.append(name)

    put.client = cloudwatch
    yield put
    for i in range(0, len(made), 100):
        cloudwatch.delete_alarms(AlarmNames=made[i:i + 100])


def busy_stack(alarms: int) -> dict:
    """A service stack with many alarms (more than one DescribeAlarms batch)."""
    stack = service_stack("checkout", env="production", name="busy")
    template = stack["resource"]["aws_cloudwatch_metric_alarm"]["a"]
    stack["resource"]["aws_cloudwatch_metric_alarm"] = {
        f"a{i}": {**template, "alarm_name": f"production-checkout-busy-{i:03d}"} for i in range(alarms)}
    return stack


@pytest.fixture
def out(tmp_path):
    return write(tmp_path / "cdktf.out", {
        "shop-production": service_stack("checkout", env="production", name="shop"),
        "blog-production": service_stack("checkout", env="production", name="blog"),
        "busy-production": busy_stack(150),
        team_name("checkout", "production"): team_stack("checkout", env="production")})


WAVE = ["shop-production", "blog-production", "busy-production", team_name("checkout", "production")]


def test_alarms_of_the_synthesized_stacks(out):
    alarms = alarms_of(out, WAVE)
    assert len(alarms) == 152 and {a.stack for a in alarms} == set(WAVE[:3])
    shop = next(a for a in alarms if a.stack == "shop-production")
    assert (shop.name, shop.account, shop.region) == (
        "production-checkout-shop-error-rate", "444455556666", "eu-west-1")
    with pytest.raises(SpecError) as caught:
        alarms_of(out, ["nope-production"])
    assert "no synthesized stack" in caught.value.hint


def test_passes_when_every_alarm_is_ok(out, aws, emulator, capsys):
    aws("production-checkout-shop-error-rate", "production-checkout-blog-error-rate",
        *(f"production-checkout-busy-{i:03d}" for i in range(150)))
    aws("production-checkout-busy-149", state="INSUFFICIENT_DATA")  # just created: no data yet
    assert main(["gate", "--out", str(out), "--stacks", *WAVE, "--endpoint-url", emulator.url,
                 "--wave", "3"]) == 0
    assert capsys.readouterr().out == (
        "gate: 152 alarm(s) of 4 stack(s): 151 OK, 1 INSUFFICIENT_DATA, 0 ALARM\n"
        "gate: wave 3 passed; the rollout goes on\n")


def test_stops_on_an_alarm_naming_it_its_stack_and_how_to_resume(out, aws, emulator, capsys):
    aws("production-checkout-shop-error-rate", *(f"production-checkout-busy-{i:03d}" for i in range(150)))
    aws("production-checkout-blog-error-rate", state="ALARM")
    aws("production-checkout-busy-120", state="ALARM")  # in the second batch of 100
    assert main(["gate", "--out", str(out), "--stacks", *WAVE, "--endpoint-url", emulator.url,
                 "--wave", "3"]) == 1
    text = capsys.readouterr().out
    assert "gate: STOP: the rollout stops after wave 3\n2 alarm(s) in ALARM:\n" in text
    assert "  production-checkout-blog-error-rate (stack blog-production) since " in text
    assert "  production-checkout-busy-120 (stack busy-production) since " in text
    assert "test: ALARM" in text  # the state reason
    assert "re-run the apply workflow from wave 3 (apply.yml, Run workflow: from_wave 3" in text
    # An alarm known to be unrelated is passed over when asked.
    assert main(["gate", "--out", str(out), "--stacks", *WAVE, "--endpoint-url", emulator.url,
                 "--ignore", "production-checkout-blog-error-rate", "production-checkout-busy-120"]) == 0
    assert "ignored: production-checkout-blog-error-rate, production-checkout-busy-120" in (
        capsys.readouterr().out)


def test_an_alarm_it_cannot_find_stops_the_rollout(out, aws, emulator, capsys):
    aws("production-checkout-shop-error-rate")
    assert main(["gate", "--out", str(out), "--stacks", "shop-production", "blog-production",
                 "--endpoint-url", emulator.url]) == 1
    text = capsys.readouterr().out
    assert "1 alarm(s) not found (wrong account or region, or the stack was not applied?):" in text
    assert "  production-checkout-blog-error-rate (stack blog-production, 444455556666 eu-west-1)" in text


def test_bake_looks_as_it_waits_and_stops_at_the_first_alarm(out, aws, emulator):
    aws("production-checkout-shop-error-rate", "production-checkout-blog-error-rate")
    now, slept, said = [0.0], [], []

    def sleep(seconds: float) -> None:  # a fake clock; the alarm fires 2 minutes in
        slept.append(seconds)
        now[0] += seconds
        if now[0] >= 120:
            aws.client.set_alarm_state(AlarmName="production-checkout-blog-error-rate",
                                       StateValue="ALARM", StateReason="errors after the deploy")

    result = run_gate(out, ["shop-production", "blog-production"], bake_minutes=30, interval=60,
                      endpoint_url=emulator.url, echo=said.append, sleep=sleep, clock=lambda: now[0])
    assert [a.name for a in result.firing] == ["production-checkout-blog-error-rate"]
    assert slept == [60, 60] and result.checks == 3  # not the whole 30 minutes
    assert said[0] == "gate: baking 30 min, looking at 2 alarm(s) of 2 stack(s) every 60 s"
    assert said[1] == "gate: 0/30 min: 2 OK, 0 INSUFFICIENT_DATA, 0 ALARM"
    assert "after 2 of 30 min of bake" in report(result, ["shop-production", "blog-production"], 4, 30)
    # All quiet: the whole bake is waited out, then one last look.
    aws.client.set_alarm_state(AlarmName="production-checkout-blog-error-rate", StateValue="OK",
                               StateReason="recovered")
    now[0], slept[:] = 0.0, []
    result = run_gate(out, ["shop-production", "blog-production"], bake_minutes=2.5, interval=60,
                      endpoint_url=emulator.url, echo=said.append, sleep=slept.append,
                      clock=lambda: now[0] + sum(slept))
    assert result.passed and slept == [60, 60, 30] and result.checks == 4


def test_a_composite_alarm_in_alarm_stops_the_rollout(tmp_path, aws, emulator, capsys):
    """A stack's composite alarm (an SLO's page alert), described by the emulator."""
    stack = service_stack("checkout", env="production", name="shop")
    stack["resource"]["aws_cloudwatch_composite_alarm"] = {
        "c": {"alarm_name": "production-checkout-shop-slo-page",
              "alarm_rule": 'ALARM("production-checkout-shop-error-rate")'}}
    out = write(tmp_path / "cdktf.out", {"shop-production": stack})
    aws("production-checkout-shop-error-rate")
    aws.client.put_composite_alarm(AlarmName="production-checkout-shop-slo-page",
                                   AlarmRule='ALARM("production-checkout-shop-error-rate")')
    try:
        args = ["gate", "--out", str(out), "--stacks", "shop-production",
                "--endpoint-url", emulator.url]
        assert main(args) == 0  # a new composite alarm: INSUFFICIENT_DATA
        assert "1 OK, 1 INSUFFICIENT_DATA, 0 ALARM" in capsys.readouterr().out
        aws.client.set_alarm_state(AlarmName="production-checkout-shop-slo-page",
                                   StateValue="ALARM", StateReason="test: burning")
        assert main(args) == 1
        text = capsys.readouterr().out
        assert "  production-checkout-shop-slo-page (stack shop-production) since " in text
        assert "test: burning" in text
    finally:  # before the alarm its rule names (AWS refuses the other order)
        aws.client.delete_alarms(AlarmNames=["production-checkout-shop-slo-page"])


class FakeCloudWatch:
    """DescribeAlarms in pages (the emulator answers in one)."""

    def __init__(self, states: dict[str, tuple[str, str]]):
        self.states, self.calls = states, []

    def describe_alarms(self, AlarmNames, AlarmTypes, NextToken=None):  # noqa: N803 (boto3's)
        self.calls.append((len(AlarmNames), NextToken))
        found = [n for n in AlarmNames if n in self.states]
        page, rest = (found[:1], found[1:]) if NextToken is None else (found[1:], [])
        alarms = {"MetricAlarms": [], "CompositeAlarms": []}
        for name in page:
            kind, state = self.states[name]
            alarms[kind].append({"AlarmName": name, "StateValue": state, "StateReason": "r"})
        return {**alarms, **({"NextToken": "next"} if rest else {})}


def test_composite_alarms_and_pages(tmp_path):
    stack = service_stack("checkout", env="production", name="shop")
    stack["resource"]["aws_cloudwatch_composite_alarm"] = {
        "c": {"alarm_name": "production-checkout-shop-any", "alarm_rule": "ALARM(x)"}}
    out = write(tmp_path / "cdktf.out", {"shop-production": stack})
    assert [a.name for a in alarms_of(out, ["shop-production"])] == [
        "production-checkout-shop-error-rate", "production-checkout-shop-any"]
    fake = FakeCloudWatch({"production-checkout-shop-error-rate": ("MetricAlarms", "OK"),
                           "production-checkout-shop-any": ("CompositeAlarms", "ALARM")})
    states = describe(fake, ["production-checkout-shop-any", "production-checkout-shop-error-rate"])
    assert {n: s.state for n, s in states.items()} == {
        "production-checkout-shop-any": "ALARM", "production-checkout-shop-error-rate": "OK"}
    assert fake.calls == [(2, None), (2, "next")]
    result = run_gate(out, ["shop-production"], clients={REGION: fake}, echo=print)
    assert [a.name for a in result.firing] == ["production-checkout-shop-any"]


def test_one_account_per_gate(tmp_path):
    out = write(tmp_path / "cdktf.out", {
        "shop-production": service_stack("checkout", env="production", name="shop"),
        "shop-staging": service_stack("checkout", env="staging", name="shop")})
    with pytest.raises(SpecError) as caught:
        alarms_of(out, ["shop-production", "shop-staging"])
    assert "run one gate per account" in caught.value.hint
