from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from helpline.storage.base import Base

QUEUE_KINDS = ("call", "chat", "campaign")


class Skill(Base):
    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # Case-folded name: skills are unique regardless of case.
    name_key: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime]


class AgentSkill(Base):
    """How good an agent is at a skill: 1 (beginner) to 5 (expert)."""

    __tablename__ = "agent_skills"
    __table_args__ = (CheckConstraint("proficiency BETWEEN 1 AND 5", name="proficiency"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[int] = mapped_column(
        ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    proficiency: Mapped[int] = mapped_column(Integer)


class QueueSkillRequirement(Base):
    """A skill a call queue, chat queue or campaign requires of the agents it offers to.

    Agents need ``min_proficiency``; once a contact has waited ``relax_after_seconds``,
    ``relaxed_min_proficiency`` (lower) is enough.
    """

    __tablename__ = "queue_skill_requirements"
    __table_args__ = (
        UniqueConstraint("queue_kind", "queue_id", "skill_id"),
        CheckConstraint("queue_kind IN ('call', 'chat', 'campaign')", name="queue_kind"),
        CheckConstraint("min_proficiency BETWEEN 1 AND 5", name="min_proficiency"),
        CheckConstraint(
            "relaxed_min_proficiency IS NULL OR "
            "(relaxed_min_proficiency >= 1 AND relaxed_min_proficiency < min_proficiency)",
            name="relaxed_min_proficiency",
        ),
        CheckConstraint(
            "relax_after_seconds IS NULL OR relax_after_seconds >= 0", name="relax_after_seconds"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    queue_kind: Mapped[str] = mapped_column(String(10))
    queue_id: Mapped[int] = mapped_column(Integer)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), index=True)
    min_proficiency: Mapped[int] = mapped_column(Integer)
    relax_after_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    relaxed_min_proficiency: Mapped[int | None] = mapped_column(Integer, default=None)
