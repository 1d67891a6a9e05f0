"""Every domain's models, imported once so that Alembic sees all tables."""

from helpline.acd import models as acd_models
from helpline.auth import models as auth_models
from helpline.call_plans import models as call_plan_models
from helpline.canned_messages import models as canned_message_models
from helpline.chats import models as chat_models
from helpline.contacts import models as contact_models
from helpline.devices import models as device_models
from helpline.pause_reasons import models as pause_reason_models
from helpline.permissions import models as permission_models
from helpline.prompts import models as prompt_models
from helpline.queues import models as queue_models
from helpline.skills import models as skill_models
from helpline.storage import eventlog
from helpline.tags import models as tag_models
from helpline.trunks import models as trunk_models
from helpline.users import models as user_models
from helpline.voice import models as voice_models

__all__ = [
    "acd_models",
    "auth_models",
    "call_plan_models",
    "canned_message_models",
    "chat_models",
    "contact_models",
    "device_models",
    "eventlog",
    "pause_reason_models",
    "permission_models",
    "prompt_models",
    "queue_models",
    "skill_models",
    "tag_models",
    "trunk_models",
    "user_models",
    "voice_models",
]
