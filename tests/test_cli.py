"""The admin's command line: importing the organisation and managing invites."""

from __future__ import annotations

import re

import pytest

from storage.models import AuditEntry, HealthTrust, Invite, Region, Unit
from tests.harness import rows, write

ORG = ("region,trust_code,trust_name,unit_code,unit_name,clinic\n"
       "Helse Vest,HB,Helse Bergen,MED1,Medisinsk sengepost 1,Medisinsk klinikk\n"
       "Helse Vest,HB,Helse Bergen,KIR2,Kirurgisk sengepost 2,\n"
       "Helse Sør-Øst,OUS,Oslo universitetssykehus,MED1,Medisin OUS,\n")


def test_import_is_idempotent_and_updates_in_place(cli, db_url, tmp_path):
    code, out, _ = cli("org", "import", write(tmp_path, "org.csv", ORG, bom=True))
    assert code == 0
    assert "created 2 region(s), 2 trust(s), 3 unit(s)" in out
    code, out, _ = cli("org", "import", write(tmp_path, "org.csv", ORG))
    assert "created 0 region(s), 0 trust(s), 0 unit(s); updated 0 region(s), 0 trust(s), 0 unit(s)" in out
    renamed = ORG.replace("Kirurgisk sengepost 2", "Kirurgisk sengepost 2B").replace(";", ",")
    code, out, _ = cli("org", "import", write(tmp_path, "org.csv", renamed))
    assert "updated 0 region(s), 0 trust(s), 1 unit(s)" in out
    units = {(u.code, u.name) for u in rows(db_url, Unit)}
    assert units == {("MED1", "Medisinsk sengepost 1"), ("KIR2", "Kirurgisk sengepost 2B"), ("MED1", "Medisin OUS")}
    assert {r.code for r in rows(db_url, Region)} == {"helse-vest", "helse-sor-ost"}
    assert [e.action for e in rows(db_url, AuditEntry)] == ["org.import", "org.import"]


def test_excel_semicolon_csv(cli, db_url, tmp_path):
    text = "Region;Trust_code;Trust_name;Unit_code;Unit_name;Department\r\nHelse Nord;UNN;Universitetssykehuset Nord-Norge;BARN;Barneavdelinga;Barn\r\n"
    code, out, _ = cli("org", "import", write(tmp_path, "excel.csv", text, bom=True))
    assert code == 0, out
    assert [(u.code, u.department) for u in rows(db_url, Unit)] == [("BARN", "Barn")]


def test_bad_rows_are_all_listed_and_nothing_is_written(cli, db_url, tmp_path):
    text = ORG + ("Helse Vest,HB,Helse Bergen,,Tom enhet,\n"
                  "Helse Vest,HB,Bergen annet navn,X1,Ny,\n"
                  "Helse Vest,HB,Helse Bergen,MED1,Dobbel,\n"
                  "Helse Vest,H B,Helse Bergen,X2,Mellomrom,\n")
    code, _, err = cli("org", "import", write(tmp_path, "bad.csv", text))
    assert code == 1
    assert "nothing was written" in err
    assert "line 5: unit_code is empty" in err
    assert "line 6: trust HB has another name or region on line 2" in err
    assert "line 7: unit MED1 of trust HB is already on line 2" in err
    assert "line 8: trust_code 'H B' must be" in err
    assert rows(db_url, Unit) == [] and rows(db_url, HealthTrust) == []


def test_missing_columns_and_non_utf8(cli, tmp_path):
    code, _, err = cli("org", "import", write(tmp_path, "x.csv", "region,trust_code\nA,B\n"))
    assert code == 1 and "missing column(s) in the header row: trust_name, unit_code, unit_name" in err
    path = tmp_path / "latin1.csv"
    path.write_bytes("region,trust_code,trust_name,unit_code,unit_name\nHelse Sør,A,B,C,D\n".encode("latin-1"))
    code, _, err = cli("org", "import", str(path))
    assert code == 1 and "not UTF-8" in err


