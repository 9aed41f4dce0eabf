"""The ASGI entry point uvicorn's workers import (``xxgk serve`` passes its settings through the
environment, the one channel every worker process sees)."""

from __future__ import annotations

import os

from fastapi import FastAPI

from xxgk.web.app import DEFAULT_MAX_UPLOAD, WebSettings, create_app


def create() -> FastAPI:
    return create_app(settings=WebSettings(
        url=os.environ.get("XXGK_DATABASE_URL"),
        secure_cookies=os.environ.get("XXGK_SECURE_COOKIES") == "1",
        max_upload=int(os.environ.get("XXGK_MAX_UPLOAD") or DEFAULT_MAX_UPLOAD)))
