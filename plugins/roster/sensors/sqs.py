"""AttributedSqsSensor: an SqsSensor whose messages carry their attributes and receive count; the base of the
warmup's and the job broker's sensors."""

from __future__ import annotations

from typing import Any

from airflow.providers.amazon.aws.sensors.sqs import SqsSensor

from roster.triggers.sqs import receive_request


class AttributedSqsSensor(SqsSensor):
    """:class:`SqsSensor` whose received messages (XCom ``messages``) carry their message attributes and receive
    count, poking or deferred to ``trigger_class`` (an :class:`~roster.triggers.sqs.AttributedSqsTrigger`)."""

    trigger_class: type | None = None

    def poll_sqs(self, sqs_conn: Any) -> Any:
        return sqs_conn.receive_message(**receive_request(self))

    def defer(self, *, trigger: Any, **kwargs: Any):
        # SqsSensor.execute builds the provider's trigger; the same arguments go to roster's.
        super().defer(trigger=self.trigger_class(**trigger.serialize()[1]), **kwargs)
