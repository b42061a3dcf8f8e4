"""Health check: is there an index, and how big is it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from app.dependencies import get_service
from app.schemas import HealthOut, error_responses
from app.search.service import SearchService

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut, responses=error_responses(500, 503))
def healthz(service: Annotated[SearchService, Depends(get_service)]):
    """200 with the index in use (counts, generation, engine, analysis fingerprint); 503 with the
    reason and how to build it (none, incomplete, or built with another analysis)."""
    return {"status": "ok", **service.status()}