def test_xlsx_import(cli, db_url, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["region", "trust_code", "trust_name", "unit_code", "unit_name"])
    sheet.append(["Helse Midt-Norge", "STO", "St. Olavs hospital", 4411, "Hjerteavdelingen"])
    workbook.save(tmp_path / "org.xlsx")
    code, out, err = cli("org", "import", str(tmp_path / "org.xlsx"))
    assert code == 0, err
    assert [(u.code, u.name) for u in rows(db_url, Unit)] == [("4411", "Hjerteavdelingen")]


def test_invite_create_list_revoke(cli, db_url, tmp_path):
    cli("org", "import", write(tmp_path, "org.csv", ORG))
    code, out, err = cli("invite", "create", "--unit", "KIR2", "--role", "leader", "--expires", "7d",
                         "--uses", "3", "--bot-username", "@ForBedringBot")
    assert code == 0, err
    link = out.splitlines()[0]
    match = re.fullmatch(r"https://t\.me/ForBedringBot\?start=([A-Za-z0-9_-]+)", link)
    assert match and len(match.group(1)) <= 64 and len(match.group(1)) * 6 >= 128
    secret = match.group(1)
    assert f"code: {secret}" in out
    assert "leader for Kirurgisk sengepost 2, Helse Bergen, 3 use(s)" in out
    # Only the hash is stored.
    stored = rows(db_url, Invite)
    assert len(stored) == 1 and secret not in repr(stored[0].model_dump())

    code, out, _ = cli("invite", "list")
    assert re.search(r"1  valid\s+leader\s+Kirurgisk sengepost 2, Helse Bergen  uses 0/3", out)
    assert cli("invite", "revoke", "1")[0] == 0
    assert "no usable invites" in cli("invite", "list")[1]
    assert "revoked" in cli("invite", "list", "--all")[1]
    assert cli("invite", "revoke", "99")[2].strip() == "error: no invite with id 99"


@pytest.mark.parametrize("args, message", [
    (["--unit", "NOPE", "--role", "leader"], "no unit with code 'NOPE'"),
    (["--unit", "MED1", "--role", "leader"], "exists in several trusts"),
    (["--trust", "XX", "--role", "admin"], "no health trust with code 'XX'"),
    (["--region", "Helse Nord", "--role", "admin"], "no region with code or name 'Helse Nord'"),
    (["--national", "--role", "safety_rep"], "a safety_rep invite must be for: trust, unit"),
    (["--national", "--role", "admin", "--expires", "soon"], "is not a duration"),
    (["--national", "--role", "admin", "--uses", "0"], "--uses must be between 1 and 500"),
    # Issue 12: invites are capped (10,000 uses and 9,999 weeks were accepted).
    (["--national", "--role", "admin", "--uses", "501"], "--uses must be between 1 and 500"),
    (["--national", "--role", "admin", "--uses", "10000"], "--uses must be between 1 and 500"),
    (["--national", "--role", "admin", "--expires", "9999w"], "--expires must be at most 90 days"),
    (["--national", "--role", "admin", "--expires", "91d"], "--expires must be at most 90 days"),
    (["--national", "--role", "admin", "--expires", "2161h"], "--expires must be at most 90 days"),
])
def test_invite_create_refuses_with_the_reason(cli, db_url, tmp_path, args, message):
    cli("org", "import", write(tmp_path, "org.csv", ORG))
    code, _, err = cli("invite", "create", *args, "--bot-username", "b")
    assert code == 1 and message in err
    assert rows(db_url, Invite) == []


def test_invite_create_accepts_the_caps(cli, tmp_path):
    cli("org", "import", write(tmp_path, "org.csv", ORG))
    code, out, err = cli("invite", "create", "--national", "--role", "admin", "--uses", "500", "--expires", "90d",
                         "--bot-username", "b")
    assert code == 0 and "500 use(s)" in out, err


def test_invite_by_region_code_or_name(cli, tmp_path):
    cli("org", "import", write(tmp_path, "org.csv", ORG))
    assert cli("invite", "create", "--region", "helse-sor-ost", "--role", "admin", "--bot-username", "b")[0] == 0
    code, out, _ = cli("invite", "create", "--region", "Helse Vest", "--role", "programme_staff",
                       "--bot-username", "b")
    assert code == 0 and "programme_staff for Helse Vest" in out
