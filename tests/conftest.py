from __future__ import annotations

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = FIXTURES / "seeds"
SHARED_SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def seed_names() -> list[str]:
    return sorted(p.stem for p in SEEDS.glob("*.txt"))


@pytest.fixture(params=seed_names())
def seed(request: pytest.FixtureRequest) -> tuple[Path, dict]:
    name = request.param
    return SEEDS / f"{name}.txt", json.loads((SEEDS / f"{name}.json").read_text("utf-8"))
