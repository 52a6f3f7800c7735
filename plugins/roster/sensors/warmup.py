"""WarmupMessageSensor: wait for warmup messages on SQS, with the attributes Symfony Messenger's headers ride in."""

from __future__ import annotations

from typing import Any

from airflow.providers.amazon.aws.sensors.sqs import SqsSensor

from roster.triggers.warmup import WarmupMessageTrigger, receive_request


class WarmupMessageSensor(SqsSensor):
    """:class:`SqsSensor` whose received messages (XCom ``messages``) carry their message attributes and receive
    count, poking or deferred to :class:`~roster.triggers.warmup.WarmupMessageTrigger`."""

    def poll_sqs(self, sqs_conn: Any) -> Any:
        return sqs_conn.receive_message(**receive_request(self))

    def defer(self, *, trigger: Any, **kwargs: Any):
        # SqsSensor.execute builds the provider's trigger; the same arguments go to roster's.
        super().defer(trigger=WarmupMessageTrigger(**trigger.serialize()[1]), **kwargs)
