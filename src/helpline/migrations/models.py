"""Every domain's models, imported once so that Alembic sees all tables."""

from helpline.auth import models as auth_models
from helpline.canned_messages import models as canned_message_models
from helpline.pause_reasons import models as pause_reason_models
from helpline.permissions import models as permission_models
from helpline.queues import models as queue_models
from helpline.storage import eventlog
from helpline.tags import models as tag_models
from helpline.users import models as user_models

__all__ = [
    "auth_models",
    "canned_message_models",
    "eventlog",
    "pause_reason_models",
    "permission_models",
    "queue_models",
    "tag_models",
    "user_models",
]
