"""Uploads: a request body streamed to a private file the server names, under a size limit.

The body is never held in memory and never written where the client says: each upload gets a
new random 0700 folder under the upload root (``--upload-dir``, else a private folder in the
system temp dir) holding one 0600 file whose name is the client's file name reduced to safe
characters (readers sniff content; the name only keeps the extension and labels the dataset).
Past ``max_upload_bytes`` the upload is cut, deleted and answered 413. The job that uses an
upload deletes its folder when it ends; folders older than a day are removed at start.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from fastapi import HTTPException, Request

from breachscope.files import FILE_MODE, private_dir
from breachscope.web.settings import ServerSettings

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_AGE_S = 24 * 3600


def upload_root(settings: ServerSettings) -> Path:
    root = settings.upload_dir or Path(tempfile.gettempdir()) / f"breachscope-uploads-{os.getuid()}"
    return private_dir(root)


def safe_name(name: str) -> str:
    """The last path part of ``name``, safe characters only, at most 120 (never empty or hidden)."""
    base = re.split(r"[\\/]", name)[-1]
    cleaned = _SAFE.sub("_", base).lstrip("._")[-120:]
    return cleaned or "upload"


def remove_stale(settings: ServerSettings) -> None:
    root = upload_root(settings)
    for folder in root.iterdir():
        try:
            if time.time() - folder.stat().st_mtime > MAX_AGE_S:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue  # vanished meanwhile


async def receive(request: Request, settings: ServerSettings, file_name: str) -> Path:
    """Stream the request body into a new private file; its path (413 past the size limit)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > settings.max_upload_bytes:
        raise HTTPException(413, f"uploads are limited to {settings.max_upload_bytes:,} bytes")
    folder = upload_root(settings) / secrets.token_hex(16)
    folder.mkdir(mode=0o700)
    path = folder / safe_name(file_name)
    size = 0
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        with os.fdopen(fd, "wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > settings.max_upload_bytes:
                    raise HTTPException(413, f"uploads are limited to {settings.max_upload_bytes:,} bytes")
                out.write(chunk)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if size == 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise HTTPException(400, "the upload is empty")
    return path
