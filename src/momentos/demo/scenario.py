"""The demo's services: one per contact level, with touchpoints on all 8 contact moments and journey scripts.

A script lists, per moment, the alternative visits a process can make there: the first activity of a visit moves
the process into the moment (by the touchpoint rules), the rest are further contacts in the same moment.
``back`` is the visit that moves a process back from support to delivery (a dish replaced, a ticket or card
reissued); ``renew`` is the visit that starts a new cycle from loyalty (a new booking, ticket or product).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from momentos.catalog.contact_levels import Assessment, Intensity

Visit = tuple[str, ...]
Initiator = Literal["customer", "company"]


@dataclass(frozen=True)
class TouchpointDef:
    moment: str
    channel: str
    initiator: Initiator
    activities: tuple[str, ...]
    name_es: str
    name_en: str
    intensity: Intensity | None = None


@dataclass(frozen=True)
class ServiceDef:
    key: str
    name_es: str
    name_en: str
    description_es: str
    description_en: str
    assessment: Assessment
    touchpoints: tuple[TouchpointDef, ...]
    script: dict[str, tuple[Visit, ...]]
    back: Visit
    renew: Visit
    gap_hours: dict[str, tuple[float, float]]
    """Hours between the previous moment and this one (range), per moment."""
    weight: float
    """Share of the demo's processes that belong to this service."""
    reference_prefix: str | None = None
    """Processes carry a reference (an order id) with this prefix; None: the customer's default pass."""
    purchase_properties: dict[str, tuple[str | int, ...]] = field(default_factory=dict)
    amount: tuple[float, float] = (10.0, 100.0)


def _tp(moment: str, channel: str, initiator: Initiator, activities: tuple[str, ...], es: str, en: str,
        intensity: Intensity | None = None) -> TouchpointDef:
    return TouchpointDef(moment, channel, initiator, activities, es, en, intensity)


