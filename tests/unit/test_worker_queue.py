"""A worker's queue (GitHub issue 20): the queue it scales on is a queue it may consume;
``scaling.queue.create`` makes golden_path own it (name, DLQ, QUEUE_URL, alarms). No cdktf."""

from __future__ import annotations

import pytest

from golden_path import ServiceSpec, SpecError, resolve
from golden_path.alerts.resolve import resolve_alarms
from golden_path.load.service_file import parse_service
from golden_path.resolve.common import QUEUE_NAME_MAX, queue_names
from golden_path.resolve.ecs import QUEUE_URL_VARIABLE
from golden_path.resolve.lambda_ import resolve_function
from golden_path.resolve.policies import document, task_role_statements
from golden_path.spec.iam_lint import lint_document

ACCT = "123456789012"
CONSUME = ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
           "sqs:GetQueueUrl", "sqs:ReceiveMessage"]
OWN = f"arn:aws:sqs:eu-west-1:{ACCT}:billing-worker-staging"


def created(worker: dict, **queue) -> dict:
    worker["scaling"] = {"queue": {"create": True, **queue}}
    return worker


def by_sid(statements) -> dict[str, dict]:
    return {s["Sid"]: s for s in statements}


def test_a_worker_may_consume_the_existing_queue_it_scales_on(worker):
    svc = resolve(ServiceSpec.parse(worker))
    st = by_sid(task_role_statements(svc))
    assert st["ConsumeQueue"] == {
        "Sid": "ConsumeQueue", "Effect": "Allow", "Action": CONSUME,
        "Resource": [f"arn:aws:sqs:eu-west-1:{ACCT}:invoices"]}
    # Not its queue: no queue created, no URL handed over, no kms: (the queue's key is the
    # team's business), and nothing account-wide.
    assert svc.queue is None and QUEUE_URL_VARIABLE not in svc.app_environment
    assert not [s for s in st.values() if any(a.startswith("kms:") for a in s["Action"])]
    assert lint_document(document(list(st.values()))) == []


def test_a_worker_without_a_queue_gets_no_sqs_rights(worker):
    worker["scaling"] = {}
    st = by_sid(task_role_statements(resolve(ServiceSpec.parse(worker))))
    assert "ConsumeQueue" not in st
    assert not [s for s in st.values() if any(a.startswith("sqs:") for a in s["Action"])]


def test_create_owns_the_queue_its_dlq_and_hands_the_url_to_the_app(worker):
    svc = resolve(ServiceSpec.parse(created(worker)))
    q = svc.queue
    assert (q.name, q.dead_letter_name) == ("billing-worker-staging", "billing-worker-staging-dlq")
    assert (q.arn, q.dead_letter_arn) == (OWN, f"{OWN}-dlq")
    # Defaults: the trigger queue's 5 receives, Celery's own 30-minute visibility timeout.
    assert (q.max_receive_count, q.visibility_timeout, q.fifo) == (5, 1800, False)
    s = svc.scaling
    assert (s.queue_name, s.queue_arn, s.messages_per_task) == (q.name, OWN, 100)
    assert svc.app_environment[QUEUE_URL_VARIABLE] == (
        f"https://sqs.eu-west-1.amazonaws.com/{ACCT}/billing-worker-staging")


def test_create_settings_are_taken(worker):
    svc = resolve(ServiceSpec.parse(created(worker, messages_per_task=7, max_receive_count=2,
                                            visibility_timeout_seconds=600)))
    assert (svc.queue.max_receive_count, svc.queue.visibility_timeout) == (2, 600)
    assert svc.scaling.messages_per_task == 7


def test_the_task_role_consumes_the_created_queue_and_needs_no_kms(worker):
    st = by_sid(task_role_statements(resolve(ServiceSpec.parse(created(worker)))))
    assert st["ConsumeQueue"]["Action"] == CONSUME
    assert st["ConsumeQueue"]["Resource"] == [OWN]  # the queue, not its DLQ
    # SSE-SQS: SQS holds the key; no kms: action is needed or granted.
    assert not [s for s in st.values() if any(a.startswith("kms:") for a in s["Action"])]
    assert lint_document(document(list(st.values()))) == []


def test_arn_and_create_are_mutually_exclusive(worker):
    worker["scaling"]["queue"]["create"] = True
    with pytest.raises(SpecError) as caught:
        ServiceSpec.parse(worker)
    (problem,) = caught.value.problems
    assert problem.field == "scaling.queue.create"
    assert "mutually exclusive" in problem.hint
    assert "remove create" in problem.hint and "remove arn" in problem.hint


