"""A queue golden_path owns, with its dead-letter queue (a function's trigger, a worker's
backlog)."""

from __future__ import annotations

import json

from ..cdk import Construct, SqsQueue

DLQ_RETENTION_SECONDS = 14 * 24 * 3600  # the SQS maximum: time to look at what failed


class ManagedQueue(Construct):
    """An SQS queue and its dead-letter queue.

    After ``max_receive_count`` receives without a delete, a message moves to the DLQ,
    which keeps it for 14 days. Both queues are encrypted with SQS-managed keys (SSE-SQS:
    no KMS key to manage or pay for, and no ``kms:`` permission for producers or
    consumers).

    :param queue_name: the queue's name (at most 80 characters; ``.fifo`` for FIFO).
    :param dead_letter_queue_name: the DLQ's name (FIFO too when the queue is).
    :param visibility_timeout: seconds a received message stays hidden from other consumers.
    :param max_receive_count: receives before a message moves to the DLQ.
    :param fifo: a FIFO queue pair.

    Attributes: ``queue`` and ``dead_letter_queue`` (``SqsQueue``).
    """

    def __init__(self, scope: Construct, id: str, *, queue_name: str,
                 dead_letter_queue_name: str, visibility_timeout: int, max_receive_count: int,
                 fifo: bool = False, tags: dict[str, str] | None = None):
        super().__init__(scope, id)
        if len(queue_name) > 80 or len(dead_letter_queue_name) > 80:
            raise ValueError(f"SQS queue names are at most 80 characters: {queue_name!r}, "
                             f"{dead_letter_queue_name!r}")
        self.dead_letter_queue = SqsQueue(
            self, "dead_letter_queue", name=dead_letter_queue_name, fifo_queue=fifo or None,
            message_retention_seconds=DLQ_RETENTION_SECONDS, sqs_managed_sse_enabled=True,
            tags=tags)
        self.queue = SqsQueue(
            self, "queue", name=queue_name, fifo_queue=fifo or None,
            visibility_timeout_seconds=visibility_timeout, sqs_managed_sse_enabled=True,
            redrive_policy=json.dumps({"deadLetterTargetArn": self.dead_letter_queue.arn,
                                       "maxReceiveCount": max_receive_count}),
            tags=tags)
