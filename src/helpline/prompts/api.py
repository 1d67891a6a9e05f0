"""Prompts and hold music: list them, upload WAV files that replace them, listen to them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Response, UploadFile, status
from fastapi.responses import FileResponse

from helpline.core.permissions import Action
from helpline.errors import DomainError
from helpline.http.deps import NowDep, SessionDep, SettingsDep, require
from helpline.http.errors import http_error
from helpline.http.uploads import allow_uploads
from helpline.prompts import service
from helpline.prompts.catalog import LANGUAGES
from helpline.prompts.files import MAX_UPLOAD_BYTES
from helpline.prompts.schemas import MusicList, MusicOut, PromptList, PromptOut
from helpline.users.models import User

router = APIRouter(prefix="/prompts", tags=["prompts"])
music_router = APIRouter(prefix="/music", tags=["prompts"])

allow_uploads("/api/v1/prompts", MAX_UPLOAD_BYTES)
allow_uploads("/api/v1/music", MAX_UPLOAD_BYTES)

# What callers hear is part of the queues' configuration: the same switches govern it.
Viewer = Annotated[User, Depends(require(Action.VIEW_QUEUE_SETTINGS))]
Manager = Annotated[User, Depends(require(Action.MANAGE_QUEUE_SETTINGS))]
WavFile = Annotated[
    UploadFile, File(description="A PCM WAV file (any rate, width, channels), up to 20 MB")
]


def audio_response(path: Path) -> Response:
    # Revalidate every time: the same address plays the new file once a prompt is replaced.
    return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "no-cache"})


@router.get("", response_model=PromptList)
async def list_prompts(session: SessionDep, _user: Viewer) -> PromptList:
    """Every prompt key in every language, "default" (shipped) or "custom" (uploaded)."""
    return PromptList(
        languages=list(LANGUAGES), prompts=await service.list_prompts(session=session)
    )


@router.get("/{key}/{language}", response_model=PromptOut)
async def get_prompt(key: str, language: str, session: SessionDep, _user: Viewer) -> PromptOut:
    try:
        return await service.get_prompt(session=session, key=key, language=language)
    except DomainError as error:
        raise http_error(error) from error


@router.put("/{key}/{language}", response_model=PromptOut)
async def replace_prompt(
    key: str,
    language: str,
    file: WavFile,
    session: SessionDep,
    manager: Manager,
    now: NowDep,
    settings: SettingsDep,
) -> PromptOut:
    """Upload a WAV that callers hear instead of this prompt (converted to 8 kHz mono)."""
    try:
        return await service.replace_prompt(
            session=session,
            key=key,
            language=language,
            upload=file.file,
            filename=file.filename,
            data_dir=settings.data_dir,
            now=now,
            actor_id=manager.id,
        )
    except DomainError as error:
        raise http_error(error) from error


@router.delete("/{key}/{language}", status_code=status.HTTP_204_NO_CONTENT)
async def reset_prompt(
    key: str,
    language: str,
    session: SessionDep,
    manager: Manager,
    now: NowDep,
    settings: SettingsDep,
) -> Response:
    """Back to the prompt Helpline ships."""
    try:
        await service.reset_prompt(
            session=session,
            key=key,
            language=language,
            data_dir=settings.data_dir,
            now=now,
            actor_id=manager.id,
        )
    except DomainError as error:
        raise http_error(error) from error
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{key}/{language}/audio",
    response_class=FileResponse,
    responses={200: {"content": {"audio/wav": {}}}},
)
async def prompt_audio(
    key: str, language: str, session: SessionDep, _user: Viewer, settings: SettingsDep
) -> Response:
    """The WAV callers hear for this prompt (8 kHz, mono, 16-bit)."""
    try:
        await service.get_prompt(session=session, key=key, language=language)
        path = await service.prompt_path(
            session=session, key=key, language=language, data_dir=settings.data_dir
        )
    except DomainError as error:
        raise http_error(error) from error
    return audio_response(path)


@music_router.get("", response_model=MusicList)
async def list_music(session: SessionDep, _user: Viewer) -> MusicList:
    """The site's hold music ("default") first, then the other uploaded pieces."""
    return MusicList(music=await service.list_music(session=session))


@music_router.get("/{key}", response_model=MusicOut)
async def get_music(key: str, session: SessionDep, _user: Viewer) -> MusicOut:
    try:
        return await service.get_music(session=session, key=key)
    except DomainError as error:
        raise http_error(error) from error


@music_router.put("/{key}", response_model=MusicOut)
async def upload_music(
    key: str,
    file: WavFile,
    session: SessionDep,
    manager: Manager,
    now: NowDep,
    settings: SettingsDep,
) -> MusicOut:
    """Add or replace the music named ``key``; ``default`` is the site's hold music."""
    try:
        return await service.upload_music(
            session=session,
            key=key,
            upload=file.file,
            filename=file.filename,
            data_dir=settings.data_dir,
            now=now,
            actor_id=manager.id,
        )
    except DomainError as error:
        raise http_error(error) from error


@music_router.delete("/{key}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_music(
    key: str, session: SessionDep, manager: Manager, now: NowDep, settings: SettingsDep
) -> Response:
    """Delete an uploaded piece; for ``default``, back to the hold music Helpline ships."""
    try:
        await service.delete_music(
            session=session, key=key, data_dir=settings.data_dir, now=now, actor_id=manager.id
        )
    except DomainError as error:
        raise http_error(error) from error
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@music_router.get(
    "/{key}/audio",
    response_class=FileResponse,
    responses={200: {"content": {"audio/wav": {}}}},
)
async def music_audio(
    key: str, session: SessionDep, _user: Viewer, settings: SettingsDep
) -> Response:
    try:
        path = await service.music_path(session=session, key=key, data_dir=settings.data_dir)
    except DomainError as error:
        raise http_error(error) from error
    return audio_response(path)
