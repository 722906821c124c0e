"""Engine and sessions for the back office (SQLAlchemy 1.4, 2.0 style).

SQLite file by default, PostgreSQL by URL (DANA_DATABASE_URL); Rasa's SQL
tracker store uses the same database. Nothing connects at import time.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.config import settings
from bot.office.models import Base


@lru_cache(maxsize=None)
def get_engine(url: str | None = None) -> Engine:
    url = url or settings().database_url
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, future=True, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
            # WAL lets the action server write while Rasa's tracker store reads.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, future=True, pool_pre_ping=True, pool_size=5, max_overflow=10)


def database_unavailable(error: BaseException) -> bool:
    """The database went away (restart, network, locked file), as opposed to a
    wrong query: worth trying again in a moment."""
    return isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError)) or (
        isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated
    )


def session_factory(url: str | None = None) -> sessionmaker:
    return sessionmaker(get_engine(url), future=True, expire_on_commit=False)


def new_session(url: str | None = None) -> Session:
    return session_factory(url)()


def init_db(url: str | None = None) -> None:
    """Create missing tables (idempotent)."""
    engine = get_engine(url)
    Base.metadata.create_all(engine)
    _add_missing_columns(engine)


def _add_missing_columns(engine: Engine) -> None:
    """Columns added to a model after its table was created (nullable or with a
    server default) are added in place, so ``init`` upgrades an older database."""
    existing = inspect(engine)
    with engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            present = {c["name"] for c in existing.get_columns(table.name)}
            for column in table.columns:
                if column.name not in present:
                    ddl = column.type.compile(dialect=engine.dialect)
                    default = f" DEFAULT {column.server_default.arg}" if column.server_default is not None else ""
                    connection.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {ddl}{default}'))


def ping() -> None:
    """One round trip to the database (health checks); raises when it is down."""
    with get_engine().connect() as connection:
        connection.execute(text("SELECT 1"))
