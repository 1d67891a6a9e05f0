from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from helpline.storage.base import Base


class CallPlan(Base):
    __tablename__ = "call_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # Case-folded name: plans are unique regardless of case.
    name_key: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(String(1000), default="")
    # {"entry": node id, "nodes": [...]}: a CallPlanGraph as JSON.
    graph: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Every UPDATE checks and bumps it: two saves from the same version cannot both win.
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own dict


class CallPlanNumber(Base):
    """A number (a DID in E.164 or an internal number) answered by a call plan."""

    __tablename__ = "call_plan_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    # RESTRICT: a plan that still answers a number is not deleted (the service says so first).
    call_plan_id: Mapped[int] = mapped_column(
        ForeignKey("call_plans.id", ondelete="RESTRICT"), index=True
    )
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime]