CASA_LOLA = ServiceDef(
    key="casa-lola",
    name_es="Casa Lola — restaurante",
    name_en="Casa Lola — restaurant",
    description_es="Cocina de mercado en el centro de Madrid: reserva, servicio en sala y sobremesa.",
    description_en="Market cuisine in central Madrid: booking, table service and after-dinner.",
    assessment=Assessment(presence="full", participation="active", duration="long", people="face_to_face",
                          facility=True),
    touchpoints=(
        _tp("awareness", "social", "customer", ("social_post_viewed",), "Publicación en redes", "Social media post"),
        _tp("awareness", "web", "customer", ("guide_review_read",), "Reseña en guía gastronómica",
            "Food guide review"),
        _tp("awareness", "social", "company", ("campaign_post_published",), "Campaña en redes", "Social campaign",
            "proactive"),
        _tp("first_contact", "web", "customer", ("website_visited",), "Visita a la web", "Website visit"),
        _tp("first_contact", "whatsapp", "customer", ("whatsapp_enquiry",), "Consulta por WhatsApp",
            "WhatsApp enquiry"),
        _tp("first_contact", "phone", "customer", ("phone_enquiry",), "Llamada de consulta", "Phone enquiry"),
        _tp("consideration", "web", "customer", ("menu_viewed", "reviews_read"), "Carta y reseñas",
            "Menu and reviews"),
        _tp("consideration", "web", "customer", ("availability_checked",), "Consulta de disponibilidad",
            "Availability check"),
        _tp("purchase", "web", "customer", ("booking_made",), "Reserva online", "Online booking"),
        _tp("purchase", "phone", "customer", ("booking_made_by_phone",), "Reserva por teléfono", "Phone booking"),
        _tp("purchase", "sms", "company", ("booking_confirmed",), "Confirmación por SMS", "SMS confirmation"),
        _tp("purchase", "whatsapp", "company", ("booking_reminder_sent",), "Recordatorio por WhatsApp",
            "WhatsApp reminder"),
        _tp("delivery", "store", "customer", ("guest_arrived",), "Llegada al restaurante", "Arrival"),
        _tp("delivery", "store", "company", ("table_seated", "order_taken", "dish_served", "dish_replaced"),
            "Servicio en sala", "Table service"),
        _tp("use", "store", "customer", ("dessert_ordered", "wine_ordered", "bill_paid"), "Sobremesa",
            "After-dinner"),
        _tp("use", "social", "customer", ("dish_photo_shared",), "Foto compartida", "Photo shared"),
        _tp("support", "phone", "customer", ("complaint_called",), "Reclamación por teléfono", "Phone complaint"),
        _tp("support", "email", "customer", ("complaint_emailed", "lost_item_reported"), "Reclamación por email",
            "Email complaint"),
        _tp("support", "email", "company", ("complaint_answered",), "Respuesta a la reclamación",
            "Complaint answer"),
        _tp("loyalty", "email", "company", ("thank_you_sent", "survey_sent"), "Agradecimiento y encuesta",
            "Thank-you and survey"),
        _tp("loyalty", "web", "customer", ("review_posted",), "Reseña publicada", "Review posted"),
        _tp("loyalty", "app", "customer", ("loyalty_points_earned",), "Puntos del club", "Club points"),
        _tp("loyalty", "email", "company", ("rebooking_offer_sent",), "Oferta para volver", "Come-back offer",
            "on_request"),
    ),
    script={
        "awareness": (("social_post_viewed",), ("guide_review_read",), ("campaign_post_published",
                                                                          "social_post_viewed")),
        "first_contact": (("website_visited",), ("whatsapp_enquiry",), ("phone_enquiry",)),
        "consideration": (("menu_viewed", "reviews_read"), ("menu_viewed", "availability_checked"),
                          ("reviews_read",)),
        "purchase": (("booking_made", "booking_confirmed", "booking_reminder_sent"),
                     ("booking_made_by_phone", "booking_confirmed")),
        "delivery": (("guest_arrived", "table_seated", "order_taken", "dish_served"),
                     ("guest_arrived", "table_seated", "dish_served")),
        "use": (("dessert_ordered", "bill_paid"), ("wine_ordered", "dessert_ordered", "bill_paid",
                                                   "dish_photo_shared"), ("bill_paid",)),
        "support": (("complaint_called", "complaint_answered"), ("complaint_emailed", "complaint_answered"),
                    ("lost_item_reported",)),
        "loyalty": (("thank_you_sent", "review_posted"), ("survey_sent", "loyalty_points_earned"),
                    ("thank_you_sent", "rebooking_offer_sent")),
    },
    back=("dish_replaced",),
    renew=("booking_made", "booking_confirmed"),
    gap_hours={"awareness": (0, 0), "first_contact": (2, 72), "consideration": (0.05, 24), "purchase": (0.1, 48),
               "delivery": (24, 240), "use": (0.5, 1.5), "support": (2, 72), "loyalty": (12, 120)},
    weight=0.4,
    reference_prefix="RES",
    purchase_properties={"party_size": (2, 2, 2, 3, 4, 4, 5, 6), "shift": ("comida", "cena", "cena")},
    amount=(35.0, 240.0),
)

