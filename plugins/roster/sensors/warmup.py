"""WarmupMessageSensor: wait for warmup messages on SQS, with the attributes Symfony Messenger's headers ride in."""

from __future__ import annotations

from roster.sensors.sqs import AttributedSqsSensor
from roster.triggers.warmup import WarmupMessageTrigger


class WarmupMessageSensor(AttributedSqsSensor):
    """The warmup worker's sensor, deferred to :class:`~roster.triggers.warmup.WarmupMessageTrigger`."""

    trigger_class = WarmupMessageTrigger
