from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.prompts.models import MUSIC, PROMPT, AudioFile


async def add(session: AsyncSession, item: AudioFile) -> None:
    session.add(item)
    await session.flush()


async def get_prompt(session: AsyncSession, key: str, language: str) -> AudioFile | None:
    return await session.scalar(
        select(AudioFile).where(
            AudioFile.kind == PROMPT, AudioFile.key == key, AudioFile.language == language
        )
    )


async def list_prompts(session: AsyncSession) -> Sequence[AudioFile]:
    query = select(AudioFile).where(AudioFile.kind == PROMPT).order_by(AudioFile.id)
    return (await session.scalars(query)).all()


async def get_music(session: AsyncSession, key: str) -> AudioFile | None:
    return await session.scalar(
        select(AudioFile).where(AudioFile.kind == MUSIC, AudioFile.key == key)
    )


async def list_music(session: AsyncSession) -> Sequence[AudioFile]:
    query = select(AudioFile).where(AudioFile.kind == MUSIC).order_by(AudioFile.key)
    return (await session.scalars(query)).all()


async def delete(session: AsyncSession, item: AudioFile) -> None:
    await session.delete(item)
    await session.flush()


async def flush(session: AsyncSession) -> None:
    await session.flush()
