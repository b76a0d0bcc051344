"""The local demo: the real Application in a terminal, with no token and no network.

It runs on its own SQLite file, seeded with a small organisation and one
person per role. Type messages as the current demo person; lines starting
with `!` steer the demo (see DEMO_HELP). Input may be piped in, so a scripted
session can be tested.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import TextIO

from bot.app import build_application, on_startup
from bot.jobs import sweep_if_due
from bot.offline import ChatUser, FakeTelegram, SentMessage
from bot.rules.errors import InviteError
from bot.rules.org_file import OrgRow, region_code
from bot.rules.vocabulary import Role, Scope
from bot.services.invites import create_invite
from bot.settings import Settings
from storage import migrate, organisation, people
from storage.database import Database
from storage.models import Membership

DEMO_HELP = """Demo commands:
  !who                 list the demo people
  !as NAME|N           become another demo person
  !N                   press button N of the newest message with buttons
  !invite ROLE [UNIT]  make an invite (as an admin would); $INVITE in a message is replaced by its code
  !date YYYY-MM-DD     move the bot's clock to that day (walk a unit through the year)
  !forward N           move N days ahead; each working day's 09:00 reminder sweep runs on the way
  !help                this text
  !quit                leave (end of input does the same)
Anything else is sent to the bot as the current person."""

# (code, name, clinic, leader-group level): MEDLED is the clinic-level leader group above MED1
# (bot/rules/leader_groups.py), so /raised, the Monday digest and a group's own plan can be tried.
DEMO_UNITS = [
    ("MED1", "Medisinsk sengepost 1", "Medisinsk klinikk", None),
    ("KIRPOL", "Kirurgisk poliklinikk", "Kirurgisk klinikk", None),
    ("BARN", "Barneavdelinga", "Barne- og ungdomsklinikken", None),
    ("MEDLED", "Ledergruppen Medisinsk klinikk", "Medisinsk klinikk", "clinic"),
]


class DemoPerson:
    def __init__(self, key: str, user_id: int, first: str, last: str, telegram_language: str,
                 role: Role | None, scope: Scope | None, language: str, unit: str = "MED1"):
        self.key, self.user_id, self.first, self.last = key, user_id, first, last
        self.telegram_language, self.role, self.scope, self.language = telegram_language, role, scope, language
        self.unit = unit  # the unit code of a unit-scope membership

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


DEMO_PEOPLE = [
    DemoPerson("leader", 1001, "Kari", "Nordmann", "nb", Role.LEADER, Scope.UNIT, "nb"),
    DemoPerson("safety_rep", 1002, "Ola", "Vik", "nb", Role.SAFETY_REP, Scope.UNIT, "nn"),
    DemoPerson("union_rep", 1003, "Siri", "Berg", "nb", Role.UNION_REP, Scope.UNIT, "nb"),
    DemoPerson("programme_staff", 1004, "Priya", "Shah", "en", Role.PROGRAMME_STAFF, Scope.NATIONAL, "en"),
    DemoPerson("admin", 1005, "Anne", "Haugen", "nb", Role.ADMIN, Scope.NATIONAL, "nb"),
    DemoPerson("newcomer", 1006, "Nils", "Ny", "nn", None, None, "nn"),
    # Der skoen trykker: MED1 is enrolled (seed below); its local resource and the region's intervention team.
    DemoPerson("local_resource", 1007, "Hanne", "Lie", "nb", Role.LOCAL_RESOURCE, Scope.UNIT, "nb"),
    DemoPerson("intervention_team", 1008, "Ingrid", "Dahl", "nn", Role.INTERVENTION_TEAM, Scope.REGION, "nn"),
    # The leader of the clinic's leader group (MEDLED), the level above MED1: a problem raised there reaches her.
    DemoPerson("group_leader", 1009, "Gro", "Lund", "nb", Role.LEADER, Scope.UNIT, "nb", unit="MEDLED"),
]


async def seed(db: Database) -> None:
    rows = [OrgRow(i + 2, "Helse Vest", "HB", "Helse Bergen", code, name, clinic, None, level)
            for i, (code, name, clinic, level) in enumerate(DEMO_UNITS)]
    async with db.session() as session:
        await organisation.import_rows(session, rows, region_code)
        units = {code: (await organisation.find_unit(session, code, "HB"))[0] for code, *_ in DEMO_UNITS}
        med1 = units["MED1"]
        for p in DEMO_PEOPLE:
            if p.role is None:
                continue
            person = await people.get_or_create_person(session, p.user_id, p.name, p.language)
            person.language_chosen = True
            people.add_membership(session, Membership(
                person_id=person.id, role=p.role, scope=p.scope,
                unit_id=units[p.unit].id if p.scope is Scope.UNIT else None,
                region_id=(await organisation.find_region(session, "Helse Vest")).id if p.scope is Scope.REGION else None,
            ))
        # MED1 follows Der skoen trykker too (from 1 February of the current year), beside ForBedring.
        from datetime import date, datetime, timezone

        from storage import programme

        await programme.enrol(session, med1.id, date(datetime.now(timezone.utc).year, 2, 1), {
            "potential": (True, "Høyt sykefravær over tid"), "challenges": (True, "Travle vakter"),
            "motivation": (True, "")}, "demo", datetime.now(timezone.utc))


class Demo:
    def __init__(self, settings: Settings, out: TextIO):
        self.settings = settings
        self.out = out
        self.telegram = FakeTelegram()
        self.invite_code: str | None = None
        self.current = DEMO_PEOPLE[0]
        self.seen: dict[int, int] = {}  # user id -> how many Bot API events they have seen
        self.echo = True  # repeat typed lines when input is piped, so the transcript reads well

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def user(self, person: DemoPerson) -> ChatUser:
        return ChatUser(self.application, self.telegram, person.user_id, person.first,
                        person.telegram_language, person.last)

    def show_unseen(self, heading: str = "(while you were away)") -> None:
        """Messages that reached the current person while the demo was someone else."""
        user = self.user(self.current)
        waiting = user.since(self.seen.get(user.user_id, 0))
        if waiting:
            self.say(heading)
            self.show(waiting, len(self.telegram.calls))
        self.seen[user.user_id] = len(self.telegram.events)

    def show(self, messages: list[SentMessage], calls_before: int) -> None:
        for call in self.telegram.calls[calls_before:]:
            if call.method == "answerCallbackQuery" and call.params.get("text"):
                self.say(f"bot (pop-up)> {call.params['text']}")
        for message in messages:
            lines = message.plain.splitlines() or [""]
            if message.kind != "text":  # a photo or document: the terminal shows what it is, then its caption
                self.say(f"bot> [{message.kind}]")
                if lines[0] != f"[{message.kind}]":  # the fake Bot API keeps "[photo]" when there is no caption
                    self.say(f"     {lines[0]}")
            else:
                self.say(f"bot> {lines[0]}")
            for line in lines[1:]:
                self.say(f"     {line}")
            if message.buttons:
                self.say("     " + "  ".join(f"[{i}] {b['text']}" for i, b in enumerate(message.buttons, 1)))

    def switch(self, who: str) -> None:
        for index, person in enumerate(DEMO_PEOPLE, 1):
            if who in (str(index), person.key, person.first.lower(), person.name.lower()):
                self.current = person
                self.say(f"── you are now {person.name} ({person.key}) ──")
                if hasattr(self, "application"):
                    self.show_unseen()
                return
        self.say(f"demo: no demo person '{who}'; try !who")

    async def make_invite(self, args: list[str]) -> None:
        if not args:
            self.say("demo: usage: !invite ROLE [UNIT]")
            return
        role = args[0]
        unit = args[1] if len(args) > 1 else "MED1"
        scope = Scope.UNIT if role in (Role.LEADER, Role.SAFETY_REP, Role.UNION_REP) else Scope.NATIONAL
        try:
            new = await create_invite(self.db, role=role, scope=scope, place_code=unit if scope == Scope.UNIT else None,
                                      trust_code=None, expires_in=timedelta(days=14), uses=1,
                                      created_by="demo", now=datetime.now(timezone.utc))
        except InviteError as exc:
            self.say(f"demo: {exc}")
            return
        self.invite_code = new.code
        self.say(f"demo: invite for {role} ({new.place or 'national'}): /start {new.code}  (or type /start $INVITE)")

    def set_date(self, args: list[str]) -> None:
        clock = self.application.bot_data["clock"]
        if args:
            try:
                clock.set_today(date.fromisoformat(args[0]))
            except ValueError:
                self.say("demo: usage: !date YYYY-MM-DD")
                return
        self.say(f"demo: the bot's date is now {clock.today().isoformat()}")

    async def forward(self, args: list[str]) -> None:
        if args and not (args[0].isdigit() and 0 < int(args[0]) <= 800):
            self.say("demo: usage: !forward N (days, 1-800)")
            return
        clock, tz = self.application.bot_data["clock"], self.settings.bot_timezone
        day = clock.today()
        for _ in range(int(args[0]) if args else 1):
            day += timedelta(days=1)
            clock.set_today(day)
            await sweep_if_due(self.application, datetime.combine(day, time(9, 0), tz))
        self.say(f"demo: the bot's date is now {day.isoformat()}")
        self.show_unseen()
        for person in DEMO_PEOPLE:
            if person is not self.current and (waiting := len(self.user(person).since(self.seen.get(person.user_id, 0)))):
                self.say(f"demo: {waiting} new message(s) for {person.name} (!as {person.key})")

    async def handle(self, line: str) -> bool:
        """One line of input. Returns False to stop."""
        line = line.rstrip("\n")
        if not line.strip():
            return True
        if line.startswith("!"):
            words = line[1:].split()
            command, args = (words[0].lower(), words[1:]) if words else ("help", [])
            if command in ("quit", "exit"):
                return False
            if command == "who":
                for index, p in enumerate(DEMO_PEOPLE, 1):
                    self.say(f"  {index}. {p.name} – {p.key}")
            elif command == "as" and args:
                self.switch(" ".join(args).lower())
            elif command.isdigit():
                await self.press(int(command))
            elif command == "invite":
                await self.make_invite(args)
            elif command == "date":
                self.set_date(args)
            elif command == "forward":
                await self.forward(args)
            else:
                self.say(DEMO_HELP)
            return True
        if "$INVITE" in line:
            if self.invite_code is None:
                self.say("demo: no invite yet; make one with !invite ROLE")
                return True
            line = line.replace("$INVITE", self.invite_code)
        if self.echo:
            self.say(f"{self.current.first}> {line}")
        calls_before = len(self.telegram.calls)
        self.show(await self.user(self.current).send(line), calls_before)
        self.seen[self.current.user_id] = len(self.telegram.events)
        return True

    async def press(self, number: int) -> None:
        user = self.user(self.current)
        with_buttons = [m for m in user.messages if m.buttons]
        if not with_buttons or not 1 <= number <= len(with_buttons[-1].buttons):
            self.say(f"demo: there is no button {number}")
            return
        message = with_buttons[-1]
        button = message.buttons[number - 1]
        if "url" in button:  # a link (bot/resources.py): Telegram opens it in the browser
            self.say(f"demo: [{button['text']}] opens {button['url']}")
            return
        self.say(f"{self.current.first}> [{button['text']}]")
        calls_before = len(self.telegram.calls)
        self.show(await user.press_data(button["callback_data"], message), calls_before)
        self.seen[self.current.user_id] = len(self.telegram.events)

    async def run(self, source: TextIO, fresh: bool = True) -> None:
        path = Path(self.settings.data_dir) / "demo.db"
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        self.db = Database(f"sqlite+aiosqlite:///{path.as_posix()}")
        await migrate.upgrade(self.db.engine)
        async with self.db.session() as session:
            empty = await organisation.count_units(session) == 0
        if empty:
            await seed(self.db)
        self.application = build_application(replace(self.settings, database_url=self.db.url), self.db,
                                             request=self.telegram, with_updater=False)
        interactive = source.isatty()
        self.echo = not interactive
        # The fake Telegram has no per-chat limit; days pass in milliseconds here, and a piped
        # script types faster than any person, so the per-person throttle is off in the demo.
        self.application.bot_data["sender"].per_chat = 0
        self.application.bot_data["throttle"] = None
        async with self.application:
            await on_startup(self.application)
            self.say("ForBedring assistant – local demo (no network, demo database at "
                     f"{path}).\n{DEMO_HELP}")
            self.switch("leader")
            loop = asyncio.get_running_loop()
            while True:
                if interactive:
                    print(f"{self.current.first}> ", end="", file=self.out, flush=True)
                line = await loop.run_in_executor(None, source.readline)
                if not line or not await self.handle(line):
                    break
        await self.db.dispose()
        self.say("demo: bye")


async def run_demo(settings: Settings, fresh: bool = True, source: TextIO | None = None,
                   out: TextIO | None = None) -> None:
    await Demo(settings, out or sys.stdout).run(source or sys.stdin, fresh=fresh)
