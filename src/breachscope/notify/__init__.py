"""notify: personal notices that cannot be mistaken for phishing, delivered exactly once.

Library entry points (the CLI ``breachscope notify`` is a thin shell over them):

* :func:`send` (:func:`breachscope.notify.service.notify`): render, queue and deliver an
  incident's notices exactly once; :func:`status`: the outbox by state
* :class:`breachscope.notify.sender.DeliveryRun` (one delivery run over the outbox)
* :func:`breachscope.notify.queue.queue_notices` (render + queue :class:`NoticeContext` objects)
* :class:`breachscope.notify.render.Renderer`, mailers in :mod:`.mailer` and :mod:`.smtp`

See docs/notify.md.
"""

from __future__ import annotations

from breachscope.notify.config import NotifyConfig, load_config
from breachscope.notify.context import ActionItem, DutyInfo, IncidentInfo, NoticeContext, OrgInfo
from breachscope.notify.mailer import EmlDirectoryMailer, Mailer, MemoryMailer
from breachscope.notify.service import notify as send
from breachscope.notify.service import status

__all__ = [
    "ActionItem",
    "DutyInfo",
    "EmlDirectoryMailer",
    "IncidentInfo",
    "Mailer",
    "MemoryMailer",
    "NoticeContext",
    "NotifyConfig",
    "OrgInfo",
    "load_config",
    "send",
    "status",
]