def test_a_queue_needs_arn_or_create(worker):
    worker["scaling"]["queue"] = {"messages_per_task": 10}
    with pytest.raises(SpecError) as caught:
        ServiceSpec.parse(worker)
    assert caught.value.field == "scaling.queue.arn"
    assert "create: true" in caught.value.hint


@pytest.mark.parametrize("key, value", [("max_receive_count", 3),
                                        ("visibility_timeout_seconds", 60)])
def test_create_only_settings_are_refused_on_an_existing_queue(worker, key, value):
    worker["scaling"]["queue"][key] = value
    with pytest.raises(SpecError) as caught:
        ServiceSpec.parse(worker)
    assert caught.value.field == f"scaling.queue.{key}"
    assert "create: true" in caught.value.hint


def test_a_web_service_cannot_create_a_queue(web):
    web["scaling"] = {"queue": {"create": True}}
    with pytest.raises(SpecError) as caught:
        ServiceSpec.parse(web)
    assert caught.value.field == "scaling.queue"
    assert caught.value.value == "create: true"


@pytest.mark.parametrize("field", ["variables", "secrets"])
def test_queue_url_is_golden_paths_when_it_creates_the_queue(worker, field):
    value = (f"arn:aws:ssm:eu-west-1:{ACCT}:parameter/billing/queue" if field == "secrets"
             else "https://example.com")
    worker[field] = {**worker.get(field, {}), QUEUE_URL_VARIABLE: value}
    resolve(ServiceSpec.parse(worker))  # an existing queue: the name is the team's
    with pytest.raises(SpecError) as caught:
        resolve(ServiceSpec.parse(created(worker)))
    assert caught.value.field == f"{field}.{QUEUE_URL_VARIABLE}"
    assert "remove it" in caught.value.hint


def test_queue_names_fit_sqs_80_characters_stably():
    base = "a" * 40 + "-" + "b" * 45
    name, dlq = queue_names(base)
    assert len(name) == len(dlq) == QUEUE_NAME_MAX
    assert name != dlq and queue_names(base) == (name, dlq)
    fifo, fifo_dlq = queue_names(base, fifo=True)
    assert fifo.endswith(".fifo") and fifo_dlq.endswith(".fifo") and len(fifo) == QUEUE_NAME_MAX
    assert queue_names("short") == ("short", "short-dlq")


def test_the_longest_service_and_environment_names_fit(worker):
    worker["name"] = "w" * 40
    svc = resolve(ServiceSpec.parse(created(worker)))
    assert len(svc.queue.name) <= QUEUE_NAME_MAX and len(svc.queue.dead_letter_name) <= QUEUE_NAME_MAX
    assert svc.scaling.queue_name == svc.queue.name


def test_a_functions_queue_is_named_by_the_same_rule(fn):
    fn["triggers"] = {"sqs": {"batch_size": 10}}
    f = resolve_function(parse_service(fn))
    assert (f.names.queue, f.names.dead_letter_queue) == queue_names(f.names.function)
    assert f.queue_arn == f.queue.arn == f"arn:aws:sqs:eu-west-1:{ACCT}:{f.names.queue}"


def test_alarms_on_the_created_queue_and_its_dlq_route_like_the_others(worker):
    worker["environment"] = "production"
    worker["alerts"] = {"runbook": "https://runbooks.example.com/billing-worker"}
    svc = resolve(ServiceSpec.parse(created(worker)))
    alarms = {a.signal: a for a in resolve_alarms(svc, None)}
    dlq = alarms["dead-letter-messages"]
    assert dlq.definition.metric.dimensions == {"QueueName": svc.queue.dead_letter_name}
    assert (dlq.definition.metric.name, dlq.definition.threshold) == (
        "ApproximateNumberOfMessagesVisible", 0)
    age = alarms["queue-oldest-message-age"]
    assert age.definition.metric.dimensions == {"QueueName": svc.queue.name}
    assert alarms["queue-backlog"].definition.metric.dimensions == {"QueueName": svc.queue.name}
    topic = f"arn:aws:sns:eu-west-1:{ACCT}:golden-path-payments-production-"
    assert age.actions == (f"{topic}page", f"{topic}notify")  # critical pages in production
    assert dlq.actions == (f"{topic}notify",)  # warning notifies


def test_an_existing_queue_has_no_dead_letter_alarm(worker):
    alarms = {a.signal for a in resolve_alarms(resolve(ServiceSpec.parse(worker)), None)}
    assert "queue-oldest-message-age" in alarms and "dead-letter-messages" not in alarms
