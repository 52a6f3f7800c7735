"""AttributedSqsTrigger: the provider's SQS trigger, receiving each message's attributes and receive count as well;
the base of the warmup's and the job broker's triggers."""

from __future__ import annotations

from typing import Any

from airflow.providers.amazon.aws.triggers.sqs import SqsSensorTrigger

# Symfony Messenger sends its headers (type, Content-Type, stamps) as message attributes, which the provider's
# receive does not ask for; ApproximateReceiveCount shows a redelivery in the worker's log, and lets the broker
# give up a message that keeps coming back.
RECEIVE_ATTRIBUTES = {"MessageAttributeNames": ["All"], "MessageSystemAttributeNames": ["ApproximateReceiveCount"]}


def receive_request(poller: Any) -> dict[str, Any]:
    """The ReceiveMessage arguments of an SqsSensor or SqsSensorTrigger, with the attributes."""
    request = {
        "QueueUrl": poller.sqs_queue,
        "MaxNumberOfMessages": poller.max_messages,
        "WaitTimeSeconds": poller.wait_time_seconds,
        **RECEIVE_ATTRIBUTES,
    }
    if poller.visibility_timeout is not None:
        request["VisibilityTimeout"] = poller.visibility_timeout
    return request


class AttributedSqsTrigger(SqsSensorTrigger):
    """:class:`SqsSensorTrigger` whose received messages carry their attributes (see :data:`RECEIVE_ATTRIBUTES`)."""

    async def poll_sqs(self, client: Any) -> Any:
        return await client.receive_message(**receive_request(self))