CINES_AURORA = ServiceDef(
    key="cines-aurora",
    name_es="Cines Aurora",
    name_en="Aurora Cinemas",
    description_es="Multicine de barrio con venta en la app y en taquilla, bar y club de socios.",
    description_en="Neighbourhood multiplex with app and box-office sales, a snack bar and a members' club.",
    assessment=Assessment(presence="full", participation="limited", duration="long", people="face_to_face",
                          facility=True, equipment=True),
    touchpoints=(
        _tp("awareness", "social", "customer", ("trailer_viewed",), "Tráiler en redes", "Trailer on social media"),
        _tp("awareness", "email", "company", ("premiere_newsletter_sent",), "Boletín de estrenos",
            "Premieres newsletter"),
        _tp("first_contact", "app", "customer", ("app_installed",), "Instalación de la app", "App install"),
        _tp("first_contact", "web", "customer", ("showtimes_page_visited",), "Visita a la cartelera",
            "Showtimes page"),
        _tp("consideration", "app", "customer", ("showtimes_viewed", "seat_map_viewed"), "Horarios y butacas",
            "Times and seats"),
        _tp("consideration", "web", "customer", ("film_reviews_read",), "Críticas", "Film reviews"),
        _tp("purchase", "app", "customer", ("ticket_purchased",), "Compra en la app", "In-app purchase"),
        _tp("purchase", "store", "customer", ("box_office_ticket_bought",), "Compra en taquilla", "Box office"),
        _tp("purchase", "email", "company", ("ticket_emailed",), "Entrada por email", "Ticket by email"),
        _tp("purchase", "sms", "company", ("showtime_reminder_sent",), "Recordatorio de la sesión",
            "Showtime reminder"),
        _tp("delivery", "store", "company", ("ticket_scanned", "ticket_reissued"), "Control de acceso",
            "Entrance"),
        _tp("delivery", "store", "customer", ("snacks_bought",), "Bar y palomitas", "Snack bar"),
        _tp("use", "store", "customer", ("screening_attended",), "Proyección", "Screening"),
        _tp("use", "app", "customer", ("film_rated",), "Valoración de la película", "Film rating"),
        _tp("use", "email", "company", ("screening_survey_sent",), "Encuesta tras la sesión",
            "Survey after the screening", "proactive"),
        _tp("support", "chat", "customer", ("refund_requested", "sound_issue_reported"), "Chat de ayuda",
            "Help chat"),
        _tp("support", "email", "company", ("refund_issued",), "Reembolso", "Refund"),
        _tp("loyalty", "app", "customer", ("membership_renewed", "points_redeemed"), "Club Aurora", "Aurora club"),
        _tp("loyalty", "email", "company", ("next_premiere_offer_sent",), "Oferta del próximo estreno",
            "Next premiere offer"),
    ),
    script={
        "awareness": (("trailer_viewed",), ("premiere_newsletter_sent", "trailer_viewed")),
        "first_contact": (("app_installed",), ("showtimes_page_visited",)),
        "consideration": (("showtimes_viewed", "seat_map_viewed"), ("film_reviews_read", "showtimes_viewed")),
        "purchase": (("ticket_purchased", "ticket_emailed", "showtime_reminder_sent"),
                     ("box_office_ticket_bought",)),
        "delivery": (("ticket_scanned", "snacks_bought"), ("ticket_scanned",)),
        "use": (("screening_attended", "film_rated"), ("screening_attended",)),
        "support": (("sound_issue_reported",), ("refund_requested", "refund_issued")),
        "loyalty": (("next_premiere_offer_sent", "points_redeemed"), ("membership_renewed",),
                    ("next_premiere_offer_sent",)),
    },
    back=("ticket_reissued",),
    renew=("ticket_purchased", "ticket_emailed"),
    gap_hours={"awareness": (0, 0), "first_contact": (1, 96), "consideration": (0.05, 48),
               "purchase": (0.05, 24), "delivery": (2, 96), "use": (0.2, 0.5), "support": (1, 48),
               "loyalty": (24, 336)},
    weight=0.35,
    reference_prefix="TKT",
    purchase_properties={"film": ("La sociedad de la nieve", "Dune: parte dos", "Robot Dreams", "Oppenheimer",
                                  "Del revés 2", "El 47"),
                         "seats": (1, 2, 2, 2, 3, 4)},
    amount=(7.5, 38.0),
)

