"""The permission matrix of the admin guide, and who may do what.

Roles are additive: a user may hold several. The contact-center admin may do everything;
what a supervisor or an agent may do beyond their dashboard is set in the matrix.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    AGENT = "agent"


class Permission(StrEnum):
    """A switch of the matrix (admin guide: Settings → Permissions)."""

    ALLOW_UNASSIGNED_QUEUE_LOGIN = "organization.allow_unassigned_queue_login"
    SUPERVISOR_ACCESS_CONFIG_PORTAL = "supervisor.access_config_portal"
    SUPERVISOR_RESTRICT_TO_ASSIGNED_CALL_QUEUES = "supervisor.restrict_to_assigned_call_queues"
    SUPERVISOR_VIEW_QUEUE_SETTINGS = "supervisor.view_queue_settings"
    SUPERVISOR_MANAGE_QUEUE_SETTINGS = "supervisor.manage_queue_settings"
    SUPERVISOR_VIEW_PAUSE_REASONS = "supervisor.view_pause_reasons"
    SUPERVISOR_MANAGE_PAUSE_REASONS = "supervisor.manage_pause_reasons"
    SUPERVISOR_VIEW_SKILLS = "supervisor.view_skills"
    SUPERVISOR_MANAGE_SKILLS = "supervisor.manage_skills"
    AGENT_MANAGE_PRERECORDED_MESSAGES = "agent.manage_prerecorded_messages"
    AGENT_MANAGE_PUBLIC_CANNED_MESSAGES = "agent.manage_public_canned_messages"
    AGENT_CREATE_CUSTOM_TAGS = "agent.create_custom_tags"


DEFAULT_MATRIX: Mapping[Permission, bool] = {
    Permission.ALLOW_UNASSIGNED_QUEUE_LOGIN: True,
    Permission.SUPERVISOR_ACCESS_CONFIG_PORTAL: False,
    Permission.SUPERVISOR_RESTRICT_TO_ASSIGNED_CALL_QUEUES: True,
    Permission.SUPERVISOR_VIEW_QUEUE_SETTINGS: True,
    Permission.SUPERVISOR_MANAGE_QUEUE_SETTINGS: False,
    Permission.SUPERVISOR_VIEW_PAUSE_REASONS: True,
    Permission.SUPERVISOR_MANAGE_PAUSE_REASONS: False,
    Permission.SUPERVISOR_VIEW_SKILLS: True,
    Permission.SUPERVISOR_MANAGE_SKILLS: False,
    Permission.AGENT_MANAGE_PRERECORDED_MESSAGES: True,
    Permission.AGENT_MANAGE_PUBLIC_CANNED_MESSAGES: False,
    Permission.AGENT_CREATE_CUSTOM_TAGS: False,
}


class Action(StrEnum):
    """What an endpoint or a page requires."""

    USE_AGENT_DASHBOARD = "use_agent_dashboard"
    USE_SUPERVISOR_DASHBOARD = "use_supervisor_dashboard"
    VIEW_ANALYTICS = "view_analytics"
    ACCESS_CONFIG_PORTAL = "access_config_portal"
    MANAGE_USERS = "manage_users"
    MANAGE_PERMISSIONS = "manage_permissions"
    VIEW_EVENT_LOG = "view_event_log"
    SHARE_HELP = "share_help"
    # The organization's tags (add, rename, enable, disable, delete).
    MANAGE_TAGS = "manage_tags"
    # Integrations that bring contacts in (a channel, a CRM): admins or their API tokens.
    ROUTE_CONTACTS = "route_contacts"
    VIEW_QUEUE_SETTINGS = "view_queue_settings"
    MANAGE_QUEUE_SETTINGS = "manage_queue_settings"
    VIEW_PAUSE_REASONS = "view_pause_reasons"
    MANAGE_PAUSE_REASONS = "manage_pause_reasons"
    VIEW_SKILLS = "view_skills"
    MANAGE_SKILLS = "manage_skills"
    MANAGE_PRERECORDED_MESSAGES = "manage_prerecorded_messages"
    MANAGE_PUBLIC_CANNED_MESSAGES = "manage_public_canned_messages"
    CREATE_CUSTOM_TAGS = "create_custom_tags"
    # Contacts (people who call or write): shared by agents and supervisors.
    USE_CONTACTS = "use_contacts"
    # The chat workspace's API: agents (their conversations and their queues' waiting
    # ones) and supervisors (their queues').
    USE_CHATS = "use_chats"


_ADMIN_ONLY = frozenset(
    {
        Action.MANAGE_USERS,
        Action.MANAGE_PERMISSIONS,
        Action.VIEW_EVENT_LOG,
        Action.ROUTE_CONTACTS,
        Action.SHARE_HELP,
        Action.MANAGE_TAGS,
    }
)

# Supervisor actions inside the configuration portal: allowed when the portal switch and any
# one of the listed switches are on.
_SUPERVISOR_PORTAL: Mapping[Action, tuple[Permission, ...]] = {
    Action.ACCESS_CONFIG_PORTAL: (),
    Action.VIEW_QUEUE_SETTINGS: (
        Permission.SUPERVISOR_VIEW_QUEUE_SETTINGS,
        Permission.SUPERVISOR_MANAGE_QUEUE_SETTINGS,
    ),
    Action.MANAGE_QUEUE_SETTINGS: (Permission.SUPERVISOR_MANAGE_QUEUE_SETTINGS,),
    Action.VIEW_PAUSE_REASONS: (
        Permission.SUPERVISOR_VIEW_PAUSE_REASONS,
        Permission.SUPERVISOR_MANAGE_PAUSE_REASONS,
    ),
    Action.MANAGE_PAUSE_REASONS: (Permission.SUPERVISOR_MANAGE_PAUSE_REASONS,),
    Action.VIEW_SKILLS: (
        Permission.SUPERVISOR_VIEW_SKILLS,
        Permission.SUPERVISOR_MANAGE_SKILLS,
    ),
    Action.MANAGE_SKILLS: (Permission.SUPERVISOR_MANAGE_SKILLS,),
}

_AGENT_SWITCHED: Mapping[Action, Permission] = {
    Action.MANAGE_PRERECORDED_MESSAGES: Permission.AGENT_MANAGE_PRERECORDED_MESSAGES,
    Action.MANAGE_PUBLIC_CANNED_MESSAGES: Permission.AGENT_MANAGE_PUBLIC_CANNED_MESSAGES,
    Action.CREATE_CUSTOM_TAGS: Permission.AGENT_CREATE_CUSTOM_TAGS,
}


def effective_matrix(overrides: Mapping[Permission, bool]) -> dict[Permission, bool]:
    matrix = dict(DEFAULT_MATRIX)
    matrix.update(overrides)
    return matrix


def is_allowed(roles: Collection[Role], action: Action, matrix: Mapping[Permission, bool]) -> bool:
    if Role.ADMIN in roles:
        return True
    if action in _ADMIN_ONLY:
        return False
    if action is Action.USE_AGENT_DASHBOARD:
        return Role.AGENT in roles
    if action in (Action.USE_CONTACTS, Action.USE_CHATS):
        return bool({Role.AGENT, Role.SUPERVISOR} & set(roles))
    if action in (Action.USE_SUPERVISOR_DASHBOARD, Action.VIEW_ANALYTICS):
        return Role.SUPERVISOR in roles
    if action in _SUPERVISOR_PORTAL:
        if Role.SUPERVISOR not in roles:
            return False
        if not matrix.get(Permission.SUPERVISOR_ACCESS_CONFIG_PORTAL, False):
            return False
        switches = _SUPERVISOR_PORTAL[action]
        return not switches or any(matrix.get(switch, False) for switch in switches)
    if action is Action.MANAGE_PUBLIC_CANNED_MESSAGES and Role.SUPERVISOR in roles:
        return True
    if action in _AGENT_SWITCHED:
        return Role.AGENT in roles and matrix.get(_AGENT_SWITCHED[action], False)
    raise ValueError(f"no rule for action {action!r}")


def allowed_actions(roles: Collection[Role], matrix: Mapping[Permission, bool]) -> list[Action]:
    return [action for action in Action if is_allowed(roles, action, matrix)]
