"""WarmupMessageTrigger: the warmup worker's wait for messages, with the attributes Symfony Messenger's headers
ride in."""

from __future__ import annotations

from roster.triggers.sqs import AttributedSqsTrigger


class WarmupMessageTrigger(AttributedSqsTrigger):
    """The deferred :class:`~roster.sensors.warmup.WarmupMessageSensor`'s trigger."""
