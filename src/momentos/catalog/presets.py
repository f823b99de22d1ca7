"""Built-in journey models. Keys are stable; names are bilingual; every preset maps onto the 8 contact moments."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_MODEL = "contact-moments-8"


@dataclass(frozen=True)
class Moment:
    key: str
    name_es: str
    name_en: str
    maps_to: tuple[str, ...] = ()
    """Keys of the 8 contact moments this moment covers (for the default model: itself)."""

    def name(self, language: str) -> str:
        return self.name_es if language == "es" else self.name_en


@dataclass(frozen=True)
class JourneyModelDef:
    key: str
    name_es: str
    name_en: str
    moments: tuple[Moment, ...]
    builtin: bool = True
    _index: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update({m.key: i for i, m in enumerate(self.moments)})

    def name(self, language: str) -> str:
        return self.name_es if language == "es" else self.name_en

    @property
    def keys(self) -> list[str]:
        return [m.key for m in self.moments]

    @property
    def positions(self) -> dict[str, int]:
        return self._index

    def position(self, key: str) -> int:
        """0-based order of a moment; raises KeyError for an unknown key."""
        return self._index[key]

    def has(self, key: str) -> bool:
        return key in self._index

    def moment(self, key: str) -> Moment:
        return self.moments[self._index[key]]

    def next_key(self, key: str) -> str | None:
        pos = self._index[key]
        return self.moments[pos + 1].key if pos + 1 < len(self.moments) else None

    def to_canonical(self, key: str) -> str | None:
        """The first of the 8 contact moments this moment covers."""
        covered = self.moment(key).maps_to
        return covered[0] if covered else None

    def from_canonical(self, canonical_key: str) -> str | None:
        """The moment of this model that covers one of the 8 contact moments."""
        for m in self.moments:
            if canonical_key in m.maps_to:
                return m.key
        return None


def _m(key: str, es: str, en: str, *maps_to: str) -> Moment:
    return Moment(key, es, en, maps_to or (key,))


CONTACT_MOMENTS_8 = JourneyModelDef(
    DEFAULT_MODEL,
    "8 momentos de contacto",
    "8 contact moments",
    (
        _m("awareness", "Estímulo previo", "Pre-consideration"),
        _m("first_contact", "Primer contacto", "First contact"),
        _m("consideration", "Búsqueda y evaluación", "Search and evaluation"),
        _m("purchase", "Decisión y compra", "Purchase"),
        _m("delivery", "Entrega y prestación", "Delivery"),
        _m("use", "Uso y experiencia", "Use"),
        _m("support", "Soporte y postventa", "Support"),
        _m("loyalty", "Fidelización y renovación", "Loyalty and renewal"),
    ),
)
CANONICAL_KEYS: tuple[str, ...] = tuple(CONTACT_MOMENTS_8.keys)

PURCHASE_DECISION_5 = JourneyModelDef(
    "purchase-decision-5",
    "Proceso de decisión de compra (Kotler)",
    "Purchase decision process (Kotler)",
    (
        _m("need_recognition", "Reconocimiento de la necesidad", "Need recognition", "awareness"),
        _m("information_search", "Búsqueda de información", "Information search", "first_contact"),
        _m("evaluation", "Evaluación de alternativas", "Evaluation of alternatives", "consideration"),
        _m("purchase_decision", "Decisión de compra", "Purchase decision", "purchase"),
        _m("post_purchase", "Comportamiento poscompra", "Post-purchase behaviour",
           "delivery", "use", "support", "loyalty"),
    ),
)

BUYER_EXPERIENCE_6 = JourneyModelDef(
    "buyer-experience-6",
    "Ciclo de experiencia del comprador (Océano Azul)",
    "Buyer experience cycle (Blue Ocean)",
    (
        _m("purchase", "Compra", "Purchase", "awareness", "first_contact", "consideration", "purchase"),
        _m("delivery", "Entrega", "Delivery", "delivery"),
        _m("use", "Uso", "Use", "use"),
        _m("supplements", "Complementos", "Supplements", "support"),
        Moment("maintenance", "Mantenimiento", "Maintenance", ()),
        _m("disposal", "Eliminación", "Disposal", "loyalty"),
    ),
)

MOMENTS_OF_TRUTH_5 = JourneyModelDef(
    "moments-of-truth-5",
    "Momentos de la verdad",
    "Moments of truth",
    (
        _m("zmot", "Momento cero de la verdad (ZMOT)", "Zero moment of truth (ZMOT)",
           "awareness", "first_contact", "consideration"),
        _m("fmot", "Primer momento de la verdad (FMOT)", "First moment of truth (FMOT)", "purchase"),
        _m("smot", "Segundo momento de la verdad (SMOT)", "Second moment of truth (SMOT)", "delivery", "use"),
        _m("tmot", "Tercer momento de la verdad (TMOT)", "Third moment of truth (TMOT)", "support"),
        _m("umot", "Momento último de la verdad (UMOT)", "Ultimate moment of truth (UMOT)", "loyalty"),
    ),
)

BUILTIN_MODELS: dict[str, JourneyModelDef] = {
    m.key: m for m in (CONTACT_MOMENTS_8, PURCHASE_DECISION_5, BUYER_EXPERIENCE_6, MOMENTS_OF_TRUTH_5)
}
