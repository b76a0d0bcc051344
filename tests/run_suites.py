"""Run the whole suite on SQLite, then on PostgreSQL.

PostgreSQL: the server in TEST_POSTGRES_URL (default: postgres@127.0.0.1:5432,
database `test`). The run creates its own database, runs the suite in it and
drops it. Outside CI an unreachable server skips that run with one line; in CI
(CI=true) it fails the run.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys

from sqlalchemy.engine import make_url

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def pytest(database_url: str | None, extra: list[str]) -> int:
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    if database_url:
        env["TEST_DATABASE_URL"] = database_url
    label = "PostgreSQL" if database_url else "SQLite"
    print(f"\n=== test suite on {label} ===", flush=True)
    return subprocess.call([sys.executable, "-m", "pytest", *extra], env=env)


async def _admin(url, statement: str | None = None) -> None:
    import asyncpg

    u = make_url(url)
    connection = await asyncpg.connect(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username,
                                       password=u.password, database=u.database, timeout=5)
    try:
        if statement:
            await connection.execute(statement)
    finally:
        await connection.close()


def main() -> int:
    extra = sys.argv[1:]
    status = pytest(None, extra)

    server = make_url(os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES)).set(drivername="postgresql+asyncpg")
    try:
        asyncio.run(_admin(server))
    except Exception as exc:  # refused, timed out, auth: asyncpg raises many kinds
        if os.environ.get("CI", "").lower() == "true":
            print(f"PostgreSQL at {server.host}:{server.port} is not reachable ({exc.__class__.__name__}); "
                  "CI needs it: failing.", flush=True)
            return 1
        print(f"PostgreSQL at {server.host}:{server.port} is not reachable: skipping the PostgreSQL run.")
        return status

    name = f"forbedring_test_{secrets.token_hex(4)}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    try:
        pg_status = pytest(server.set(database=name).render_as_string(hide_password=False), extra)
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return status or pg_status


if __name__ == "__main__":
    sys.exit(main())
