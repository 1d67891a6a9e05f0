from __future__ import annotations

from typing import Any

from helpline.storage.eventlog import Event


class SkillCreated(Event):
    type = "skill.created"
    skill: dict[str, Any]


class SkillUpdated(Event):
    type = "skill.updated"
    skill: dict[str, Any]
    changed: list[str]


class SkillDeleted(Event):
    """Deleting a skill also removes it from agents and from queue requirements."""

    type = "skill.deleted"
    skill: dict[str, Any]
    # Who had the skill and which queues required it (their lists no longer name it).
    user_ids: list[int]
    queues: list[dict[str, Any]]


class AgentSkillsChanged(Event):
    type = "agent_skills.changed"
    user_id: int
    # The agent's full list after the change: [{"skill_id", "proficiency"}], by skill id.
    skills: list[dict[str, int]]


class QueueSkillRequirementsChanged(Event):
    type = "queue_skill_requirements.changed"
    queue_kind: str
    queue_id: int
    # The queue's full list after the change, by skill id.
    requirements: list[dict[str, Any]]
