"""A worker with its own queue (``scaling.queue.create``), synthesized: the queue pair with
redrive and encryption, scaling on it, the task role consuming it, its alarms, QUEUE_URL."""

from __future__ import annotations

import copy
import json

import pytest

from tfjson import containers, one, resources, role_policy, statements_by_sid

pytestmark = pytest.mark.synth

QUEUE = "billing-worker-production"
DLQ = f"{QUEUE}-dlq"
ACCT = "123456789012"


@pytest.fixture(scope="module")
def built():
    """(the ServiceStack, its synthesized JSON): one synth for the module."""
    from conftest import VALID_WORKER
    from golden_path.cdk import Testing
    from golden_path.l3.stack import ServiceStack

    spec = copy.deepcopy(VALID_WORKER)
    spec.update(environment="production",
                alerts={"runbook": "https://runbooks.example.com/billing-worker"},
                scaling={"queue": {"create": True, "messages_per_task": 30}})
    stack = ServiceStack(Testing.app(), spec)
    return stack, json.loads(Testing.synth(stack))


@pytest.fixture(scope="module")
def synthesized(built) -> dict:
    return built[1]


def _queues(stack: dict) -> dict[str, tuple[str, dict]]:
    """{queue name: (its Terraform id, its resource)}"""
    return {q["name"]: (key, q) for key, q in stack["resource"]["aws_sqs_queue"].items()}


def test_the_queue_and_its_dead_letter_queue(synthesized):
    queues = _queues(synthesized)
    assert set(queues) == {QUEUE, DLQ}
    dlq_id, dlq = queues[DLQ]
    _, queue = queues[QUEUE]
    assert json.loads(queue["redrive_policy"]) == {
        "deadLetterTargetArn": f"${{aws_sqs_queue.{dlq_id}.arn}}", "maxReceiveCount": 5}
    assert queue["visibility_timeout_seconds"] == 1800
    assert dlq["message_retention_seconds"] == 14 * 24 * 3600
    # Encrypted as a function's trigger queue is: SQS-managed keys (SSE-SQS).
    assert queue["sqs_managed_sse_enabled"] is dlq["sqs_managed_sse_enabled"] is True
    assert "kms_master_key_id" not in queue and "fifo_queue" not in queue
    assert queue["tags"]["service"] == "billing-worker"


def test_scaling_tracks_the_created_queue(synthesized):
    policies = {p["name"]: p for p in resources(synthesized, "aws_appautoscaling_policy")}
    backlog = policies[f"{QUEUE}-queue-backlog"]["target_tracking_scaling_policy_configuration"]
    assert backlog["target_value"] == 30
    (visible,) = [m for m in backlog["customized_metric_specification"]["metrics"]
                  if m["id"] == "visible"]
    assert visible["metric_stat"]["metric"]["dimensions"] == [{"name": "QueueName",
                                                               "value": QUEUE}]


def test_the_task_role_consumes_the_queue(synthesized):
    st = statements_by_sid(role_policy(synthesized, "task"))
    assert st["ConsumeQueue"]["Action"] == [
        "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl", "sqs:ReceiveMessage"]
    assert st["ConsumeQueue"]["Resource"] == [f"arn:aws:sqs:eu-west-1:{ACCT}:{QUEUE}"]


def test_alarms_on_age_and_dead_letters(synthesized):
    alarms = {a["alarm_name"].removeprefix("production-payments-billing-worker-"): a
              for a in resources(synthesized, "aws_cloudwatch_metric_alarm")}
    dlq, age = alarms["dead-letter-messages"], alarms["queue-oldest-message-age"]
    assert (dlq["metric_name"], dlq["dimensions"], dlq["threshold"]) == (
        "ApproximateNumberOfMessagesVisible", {"QueueName": DLQ}, 0)
    assert (age["metric_name"], age["dimensions"]) == (
        "ApproximateAgeOfOldestMessage", {"QueueName": QUEUE})
    topic = f"arn:aws:sns:eu-west-1:{ACCT}:golden-path-payments-production-"
    assert dlq["alarm_actions"] == [f"{topic}notify"]
    assert age["alarm_actions"] == [f"{topic}page", f"{topic}notify"]


def test_the_app_gets_the_queue_url_and_starts_after_the_queue(synthesized):
    env = {e["name"]: e["value"] for e in containers(synthesized)["app"]["environment"]}
    assert env["QUEUE_URL"] == f"https://sqs.eu-west-1.amazonaws.com/{ACCT}/{QUEUE}"
    queue_id, _ = _queues(synthesized)[QUEUE]
    assert f"aws_sqs_queue.{queue_id}" in one(synthesized, "aws_ecs_service")["depends_on"]


def test_the_queue_is_an_attribute_and_an_output(built):
    stack, synthesized = built
    service = stack.service
    assert service.queue.queue is not None and service.queue.dead_letter_queue is not None
    outputs = {o["description"].split(": ")[1]: o["value"]
               for o in synthesized["output"].values()}
    queue_id, _ = _queues(synthesized)[QUEUE]
    assert outputs["queue_url"] == f"${{aws_sqs_queue.{queue_id}.url}}"
    assert "dead_letter_queue_arn" in outputs
