"""The demo's promises (bilingual, on the demo services) and what customers said (comments in es and en, and a
survey with NPS and CSAT answers). Plain data; the loader creates them through the promises and listening services.
"""

from __future__ import annotations

from typing import Any

WEEKDAYS_9_TO_18 = {day: [("09:00", "18:00")] for day in ("mon", "tue", "wed", "thu", "fri")}
SPANISH_HOLIDAYS = ["2025-12-08", "2025-12-25", "2026-01-01", "2026-01-06", "2026-04-03", "2026-05-01",
                    "2026-08-15", "2026-10-12", "2026-12-08", "2026-12-25", "2027-01-01", "2027-01-06"]
"""National holidays in Spain (a business calendar skips them)."""

PROMISES: list[dict[str, Any]] = [
    {"key": "tarjeta-4-dias", "service": "banconube", "moment": "delivery", "kind": "time",
     "text": {"es": "Tu tarjeta llega en 4 días laborables desde que abres la cuenta.",
              "en": "Your card arrives within 4 business days of opening your account."},
     "recovery": {"es": "Sentimos el retraso: este mes no pagas comisiones.",
                  "en": "Sorry for the delay: no fees for you this month."},
     "rule": {"type": "time", "start_activity": "account_opened", "stop_activity": "card_delivered",
              "target_hours": 36, "at_risk_fraction": 0.75,
              "calendar": {"timezone": "Europe/Madrid", "hours": WEEKDAYS_9_TO_18, "holidays": SPANISH_HOLIDAYS}}},
    {"key": "reserva-confirmada-30-min", "service": "casa-lola", "moment": "purchase", "kind": "time",
     "text": {"es": "Confirmamos tu reserva en menos de 30 minutos.",
              "en": "We confirm your booking within 30 minutes."},
     "recovery": {"es": "Perdona la espera: el postre corre de nuestra cuenta.",
                  "en": "Sorry for the wait: dessert is on us."},
     "rule": {"type": "time", "start_activity": "booking_made", "stop_activity": "booking_confirmed",
              "target_hours": 0.5},
     "staff": {"email": "sala@casalola.example.com"}},
    {"key": "devolucion-48-horas", "service": "cines-aurora", "moment": "purchase", "kind": "returns",
     "text": {"es": "Puedes devolver tu entrada hasta 48 horas después de comprarla.",
              "en": "You can return your ticket up to 48 hours after buying it."},
     "rule": {"type": "window", "start_activity": "ticket_purchased", "window_hours": 48,
              "breach_activities": ["refund_refused"]}},
]

SURVEY: dict[str, Any] = {
    "key": "despues-de-la-sesion", "title_es": "¿Qué tal la sesión?", "title_en": "How was the screening?",
    "service": "cines-aurora", "moment": "use", "questions": [
        {"key": "csat", "kind": "csat", "label": {"es": "¿Cómo de satisfecho quedaste?",
                                                  "en": "How satisfied were you?"}},
        {"key": "nps", "kind": "nps", "label": {"es": "¿Nos recomendarías?", "en": "Would you recommend us?"}},
        {"key": "comment", "kind": "text", "label": {"es": "¿Algo más?", "en": "Anything else?"}}]}

SURVEY_ANSWERS: list[tuple[int, int, str | None]] = [
    (5, 10, "Sala impecable y el sonido espectacular."), (4, 9, None), (5, 9, "Great seats and a clean room."),
    (2, 4, "La proyección empezó 20 minutos tarde."), (3, 6, None), (4, 8, "Todo bien, las palomitas caras."),
    (1, 2, "The sound kept cutting out during the film."), (5, 10, None), (4, 7, "Buena película, sala fría."),
    (3, 5, "Too many ads before the film."), (5, 9, "Repetiremos, muy cómodo."), (2, 3, None),
]
"""(CSAT 1–5, NPS 0–10, comment) of the survey after the screening."""

COMMENTS: dict[tuple[str, str], list[str]] = {
    ("casa-lola", "purchase"): [
        "Reservé por la web y tardaron más de una hora en confirmar la mesa.",
        "Booking online was quick and the confirmation came right away.",
        "Nadie me confirmó la reserva y tuve que llamar yo.",
    ],
    ("casa-lola", "delivery"): [
        "La comida estaba buenísima y el servicio muy atento.",
        "We waited 45 minutes for the main course, far too long.",
        "El camarero se equivocó de plato y tardaron en cambiarlo.",
        "Lovely food, friendly staff, we will come back.",
        "Esperamos muchísimo entre plato y plato.",
    ],
    ("casa-lola", "support"): [
        "Reclamé por email y me contestaron al día siguiente con una disculpa sincera.",
        "I complained about the bill and nobody answered my email.",
    ],
    ("cines-aurora", "purchase"): [
        "La app se colgó al pagar y me cobraron dos veces la entrada.",
        "Buying tickets in the app is easy and fast.",
        "El pago con la app falló tres veces seguidas.",
        "The app crashed at checkout and charged my card twice.",
    ],
    ("cines-aurora", "delivery"): [
        "La cola del bar era eterna, casi me pierdo el principio.",
        "Scanning the ticket at the door was instant.",
    ],
    ("cines-aurora", "support"): [
        "Pedí la devolución y me la hicieron en el momento, genial.",
        "The refund took two weeks to arrive.",
    ],
    ("banconube", "purchase"): [
        "Abrir la cuenta desde el móvil fue rapidísimo.",
        "The identity check failed twice before it accepted my ID.",
        "La verificación de identidad no reconocía mi DNI.",
    ],
    ("banconube", "delivery"): [
        "La tarjeta tardó más de una semana en llegar.",
        "My card still has not arrived after ten days.",
        "Recibí la tarjeta en tres días, perfecto.",
        "Me prometieron la tarjeta en cuatro días y llegó en ocho.",
        "The card came quickly and activating it was simple.",
    ],
    ("banconube", "use"): [
        "Bizum funciona de maravilla y las transferencias son inmediatas.",
        "The app logs me out every few minutes, very annoying.",
        "La app me echa cada dos por tres, muy molesto.",
    ],
    ("banconube", "support"): [
        "El chat me resolvió la reclamación en una hora.",
        "Phone support kept me on hold for forty minutes.",
        "Estuve cuarenta minutos esperando al teléfono.",
    ],
}
"""Comments per (service, moment), each given to a customer whose process reached that moment."""
