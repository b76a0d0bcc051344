"""The `forbedring-bot` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import datetime, timezone

from bot.runner import SchemaOutOfDate
from bot.settings import Settings, SettingsError, load_settings

EXIT_BAD_SETTING = 2
EXIT_FAILED = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="forbedring-bot", description="The ForBedring assistant.")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("run", help="run the bot (polling, or webhook when WEBHOOK_URL is set)")
    demo = commands.add_parser("demo", help="chat with the bot in the terminal: no token, no network")
    demo.add_argument("--keep", action="store_true", help="keep the demo database from the last run")

    db = commands.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="bring the database schema up to date")

    org = commands.add_parser("org", help="the organisation").add_subparsers(dest="org_command", required=True)
    org_import = org.add_parser("import", help="import regions, trusts and units from CSV or XLSX")
    org_import.add_argument("file")

    invite = commands.add_parser("invite", help="invite codes").add_subparsers(dest="invite_command", required=True)
    create = invite.add_parser("create", help="make an invite link")
    where = create.add_mutually_exclusive_group(required=True)
    where.add_argument("--unit", metavar="CODE")
    where.add_argument("--trust", metavar="CODE")
    where.add_argument("--region", metavar="CODE")
    where.add_argument("--national", action="store_true")
    create.add_argument("--in-trust", metavar="CODE", help="the unit's trust, when its code is not unique")
    create.add_argument("--role", required=True,
                        choices=["leader", "safety_rep", "union_rep", "programme_staff", "admin"])
    create.add_argument("--expires", default="14d", help="how long it is valid: 12h, 14d, 2w (default 14d)")
    create.add_argument("--uses", type=int, default=1, help="how many people may use it (default 1)")
    create.add_argument("--bot-username", help="the bot's @username, when Telegram cannot be asked")
    listing = invite.add_parser("list", help="list invites")
    listing.add_argument("--all", action="store_true", help="include expired, used-up and revoked ones")
    revoke = invite.add_parser("revoke", help="withdraw an invite")
    revoke.add_argument("id", type=int)
    return parser


async def _bot_username(settings: Settings, given: str | None) -> str:
    if given:
        return given.lstrip("@")
    from telegram import Bot

    bot = Bot(settings.require_token(), base_url=settings.bot_api_base_url,
              base_file_url=settings.bot_api_file_url)
    async with bot:
        return bot.username


async def _with_database(settings: Settings, work):
    from bot.runner import open_database

    db = await open_database(settings)
    try:
        return await work(db)
    finally:
        await db.dispose()


async def _invite_create(settings: Settings, args) -> int:
    from bot.rules.invites import parse_duration
    from bot.services.invites import InviteError, create_invite

    try:
        expires_in = parse_duration(args.expires)
    except ValueError as exc:
        print(f"error: --expires: {exc}", file=sys.stderr)
        return EXIT_FAILED
    scope, code = next((s, getattr(args, s)) for s in ("unit", "trust", "region", "national") if getattr(args, s))
    username = await _bot_username(settings, args.bot_username)

    async def work(db):
        return await create_invite(db, role=args.role, scope=scope, place_code=None if scope == "national" else code,
                                   trust_code=args.in_trust, expires_in=expires_in, uses=args.uses,
                                   created_by="cli", now=datetime.now(timezone.utc))
    try:
        new = await _with_database(settings, work)
    except InviteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    when = new.invite.expires_at.astimezone(settings.bot_timezone).strftime("%Y-%m-%d %H:%M")
    print(f"https://t.me/{username}?start={new.code}")
    print(f"code: {new.code}")
    print(f"invite {new.invite.id}: {args.role} for {new.place or 'the whole country'}, "
          f"{args.uses} use(s), expires {when}")
    return 0


async def _invite_list(settings: Settings, args) -> int:
    from bot.services.invites import list_invites

    rows = await _with_database(settings, lambda db: list_invites(db, args.all, datetime.now(timezone.utc)))
    if not rows:
        print("no invites" if args.all else "no usable invites (--all shows every invite)")
    for row in rows:
        invite = row.invite
        expires = invite.expires_at.astimezone(settings.bot_timezone).strftime("%Y-%m-%d %H:%M")
        print(f"{invite.id:>5}  {row.state.value:<8} {invite.role:<16} {row.place or 'national'}  "
              f"uses {invite.uses_count}/{invite.uses_allowed}  expires {expires}")
    return 0


async def _invite_revoke(settings: Settings, args) -> int:
    from bot.services.invites import InviteError, revoke_invite

    try:
        await _with_database(settings, lambda db: revoke_invite(db, args.id, "cli", datetime.now(timezone.utc)))
    except InviteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"invite {args.id} revoked")
    return 0


async def _org_import(settings: Settings, args) -> int:
    from bot.rules.org_file import OrgFileError
    from bot.services.org_import import import_org_file

    try:
        summary = await _with_database(settings, lambda db: import_org_file(db, args.file))
    except OrgFileError as exc:
        print(f"error: {args.file} was not imported; nothing was written. Fix these rows:", file=sys.stderr)
        for error in exc.errors:
            print(f"  {error}", file=sys.stderr)
        return EXIT_FAILED
    c, u = summary.created, summary.updated
    print(f"imported {args.file}: created {c['region']} region(s), {c['trust']} trust(s), {c['unit']} unit(s); "
          f"updated {u['region']} region(s), {u['trust']} trust(s), {u['unit']} unit(s)")
    return 0


async def _db_upgrade(settings: Settings, args) -> int:
    from storage import migrate

    from storage.database import Database

    db = Database(settings.database_url)
    try:
        await migrate.upgrade(db.engine)
        print(f"database schema at revision {await migrate.current_revision(db.engine)}")
    finally:
        await db.dispose()
    return 0


async def _run(settings: Settings, args) -> int:
    from bot.runner import run_bot

    await run_bot(settings)
    return 0


async def _demo(settings: Settings, args) -> int:
    from bot.demo import run_demo

    await run_demo(settings, fresh=not args.keep)
    return 0



def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.command in ("run", "db") else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs request URLs, and the token is in the URL.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    try:
        settings = load_settings()
        action = {
            "run": _run, "demo": _demo, "db": _db_upgrade, "org": _org_import,
        }.get(args.command)
        if args.command == "invite":
            action = {"create": _invite_create, "list": _invite_list, "revoke": _invite_revoke}[args.invite_command]
        return asyncio.run(action(settings, args))
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_SETTING
    except SchemaOutOfDate as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