BANCONUBE = ServiceDef(
    key="banconube",
    name_es="BancoNube — banca online",
    name_en="BancoNube — online bank",
    description_es="Cuenta y tarjeta 100 % digitales: alta en la app, tarjeta por correo y atención por chat.",
    description_en="A fully digital account and card: sign-up in the app, card by post and chat support.",
    assessment=Assessment(presence="none", participation="none", duration="short", people="voice"),
    touchpoints=(
        _tp("awareness", "social", "customer", ("ad_clicked",), "Anuncio en redes", "Social media ad"),
        _tp("awareness", "web", "customer", ("comparison_site_visited",), "Comparador de bancos",
            "Bank comparison site"),
        _tp("first_contact", "web", "customer", ("landing_page_visited",), "Página de bienvenida", "Landing page"),
        _tp("first_contact", "app", "customer", ("app_downloaded",), "Descarga de la app", "App download"),
        _tp("consideration", "web", "customer", ("fees_simulated", "faq_read"), "Simulador de comisiones",
            "Fee simulator"),
        _tp("consideration", "chat", "customer", ("chatbot_question",), "Asistente virtual", "Chatbot"),
        _tp("purchase", "app", "customer", ("account_opening_started", "kyc_submitted", "account_opened"),
            "Alta en la app", "In-app sign-up"),
        _tp("purchase", "app", "customer", ("new_product_contracted",), "Contratación de un producto",
            "New product"),
        _tp("purchase", "email", "company", ("contract_sent",), "Contrato por email", "Contract by email"),
        _tp("delivery", "mail", "company", ("card_delivered", "card_reissued"), "Envío de la tarjeta",
            "Card delivery"),
        _tp("delivery", "sms", "company", ("card_shipped_sms",), "Aviso de envío", "Shipping notice"),
        _tp("delivery", "app", "customer", ("card_activated",), "Activación de la tarjeta", "Card activation"),
        _tp("use", "app", "customer", ("transfer_made", "bizum_sent", "card_payment"), "Operativa en la app",
            "Banking in the app"),
        _tp("use", "web", "customer", ("statement_downloaded",), "Extracto", "Statement"),
        _tp("support", "chat", "customer", ("claim_opened",), "Reclamación en el chat", "Claim in chat"),
        _tp("support", "phone", "customer", ("support_called",), "Banca telefónica", "Phone banking"),
        _tp("support", "chat", "company", ("claim_resolved",), "Resolución de la reclamación", "Claim resolved"),
        _tp("support", "sms", "company", ("fraud_alert_sent",), "Alerta de fraude", "Fraud alert", "proactive"),
        _tp("loyalty", "app", "customer", ("product_renewed", "savings_goal_created"), "Renovación y ahorro",
            "Renewal and savings"),
        _tp("loyalty", "email", "company", ("loyalty_offer_sent",), "Oferta para clientes", "Customer offer"),
    ),
    script={
        "awareness": (("ad_clicked",), ("comparison_site_visited",)),
        "first_contact": (("landing_page_visited",), ("app_downloaded",)),
        "consideration": (("fees_simulated", "faq_read"), ("chatbot_question",), ("fees_simulated",)),
        "purchase": (("account_opening_started", "kyc_submitted", "account_opened", "contract_sent"),),
        "delivery": (("card_shipped_sms", "card_delivered", "card_activated"), ("card_delivered", "card_activated")),
        "use": (("transfer_made", "card_payment", "bizum_sent"), ("card_payment", "statement_downloaded"),
                ("transfer_made",)),
        "support": (("claim_opened", "claim_resolved"), ("support_called",), ("fraud_alert_sent", "support_called")),
        "loyalty": (("loyalty_offer_sent", "product_renewed"), ("savings_goal_created",), ("product_renewed",)),
    },
    back=("card_reissued", "card_activated"),
    renew=("new_product_contracted", "contract_sent"),
    gap_hours={"awareness": (0, 0), "first_contact": (1, 120), "consideration": (0.1, 72), "purchase": (1, 168),
               "delivery": (48, 168), "use": (1, 240), "support": (24, 720), "loyalty": (168, 1440)},
    weight=0.25,
    reference_prefix=None,
    purchase_properties={"product": ("cuenta_nube", "tarjeta_debito", "cuenta_ahorro")},
    amount=(0.0, 0.0),
)

SERVICES: tuple[ServiceDef, ...] = (CASA_LOLA, CINES_AURORA, BANCONUBE)
