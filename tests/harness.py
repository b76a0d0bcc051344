"""The offline test harness: the real Application against the fake Bot API."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

from sqlmodel import select

from bot.app import build_application, on_startup
from bot.offline import ChatUser, FakeTelegram
from bot.services.invites import create_invite
from bot.services.org_import import import_org_file
from bot.settings import Settings
from storage.database import Database

ORG_CSV = """region;trust_code;trust_name;unit_code;unit_name;clinic;department
Helse Vest;HB;Helse Bergen;MED1;Medisinsk sengepost 1;Medisinsk klinikk;Sengeposter
Helse Vest;HB;Helse Bergen;KIRPOL;Kirurgisk poliklinikk;Kirurgisk klinikk;
Helse Vest;HFD;Helse Førde;MED1;Medisinsk post Førde;;
Helse Sør-Øst;OUS;Oslo universitetssykehus;AKUTT;Akuttmottaket;Akuttklinikken;
"""


TEST_TIME_OF_DAY = time(9, 30)
# The Telegram client language of a person who uses the bot in this language.
TELEGRAM_LANGUAGE_CODES = {"Bokmål": "nb", "Nynorsk": "nn", "English": "en"}


class Harness:
    """One bot, restartable, with people who chat with it."""

    def __init__(self, settings: Settings, db: Database):
        self.settings = settings
        self.db = db
        self.telegram = FakeTelegram()
        self.users: list[ChatUser] = []
        self.application = None
        self.frozen_today = None
        self.clock_offset = None  # carried across restarts: time goes on as for a real process

    async def start(self) -> None:
        self.application = build_application(self.settings, self.db, request=self.telegram, with_updater=False)
        # Tests send faster than any person: the per-person throttle (built from the settings) is off
        # unless a test turns it on (tests/test_throttle.py).
        self.throttle = self.application.bot_data["throttle"]
        self.application.bot_data["throttle"] = None
        await self.application.initialize()
        await on_startup(self.application)
        if self.clock_offset is None:
            self._set_clock()
        else:
            self.clock.offset = self.clock_offset
        for user in self.users:
            user.application = self.application

    async def stop(self) -> None:
        assert self.telegram.double_answers == [], "a button press was answered twice"
        if self.application is not None:
            self.clock_offset = self.clock.offset
            await self.application.shutdown()
            self.application = None

    async def restart(self) -> None:
        """As after a process restart: a new Application, the same database and chats."""
        await self.stop()
        await self.start()

    @property
    def clock(self):
        return self.application.bot_data["clock"]

    def set_today(self, day) -> None:
        """Move the bot's clock to `day` (kept across restarts)."""
        self.frozen_today = day
        self._set_clock()

    def _set_clock(self) -> None:
        # Always the same time of day (inside the sending hours, before 10:00, when tests
        # send what is due), so a test gives the same result whenever it runs.
        day = self.frozen_today or datetime.now(self.settings.bot_timezone).date()
        self.clock.set_now(datetime.combine(day, TEST_TIME_OF_DAY, self.settings.bot_timezone))

    async def member(self, user_id: int, role: str, first_name: str = "Test", language: str = "English",
                     place: str | None = "KIRPOL", scope: str = "unit", trust: str | None = None) -> ChatUser:
        """A person who has joined with an invite, in one step: Telegram tells their language."""
        user = self.user(user_id, first_name, language_code=TELEGRAM_LANGUAGE_CODES[language])
        await user.send(f"/start {await self.invite(role, scope=scope, place=place, trust=trust)}")
        return user

    def user(self, user_id: int, first_name: str = "Test", language_code: str | None = "nb",
             last_name: str | None = None) -> ChatUser:
        user = ChatUser(self.application, self.telegram, user_id, first_name, language_code, last_name)
        self.users.append(user)
        return user

    async def import_org(self, tmp_path: Path, text: str = ORG_CSV) -> None:
        path = tmp_path / "org.csv"
        path.write_text(text, encoding="utf-8")
        await import_org_file(self.db, path)

    async def invite(self, role: str, scope: str = "unit", place: str | None = "KIRPOL",
                     trust: str | None = None, uses: int = 1, expires_in: timedelta = timedelta(days=14),
                     now: datetime | None = None) -> str:
        new = await create_invite(self.db, role=role, scope=scope, place_code=place, trust_code=trust,
                                  expires_in=expires_in, uses=uses, created_by="test",
                                  now=now or datetime.now(timezone.utc))
        return new.code


def rows(db_url, model):
    async def fetch():
        db = Database(db_url)
        async with db.session() as session:
            result = list((await session.exec(select(model))).all())
        await db.dispose()
        return result
    return asyncio.run(fetch())


def write(tmp_path, name, text, bom=False):
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return str(path)


async def send_with_random_kills(harness, db, all_sent, seed: int, now=None, turns=(50, 3000)) -> int:
    """Start a fresh sender (as after a restart), let it run a random number of event-loop
    turns, kill it, and again, until `all_sent()` says everything is out. Returns the kills.

    How many turns one message takes depends on the machine (the SQLite driver works in a
    thread), so after a kill that let nothing through the next round may run longer."""
    import random

    from bot.outbox import Sender

    chance, kills, stretch, stalled = random.Random(seed), 0, 1, 0
    while not await all_sent():
        calls_before = len(harness.telegram.calls)
        # A lease of zero: the killed sender's row is taken back at once (a real one waits for it to run out).
        sender = Sender(harness.application.bot, db, harness.settings.bot_timezone, rate=1000, per_chat=0,
                        lease=timedelta(0))
        await sender.recover()
        task = asyncio.create_task(sender.send_due(now=now))
        for _ in range(chance.randint(*turns) * stretch):
            await asyncio.sleep(0)
            if task.done():
                break
        if not task.done():
            task.cancel()
            kills += 1
        try:
            await task
        except asyncio.CancelledError:
            pass
        if len(harness.telegram.calls) == calls_before:
            stretch, stalled = min(stretch * 2, 1024), stalled + 1
        else:
            stretch, stalled = max(stretch // 2, 1), 0
        assert stalled < 30, "the sender made no progress in 30 rounds in a row"
    return kills
