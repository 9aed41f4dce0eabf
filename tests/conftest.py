from __future__ import annotations

import json
import os
import uuid
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


# ---------------------------------------------------------------- office databases
# Every office test runs on SQLite and on the real PostgreSQL server (XXGK_TEST_POSTGRES_URL,
# default postgres@127.0.0.1:5432, set by .ci/run). Without a server the PostgreSQL runs skip,
# saying so; they never fall back to a mock.
PG_URL = os.environ.get("XXGK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _pg_admin():  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine

    return create_engine(PG_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})


@pytest.fixture(params=["sqlite", "postgresql"])
def office_url(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'office.db'}"
        return
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    try:
        admin = _pg_admin()
        with admin.connect() as conn:
            name = f"xxgk_test_{uuid.uuid4().hex[:12]}"
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as e:  # noqa: BLE001 - any failure to reach the server means: skip, and say why
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {str(e).splitlines()[0]}")
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    from xxgk.office.service import Office  # noqa: F401 - engines are disposed by the tests

    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def office(office_url: str):  # type: ignore[no-untyped-def]
    from xxgk.office.service import Office

    o = Office.open(office_url, actor="测试员")
    yield o
    o.close()


# Property tests draw new examples on every run when exploring (locally, XXGK_PROPERTY_SCALE for
# more); in CI (.ci/run sets XXGK_DERANDOMIZE=1) the examples are a fixed pseudo-random sample, so a
# run is repeatable: an example that fails is reproduced by the next run, not lost to chance.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("XXGK_DERANDOMIZE"):
    _hypothesis_settings.load_profile("ci")


# ---------------------------------------------------------------- the web application
# One demo database per test session (a small demo country, test accounts; tests/webkit.py);
# a module that writes copies it first.


@pytest.fixture(scope="session")
def web_demo(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from webkit import build_demo

    path = tmp_path_factory.mktemp("web") / "demo.db"
    made = build_demo(path)
    return path, made
