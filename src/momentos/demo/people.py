"""Demo customers: Spanish and English names, languages (~70/30), time zones, phones and preferred channels."""

from __future__ import annotations

import random
import unicodedata
import zlib
from dataclasses import dataclass
from typing import Any

FIRST_ES = ("Ana", "Lucía", "Carmen", "María", "Sofía", "Valentina", "Camila", "Isabel", "Elena", "Marta", "Laura",
            "Daniela", "Gabriela", "Pilar", "Rocío", "Nuria", "Javier", "Carlos", "Miguel", "Pablo", "Diego",
            "Mateo", "Santiago", "Alejandro", "Andrés", "José", "Luis", "Fernando", "Raúl", "Jorge")
LAST_ES = ("García", "Rodríguez", "Martínez", "López", "Sánchez", "Pérez", "Gómez", "Fernández", "Díaz", "Moreno",
           "Romero", "Herrera", "Torres", "Ruiz", "Vargas", "Castillo", "Jiménez", "Navarro", "Ramos", "Ortega",
           "Muñoz", "Ortiz")
FIRST_EN = ("Emma", "Olivia", "Amelia", "Sophie", "Charlotte", "Emily", "Grace", "Lily", "Chloe", "Hannah",
            "James", "Oliver", "Jack", "Harry", "George", "Thomas", "William", "Daniel", "Samuel", "Michael")
LAST_EN = ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Evans", "Walker",
           "Wright", "Thompson", "White", "Hughes", "Green", "Clarke", "Hall", "Wood", "Harris", "Lewis")


@dataclass(frozen=True)
class Place:
    timezone: str
    city: str
    country: str
    phone_prefix: str


PLACES_ES: tuple[tuple[Place, float], ...] = (
    (Place("Europe/Madrid", "Madrid", "ES", "+34 6"), 0.30),
    (Place("Europe/Madrid", "Barcelona", "ES", "+34 6"), 0.12),
    (Place("Europe/Madrid", "Sevilla", "ES", "+34 6"), 0.08),
    (Place("America/Mexico_City", "Ciudad de México", "MX", "+52 55"), 0.20),
    (Place("America/Bogota", "Bogotá", "CO", "+57 3"), 0.14),
    (Place("America/Argentina/Buenos_Aires", "Buenos Aires", "AR", "+54 9 11"), 0.08),
    (Place("America/Lima", "Lima", "PE", "+51 9"), 0.08),
)
PLACES_EN: tuple[tuple[Place, float], ...] = (
    (Place("Europe/London", "London", "GB", "+44 7"), 0.35),
    (Place("America/New_York", "New York", "US", "+1 212"), 0.25),
    (Place("Europe/Madrid", "Madrid", "ES", "+34 6"), 0.25),
    (Place("America/Los_Angeles", "Los Angeles", "US", "+1 310"), 0.15),
)
CHANNELS = ("email", "whatsapp", "sms", "app", "phone")
CHANNEL_WEIGHTS = (0.35, 0.25, 0.15, 0.15, 0.10)


@dataclass(frozen=True)
class Person:
    external_id: str
    name: str
    email: str
    phone: str
    language: str
    timezone: str
    city: str
    country: str
    preferred_channels: tuple[str, ...]

    @property
    def plan(self) -> str:
        """``premium`` for about a third of the customers, else ``basic`` (from the id, so the random draws that
        shape the demo stay the same)."""
        return "premium" if zlib.crc32(self.external_id.encode()) % 3 == 0 else "basic"

    def traits(self) -> dict[str, Any]:
        return {"name": self.name, "email": self.email, "phone": self.phone, "language": self.language,
                "timezone": self.timezone, "city": self.city, "country": self.country,
                "preferred_channels": list(self.preferred_channels), "plan": self.plan}


def ascii_slug(text: str) -> str:
    """'García Muñoz' → 'garcia.munoz' (for demo e-mail addresses)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return ".".join(plain.lower().split())


def _pick_place(rng: random.Random, places: tuple[tuple[Place, float], ...]) -> Place:
    return rng.choices([p for p, _ in places], weights=[w for _, w in places])[0]


def _phone(rng: random.Random, prefix: str) -> str:
    digits = "".join(str(rng.randrange(10)) for _ in range(8))
    return f"{prefix}{digits[:2]} {digits[2:5]} {digits[5:]}"


def make_people(rng: random.Random, count: int) -> list[Person]:
    """``count`` customers; e-mail addresses are unique (a number is added when a name repeats)."""
    people: list[Person] = []
    used: dict[str, int] = {}
    for i in range(1, count + 1):
        spanish = rng.random() < 0.7
        first = rng.choice(FIRST_ES if spanish else FIRST_EN)
        last = rng.choice(LAST_ES if spanish else LAST_EN)
        place = _pick_place(rng, PLACES_ES if spanish else PLACES_EN)
        local = ascii_slug(f"{first} {last}")
        used[local] = used.get(local, 0) + 1
        if used[local] > 1:
            local = f"{local}{used[local]}"
        channels = rng.choices(CHANNELS, weights=CHANNEL_WEIGHTS, k=rng.choice((1, 2, 2)))
        people.append(Person(
            external_id=f"cus-{i:05d}", name=f"{first} {last}", email=f"{local}@example.com",
            phone=_phone(rng, place.phone_prefix), language="es" if spanish else "en", timezone=place.timezone,
            city=place.city, country=place.country, preferred_channels=tuple(dict.fromkeys(channels))))
    return people
