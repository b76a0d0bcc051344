"""The `forbedring-bot` command line."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from bot.rules.vocabulary import Role, Scope

# Only what parsing the command line needs is imported here: `--help` and a mistyped
# command answer at once. Each command imports what it uses (the Application, openpyxl,
# Alembic) when it runs.
if TYPE_CHECKING:
    from bot.settings import Settings

EXIT_BAD_SETTING = 2
EXIT_FAILED = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="forbedring-bot", description="The ForBedring assistant.")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("run", help="run the bot (polling, or webhook when WEBHOOK_URL is set)")
    commands.add_parser("status", help="the outbox backlog, the last sweep and which process is the active worker")
    demo = commands.add_parser("demo", help="chat with the bot in the terminal: no token, no network")
    demo.add_argument("--keep", action="store_true", help="keep the demo database from the last run")

    db = commands.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="bring the database schema up to date")

    org = commands.add_parser("org", help="the organisation").add_subparsers(dest="org_command", required=True)
    org_import = org.add_parser("import", help="import regions, trusts and units from CSV or XLSX")
    org_import.add_argument("file")

    cycle = commands.add_parser("cycle", help="the survey year's dates").add_subparsers(dest="cycle_command",
                                                                                       required=True)
    cycle_set = cycle.add_parser("set", help="set trusts' dates from a TOML or CSV file")
    cycle_set.add_argument("file")
    cycle_copy = cycle.add_parser("copy", help="copy a year's dates to the next year")
    cycle_copy.add_argument("--from-year", type=int, required=True)
    cycle_copy.add_argument("--trust", metavar="CODE", help="only this trust")
    cycle_show = cycle.add_parser("show", help="show a trust's dates for a year")
    cycle_show.add_argument("--trust", metavar="CODE", required=True)
    cycle_show.add_argument("--year", type=int, required=True)

    export_cmd = commands.add_parser("export", help="export measures and unit progress (XLSX or CSV)")
    export_cmd.add_argument("--scope", default="national",
                            help="national (default), region:CODE_OR_NAME or trust:CODE")
    export_cmd.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    export_cmd.add_argument("--output", help="file to write (default forbedring-<date>.xlsx, or a prefix for CSV)")
    export_cmd.add_argument("--method", choices=["forbedring", "dst"], default="forbedring",
                            help="dst with --research: per DST unit the entry criteria, the phases' dates and "
                                 "the counts of its measures by status (CSV; nothing about any person)")
    export_cmd.add_argument("--research", action="store_true", help="the research export (with --method dst)")

    dst_cmd = commands.add_parser("dst", help="Der skoen trykker: enrol units, training gatherings").add_subparsers(
        dest="dst_command", required=True)
    enrol = dst_cmd.add_parser("enrol", help="enrol a unit, with the three entry criteria")
    enrol.add_argument("--unit", metavar="CODE", required=True)
    enrol.add_argument("--in-trust", metavar="CODE", help="the unit's trust, when its code is not unique")
    enrol.add_argument("--start", metavar="YYYY-MM-DD", required=True, help="the day the unit starts")
    for key, what in (("potential", "potential for lower sick leave"), ("challenges", "work-environment challenges"),
                      ("motivation", "high motivation to take part")):
        enrol.add_argument(f"--{key}", choices=["yes", "no"], required=True, help=f"entry criterion: {what}")
        enrol.add_argument(f"--{key}-note", default="", metavar="TEXT",
                           help="a short note about the unit (at most 200 characters; nothing about a person)")
    gathering = dst_cmd.add_parser("gathering", help="a region's training gatherings").add_subparsers(
        dest="gathering_command", required=True)
    gathering_add = gathering.add_parser("add", help="add a gathering (its region's working groups are reminded "
                                                     "a week before and on the day)")
    gathering_add.add_argument("--region", metavar="CODE_OR_NAME", required=True)
    gathering_add.add_argument("--kind", choices=["workshop", "digital", "follow_up"], required=True)
    gathering_add.add_argument("--date", metavar="YYYY-MM-DD", required=True)
    gathering_add.add_argument("--place", required=True, help="where (or the link's name for a digital one)")
    gathering_list = gathering.add_parser("list", help="list the gatherings")
    gathering_list.add_argument("--region", metavar="CODE_OR_NAME")

    ttp = commands.add_parser("ttp", help="Tidlig og tett på: a trust's reminder days").add_subparsers(
        dest="ttp_command", required=True)
    ttp_set = ttp.add_parser("set", help="set a trust's days, or turn its reminder off or on")
    ttp_set.add_argument("--trust", metavar="CODE", required=True)
    ttp_set.add_argument("--dates", metavar="MM-DD,...", help="the days, e.g. 03-15,06-15,09-15,12-15")
    ttp_set.add_argument("--default-dates", action="store_true", help="back to TTP_DATES")
    on_off = ttp_set.add_mutually_exclusive_group()
    on_off.add_argument("--off", action="store_true", help="no TTP reminder for this trust")
    on_off.add_argument("--on", action="store_true", help="the TTP reminder again")
    ttp_show = ttp.add_parser("show", help="a trust's TTP days")
    ttp_show.add_argument("--trust", metavar="CODE", required=True)

    invite = commands.add_parser("invite", help="invite codes").add_subparsers(dest="invite_command", required=True)
    create = invite.add_parser("create", help="make an invite link")
    where = create.add_mutually_exclusive_group(required=True)
    where.add_argument("--unit", metavar="CODE")
    where.add_argument("--trust", metavar="CODE")
    where.add_argument("--region", metavar="CODE")
    where.add_argument("--national", action="store_true")
    create.add_argument("--in-trust", metavar="CODE", help="the unit's trust, when its code is not unique")
    create.add_argument("--role", required=True,
                        choices=[role.value for role in Role])
    create.add_argument("--expires", default="14d", help="how long it is valid: 12h, 14d, 2w (default 14d)")
    create.add_argument("--uses", type=int, default=1, help="how many people may use it (default 1)")
    create.add_argument("--bot-username", help="the bot's @username, when Telegram cannot be asked")
    create.add_argument("--replaces", type=int, metavar="PERSON_ID",
                        help="a handover (with --role leader --unit): this leader's role at the unit ends "
                             "when the new leader joins")
    listing = invite.add_parser("list", help="list invites")
    listing.add_argument("--all", action="store_true", help="include expired, used-up and revoked ones")
    revoke = invite.add_parser("revoke", help="withdraw an invite")
    revoke.add_argument("id", type=int)
    revoke.add_argument("--remove-members", action="store_true",
                        help="also end the memberships made with this invite (the people are told)")

    member = commands.add_parser("member", help="people's roles (memberships)").add_subparsers(
        dest="member_command", required=True)
    member_list = member.add_parser("list", help="list memberships: id, person, role, place")
    member_where = member_list.add_mutually_exclusive_group()
    member_where.add_argument("--unit", metavar="CODE")
    member_where.add_argument("--trust", metavar="CODE")
    member_where.add_argument("--region", metavar="CODE")
    member_list.add_argument("--in-trust", metavar="CODE", help="the unit's trust, when its code is not unique")
    member_remove = member.add_parser("remove", help="end a membership (the person is told)")
    member_remove.add_argument("id", type=int, nargs="?", metavar="MEMBERSHIP_ID")
    member_remove.add_argument("--person", type=int, metavar="PERSON_ID", help="with --unit: all their roles there")
    member_remove.add_argument("--unit", metavar="CODE")
    member_remove.add_argument("--in-trust", metavar="CODE", help="the unit's trust, when its code is not unique")

    person = commands.add_parser("person", help="people (privacy)").add_subparsers(dest="person_command",
                                                                                  required=True)
    erase = person.add_parser("erase", help="erase a person: roles, drafts, reminders, queued messages; "
                                            "their name in the unit's history becomes 'former <role>'")
    who = erase.add_mutually_exclusive_group(required=True)
    who.add_argument("id", nargs="?", type=int, help="the person's id (as /mydata or `audit` shows it)")
    who.add_argument("--telegram-id", type=int, help="the person's Telegram user id")
    erase.add_argument("--yes", action="store_true", help="really erase (without it: only say who it is)")

    audit = commands.add_parser("audit", help="print the audit log, oldest first")
    audit.add_argument("--unit", metavar="CODE", help="only what concerns this unit")
    audit.add_argument("--in-trust", metavar="CODE", help="the unit's trust, when its code is not unique")
    audit.add_argument("--person", metavar="ID", type=int, help="only what this person did or what was done to them")
    audit.add_argument("--since", metavar="YYYY-MM-DD", help="only from this day on")
    return parser


async def _bot_username(settings: Settings, given: str | None) -> str:
    if given:
        return given.lstrip("@")
    from telegram import Bot

    from bot.runner import bot_api_error

    bot = Bot(settings.require_token(), base_url=settings.bot_api_base_url,
              base_file_url=settings.bot_api_file_url)
    try:
        async with bot:
            return bot.username
    except Exception as exc:
        unusable = bot_api_error(exc, settings)
        if unusable is None:
            raise
        raise unusable from None


async def _with_database(settings: Settings, work):
    from bot.runner import open_database

    db = await open_database(settings)
    try:
        return await work(db)
    finally:
        await db.dispose()


async def _invite_create(settings: Settings, args) -> int:
    from bot.rules.errors import InviteError
    from bot.rules.invites import parse_duration
    from bot.services.invites import create_invite

    try:
        expires_in = parse_duration(args.expires)
    except InviteError as exc:
        print(f"error: --expires: {exc}", file=sys.stderr)
        return EXIT_FAILED
    scope, code = next((s, getattr(args, s)) for s in ("unit", "trust", "region", "national") if getattr(args, s))
    if args.replaces is not None and (scope != Scope.UNIT or args.role != Role.LEADER):
        print("error: --replaces is only for a leader invite for one unit (--role leader --unit CODE)",
              file=sys.stderr)
        return EXIT_FAILED
    username = await _bot_username(settings, args.bot_username)

    async def work(db):
        return await create_invite(db, role=args.role, scope=scope, place_code=None if scope == Scope.NATIONAL else code,
                                   trust_code=args.in_trust, expires_in=expires_in, uses=args.uses,
                                   created_by="cli", now=datetime.now(timezone.utc), replaces=args.replaces)
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
    if args.replaces is not None:
        print(f"handover: person {args.replaces}'s leader role there ends when the new leader joins")
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
    from bot.rules.errors import InviteError
    from bot.services.invites import revoke_invite

    try:
        ending = await _with_database(settings, lambda db: revoke_invite(
            db, args.id, "cli", datetime.now(timezone.utc), remove_members=args.remove_members))
    except InviteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"invite {args.id} revoked")
    if ending is not None:
        _print_ending(ending)
    return 0


def _member_line(row) -> str:
    inactive = "  (inactive)" if not row.active else ""
    return f"{row.id:>5}  {row.name} (person {row.person_id})  {row.role}  {row.place or 'national'}{inactive}"


def _print_ending(ending) -> None:
    for row in ending.ended:
        print(f"membership ended: {_member_line(row).strip()}")
    print(f"{len(ending.ended)} membership(s) ended, {ending.dialogs_closed} open dialog(s) closed, "
          f"{ending.reminders_dropped} pending reminder(s) dropped; the people are told when the bot runs")


async def _member_list(settings: Settings, args) -> int:
    from bot.rules.errors import MemberError
    from bot.services.members import list_members, resolve_place

    async def work(db):
        where = await resolve_place(db, unit=args.unit, in_trust=args.in_trust, trust=args.trust,
                                    region=args.region)
        return where, await list_members(db, where)
    try:
        where, rows = await _with_database(settings, work)
    except MemberError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if not rows:
        print(f"no memberships at {where.name or 'any place'}")
    for row in rows:
        print(_member_line(row))
    return 0


async def _member_remove(settings: Settings, args) -> int:
    from bot.rules.errors import MemberError
    from bot.services.members import end_at_unit, end_memberships, resolve_place

    if (args.id is None) == (args.person is None) or (args.person is not None) != (args.unit is not None):
        print("error: give a MEMBERSHIP_ID (see `member list`), or --person ID --unit CODE", file=sys.stderr)
        return EXIT_FAILED
    now = datetime.now(timezone.utc)

    async def work(db):
        if args.id is not None:
            return await end_memberships(db, [args.id], actor="cli", now=now)
        unit = await resolve_place(db, unit=args.unit, in_trust=args.in_trust)
        return await end_at_unit(db, args.person, unit, actor="cli", now=now)
    try:
        ending = await _with_database(settings, work)
    except MemberError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    _print_ending(ending)
    return 0


async def _org_import(settings: Settings, args) -> int:
    from bot.rules.errors import OrgFileError
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


async def _cycle_set(settings: Settings, args) -> int:
    from bot.rules.errors import CycleFileError
    from bot.services.cycles import read_cycle_file, set_cycles

    try:
        entries = read_cycle_file(args.file)
        changed = await _with_database(settings, lambda db: set_cycles(db, entries))
    except CycleFileError as exc:
        print(f"error: {args.file} was not used; nothing was written:", file=sys.stderr)
        for error in exc.errors:
            print(f"  {error}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{len(entries)} trust-year(s) read, {changed} changed")
    return 0


async def _cycle_copy(settings: Settings, args) -> int:
    from bot.rules.errors import CycleFileError
    from bot.services.cycles import copy_year

    try:
        copied = await _with_database(settings, lambda db: copy_year(db, args.from_year, args.trust))
    except CycleFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if not copied:
        print(f"error: no dates set for {args.from_year}; nothing to copy", file=sys.stderr)
        return EXIT_FAILED
    print(f"copied {copied} trust(s) from {args.from_year} to {args.from_year + 1}")
    return 0


async def _cycle_show(settings: Settings, args) -> int:
    from bot.services.cycles import cycle_for_trust
    from storage import cycles, organisation

    async def work(db):
        async with db.session() as session:
            trust = await organisation.find_trust(session, args.trust)
            if trust is None:
                return None, None
            own = await cycles.get_cycle(session, trust.id, args.year)
            return await cycle_for_trust(session, trust.id, args.year), own is not None

    dates, own = await _with_database(settings, work)
    if dates is None:
        print(f"error: no health trust with code '{args.trust}'", file=sys.stderr)
        return EXIT_FAILED
    print(f"{args.trust} {args.year} ({'set by the trust' if own else 'defaults'}):")
    for name, value in dates.as_dict().items():
        print(f"  {name:<22} {value.isoformat()}")
    return 0


async def _export(settings: Settings, args) -> int:
    if args.research or args.method == "dst":
        if not (args.research and args.method == "dst"):
            print("error: the research export is --method dst --research", file=sys.stderr)
            return EXIT_FAILED
        return await _research_export(settings, args)
    from datetime import datetime as dt

    from bot.rules.cycle import current_year
    from bot.rules.places import Where
    from bot.services import export
    from storage import organisation

    today = dt.now(settings.bot_timezone).date()

    async def work(db):
        kind, _, code = args.scope.partition(":")
        async with db.session() as session:
            if kind == Scope.NATIONAL and not code:
                where = Where()
            elif kind == Scope.REGION and (region := await organisation.find_region(session, code)):
                where = Where(region_id=region.id)
            elif kind == Scope.TRUST and (trust := await organisation.find_trust(session, code)):
                where = Where(region_id=trust.region_id, trust_id=trust.id)
            else:
                return None
        if args.format == "xlsx":
            return {args.output or f"forbedring-{today.isoformat()}.xlsx": await export.xlsx(db, where, today)}
        prefix = args.output or f"forbedring-{today.isoformat()}"
        return {f"{prefix}-{name}": data for name, data in (await export.csv_files(db, where, today)).items()}

    from bot import workers

    try:
        files = await _with_database(settings, work)
    finally:
        await workers.shutdown()  # the file is made in the worker process
    if files is None:
        print(f"error: --scope {args.scope!r}: use national, region:CODE_OR_NAME or trust:CODE of an imported "
              "region or trust", file=sys.stderr)
        return EXIT_FAILED
    for path, data in files.items():
        with open(path, "wb") as out:
            out.write(data)
        print(f"wrote {path} ({len(data):,} bytes, survey year {current_year(today)})")
    return 0


def _day(text: str, option: str) -> "date | None":
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        print(f"error: {option} {text!r}: expected YYYY-MM-DD", file=sys.stderr)
        return None


async def _programme_work(settings: Settings, work):
    """`work` on the database for the dst/ttp commands; a ProgrammeError is one line (None)."""
    from bot.services import programme

    try:
        return await _with_database(settings, work)
    except programme.ProgrammeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


async def _dst_enrol(settings: Settings, args) -> int:
    from datetime import datetime, timezone

    from bot.services import programme

    start = _day(args.start, "--start")
    if start is None:
        return EXIT_FAILED
    criteria = {key: (getattr(args, key) == "yes", getattr(args, f"{key}_note").strip())
                for key in ("potential", "challenges", "motivation")}

    async def work(db):
        unit_id = await programme.find_unit(db, args.unit, args.in_trust)
        return await programme.enrol(db, unit_id, start, criteria, actor="cli", now=datetime.now(timezone.utc))

    found = await _programme_work(settings, work)
    if found is None:
        return EXIT_FAILED
    enrolment = found
    print(f"enrolled unit {args.unit} in Der skoen trykker from {enrolment.started_on.isoformat()} "
          f"(enrolment {enrolment.id})")
    return 0


async def _dst_gathering_add(settings: Settings, args) -> int:
    from datetime import datetime, timezone

    from bot.services import programme

    day = _day(args.date, "--date")
    if day is None:
        return EXIT_FAILED

    async def work(db):
        return await programme.add_gathering(db, args.region, args.kind, day, args.place, actor="cli",
                                             now=datetime.now(timezone.utc))

    found = await _programme_work(settings, work)
    if found is None:
        return EXIT_FAILED
    gathering = found
    print(f"added gathering {gathering.id}: {gathering.kind} on {gathering.held_on.isoformat()} at {gathering.place}")
    return 0


async def _dst_gathering_list(settings: Settings, args) -> int:
    from bot.services import programme

    async def work(db):
        return await programme.list_gatherings(db, args.region)

    found = await _programme_work(settings, work)
    if found is None:
        return EXIT_FAILED
    rows = found
    for gathering, region in rows:
        print(f"{gathering.id}\t{gathering.held_on.isoformat()}\t{region}\t{gathering.kind}\t{gathering.place}")
    return 0


def _print_ttp(settings: Settings, trust, on: bool, days: str) -> int:
    print(f"{trust.code}: TTP reminder {'on' if on else 'off'}, days {days or settings.ttp_dates + ' (TTP_DATES)'}")
    return 0


async def _ttp_set(settings: Settings, args) -> int:
    from datetime import datetime, timezone

    from bot.services import programme

    enabled = False if args.off else True if args.on else None
    dates = "" if args.default_dates else args.dates
    if enabled is None and dates is None:
        print("error: give --dates, --default-dates, --off or --on", file=sys.stderr)
        return EXIT_FAILED

    async def work(db):
        return await programme.set_ttp(db, args.trust, enabled=enabled, dates=dates, actor="cli",
                                       now=datetime.now(timezone.utc))

    found = await _programme_work(settings, work)
    if found is None:
        return EXIT_FAILED
    trust, on, days = found
    return _print_ttp(settings, trust, on, days)


async def _ttp_show(settings: Settings, args) -> int:
    from bot.services import programme

    async def work(db):
        return await programme.ttp_of(db, args.trust)

    found = await _programme_work(settings, work)
    if found is None:
        return EXIT_FAILED
    trust, on, days = found
    return _print_ttp(settings, trust, on, days)


async def _research_export(settings: Settings, args) -> int:
    from datetime import datetime as dt

    from bot.services import programme
    from bot.services.export import excel_csv

    today = dt.now(settings.bot_timezone).date()

    async def work(db):
        return await programme.research_rows(db, settings.dst_phase_days)

    rows = await _with_database(settings, work)
    path = args.output or f"der-skoen-trykker-research-{today.isoformat()}.csv"
    data = excel_csv(programme.RESEARCH_HEADER, rows)
    with open(path, "wb") as file:
        file.write(data)
    print(f"wrote {path} ({len(rows)} unit(s), {len(data):,} bytes)")
    return 0


async def _person_erase(settings: Settings, args) -> int:
    from bot.services import privacy

    async def work(db):
        found = await privacy.find_person(db, args.id, args.telegram_id)
        if found is None or found.erased or not args.yes:
            return found, False
        return found, await privacy.erase_person(db, found.id, datetime.now(timezone.utc), actor="cli")

    found, erased = await _with_database(settings, work)
    if found is None:
        which = f"person {args.id}" if args.id is not None else f"person with Telegram user id {args.telegram_id}"
        print(f"error: no {which}", file=sys.stderr)
        return EXIT_FAILED
    if found.erased:
        print(f"person {found.id} is erased already; nothing was changed")
        return 0
    if not erased:
        print(f"person {found.id}: {found.name}, {found.memberships} role(s). Nothing was changed; "
              "add --yes to erase them.", file=sys.stderr)
        return EXIT_FAILED
    print(f"person {found.id} erased: roles, drafts, reminders and queued messages deleted; their comments "
          "read '(removed)' and the unit's history shows them by their former role")
    return 0


async def _audit(settings: Settings, args) -> int:
    from datetime import date

    from bot.rules.privacy import actor_person_id, former_name
    from bot.services import privacy

    since = None
    if args.since:
        try:
            since = datetime.combine(date.fromisoformat(args.since), datetime.min.time(), settings.bot_timezone)
        except ValueError:
            print(f"error: --since {args.since!r}: expected a date as YYYY-MM-DD", file=sys.stderr)
            return EXIT_FAILED
    if args.in_trust and not args.unit:
        print("error: --in-trust goes with --unit", file=sys.stderr)
        return EXIT_FAILED

    async def work(db):
        unit_id = None
        if args.unit:
            units = await privacy.find_units(db, args.unit, args.in_trust)
            if len(units) != 1:
                return len(units), []
            unit_id = units[0].id
        return 1, await privacy.audit_log(db, unit_id, args.person, since)

    units, lines = await _with_database(settings, work)
    if units == 0:
        where = f" in trust {args.in_trust!r}" if args.in_trust else ""
        print(f"error: no unit with code {args.unit!r}{where}", file=sys.stderr)
        return EXIT_FAILED
    if units > 1:
        print(f"error: {units} units have the code {args.unit!r}: add --in-trust CODE", file=sys.stderr)
        return EXIT_FAILED
    if not lines:
        print("no entries")
    for line in lines:
        entry, actor = line.entry, line.entry.actor
        if line.actor_erased:
            actor += f" ({former_name(line.actor_former_role)})"
        elif actor_person_id(actor) is not None and line.actor_name is not None:
            actor += f" ({line.actor_name})"
        when = entry.at.astimezone(settings.bot_timezone).strftime("%Y-%m-%d %H:%M")
        detail = f"  {entry.detail}" if entry.detail else ""
        print(f"{when}  {actor}  {entry.action}  {entry.subject}{detail}")
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


async def _status(settings: Settings, args) -> int:
    from bot.rules.vocabulary import OutboxState
    from bot.services.operations import status

    report = await _with_database(settings, status)
    print("outbox: " + ", ".join(f"{state} {report.backlog.get(state, 0)}" for state in OutboxState))
    if report.last_sweep_at is None:
        print("last sweep: never")
    else:
        print(f"last sweep: {report.last_sweep_at.astimezone(settings.bot_timezone):%Y-%m-%d %H:%M %Z}"
              + (f" ({report.last_sweep_figures})" if report.last_sweep_figures else ""))
    print(f"active worker: {report.lock_holder or 'none (no process holds the worker lock)'}")
    return 0


async def _demo(settings: Settings, args) -> int:
    from bot.demo import run_demo

    await run_demo(settings, fresh=not args.keep)
    return 0



def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    import asyncio

    from bot.settings import SettingsError, load_settings
    from storage.migrate import SchemaOutOfDate

    from bot import log_masking
    from bot.runner import CannotRun

    logging.basicConfig(level=logging.INFO if args.command in ("run", "db") else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs request URLs, and the token is in the URL (the mask below hides it as well).
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    try:
        settings = load_settings()
        # Before anything can log: the token, the webhook secret and the database password are masked
        # in every record, at every level.
        log_masking.install(log_masking.secrets_of(settings))
        if settings.log_level:
            logging.getLogger().setLevel(settings.log_level)
        action = {
            "run": _run, "demo": _demo, "db": _db_upgrade, "org": _org_import, "export": _export, "status": _status,
        }.get(args.command)
        if args.command == "cycle":
            action = {"set": _cycle_set, "copy": _cycle_copy, "show": _cycle_show}[args.cycle_command]
        if args.command == "person":
            action = {"erase": _person_erase}[args.person_command]
        if args.command == "dst":
            action = _dst_enrol if args.dst_command == "enrol" else \
                {"add": _dst_gathering_add, "list": _dst_gathering_list}[args.gathering_command]
        if args.command == "ttp":
            action = {"set": _ttp_set, "show": _ttp_show}[args.ttp_command]
        if args.command == "audit":
            action = _audit
        if args.command == "invite":
            action = {"create": _invite_create, "list": _invite_list, "revoke": _invite_revoke}[args.invite_command]
        if args.command == "member":
            action = {"list": _member_list, "remove": _member_remove}[args.member_command]
        return asyncio.run(action(settings, args))
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_SETTING
    except SchemaOutOfDate as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except CannotRun as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception:  # through logging, so that the mask hides any secret in the traceback
        logging.getLogger("bot").exception("stopped by an unexpected error")
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
