"""Demo agencies and users (one per role), with passwords generated per installation."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from bridgeway.accounts.models import Agency, Role, Sector, User

DEMO_AGENCIES = [
    # code, name, sector
    ("dsw-central", "Directorate of Social Welfare — Child Protection Unit", Sector.CHILD_PROTECTION),
    ("ngo-harapan", "Harapan Child Protection Network (NGO)", Sector.CHILD_PROTECTION),
    ("clinic-north", "North District Community Health Centre", Sector.HEALTH),
    ("school-office", "District Education Office", Sector.EDUCATION),
    ("police-juvenile", "Police Juvenile Unit", Sector.POLICE),
    ("prosecution", "Public Prosecution Office", Sector.PROSECUTION),
    ("juvenile-court", "Juvenile Court", Sector.COURT),
    ("legal-aid", "Legal Aid Foundation", Sector.LEGAL_AID),
    ("lpka", "Special Development Institution for Children (detention)", Sector.DETENTION),
]

DEMO_USERS = [
    # username, agency code, role, full name
    ("caseworker1", "dsw-central", Role.CASEWORKER, "Dewi Lestari"),
    ("caseworker2", "dsw-central", Role.CASEWORKER, "Rizky Pratama"),
    ("caseworker3", "dsw-central", Role.CASEWORKER, "Nur Aini"),
    ("supervisor1", "dsw-central", Role.SUPERVISOR, "Hendra Wijaya"),
    ("ngo_caseworker", "ngo-harapan", Role.CASEWORKER, "Fatimah Zahra"),
    ("ngo_supervisor", "ngo-harapan", Role.SUPERVISOR, "Yusuf Hakim"),
    ("health1", "clinic-north", Role.CASEWORKER, "dr. Ratna Sari"),
    ("teacher1", "school-office", Role.CASEWORKER, "Agus Santoso"),
    ("police1", "police-juvenile", Role.CASEWORKER, "Iptu Bayu Saputra"),
    ("prosecutor1", "prosecution", Role.CASEWORKER, "Maria Gunawan"),
    ("judge1", "juvenile-court", Role.CASEWORKER, "Siti Rahmawati"),
    ("lawyer1", "legal-aid", Role.CASEWORKER, "Andi Firmansyah"),
    ("detention1", "lpka", Role.CASEWORKER, "Joko Susilo"),
    ("agency_admin1", "dsw-central", Role.AGENCY_ADMIN, "Lina Marlina"),
    ("analyst1", "dsw-central", Role.ANALYST, "Putri Handayani"),
    ("auditor1", None, Role.AUDITOR, "Data Protection Officer"),
    ("admin", None, Role.SYSTEM_ADMIN, "System Administrator"),
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    agency: str


def logins_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-logins.txt"


@transaction.atomic
def ensure_demo_accounts(country: str = "ID") -> list[DemoLogin]:
    """Create the demo agencies and users once; later runs keep their passwords."""
    agencies = {}
    for code, name, sector in DEMO_AGENCIES:
        agencies[code], _ = Agency.objects.get_or_create(
            code=code, defaults={"name": name, "sector": sector, "country": country})
    known = _read_logins()
    logins = []
    for username, agency_code, role, full_name in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        password = known.get(username)
        if user is None or password is None:
            password = secrets.token_urlsafe(9)
            first, _, last = full_name.partition(" ")
            user = user or User(username=username)
            user.first_name, user.last_name = first, last
            user.agency = agencies.get(agency_code) if agency_code else None
            user.role = role
            user.is_staff = user.is_superuser = role == Role.SYSTEM_ADMIN
            user.set_password(password)
            user.save()
        logins.append(DemoLogin(username, password, str(role),
                                agencies[agency_code].name if agency_code else "—"))
    path = logins_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{x.username}\t{x.password}\t{x.role}\t{x.agency}\n"
                            for x in logins), encoding="utf-8")
    path.chmod(0o600)
    return logins


def _read_logins() -> dict[str, str]:
    path = logins_file()
    if not path.exists():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            out[parts[0]] = parts[1]
    return out
