"""Themes group paraphrases, in both languages, with labels from their own words."""

from __future__ import annotations

from momentos.listening.analysis import analyze, themes
from momentos.listening.analysis.themes import coherence, themes_by

DELIVERY = ["El pedido llegó con una semana de retraso", "El envío tardó muchísimo en llegar",
            "Mi paquete llegó tarde otra vez", "La entrega se retrasó diez días",
            "The delivery was a week late", "My parcel arrived late again"]
PRICE = ["Demasiado caro para lo que ofrece", "El precio subió otra vez, muy caro",
         "Los precios son abusivos", "Too expensive for what you get", "The price went up again, way too expensive",
         "Prices are outrageous"]
STAFF = ["La cajera fue muy amable conmigo", "El personal de la tienda es encantador",
         "Los empleados siempre sonríen y ayudan", "The staff were very kind and helpful",
         "Lovely employees, always smiling", "The cashier was so friendly"]


def groups(result: list) -> set[frozenset[int]]:
    return {frozenset(t.members) for t in result}


def test_paraphrases_across_languages_fall_in_the_same_theme() -> None:
    texts = DELIVERY + PRICE + STAFF
    embeddings = [r.embedding for r in analyze(texts)]
    import numpy as np

    found = themes(texts, np.vstack(embeddings), k=3)
    assert groups(found) == {frozenset(range(0, 6)), frozenset(range(6, 12)), frozenset(range(12, 18))}
    by_member = {t.members[0]: t for t in found}
    assert "caro" in by_member[6].terms or "expensive" in by_member[6].terms


def test_the_number_of_themes_is_chosen_when_not_given() -> None:
    texts = DELIVERY + PRICE + STAFF
    found = themes(texts)
    assert 2 <= len(found) <= 4
    assert frozenset(range(12, 18)) in groups(found)


def test_long_reviews_are_split_and_belong_to_each_theme_they_touch() -> None:
    review = ("The delivery was two weeks late and nobody told me anything about the delay. " * 3
              + "On the other hand the price is far too expensive for such a small product, a rip-off. " * 2)
    texts = [review, *DELIVERY[4:], *PRICE[3:]]
    found = themes(texts, k=2)
    assert all(0 in t.members for t in found)


def test_coherence_prefers_real_topics_over_random_word_sets() -> None:
    texts = DELIVERY + PRICE + STAFF
    good = [t.terms for t in themes_by("nmf", texts, k=3)]
    assert coherence(texts, good) > coherence(texts, [["caro", "amable", "paquete"], ["staff", "late", "price"]])


def test_no_texts_no_themes() -> None:
    assert themes([]) == []


LUGGAGE = ["@airline my bag never arrived in Lima &amp; nobody answers https://t.co/ab12",
           "Lost luggage again, my suitcase is somewhere in Madrid", "They lost my suitcase and my bag on the way back",
           "Mi maleta no llegó, la perdieron en el aeropuerto", "Han perdido mi equipaje otra vez",
           "Still no news about my lost luggage after 5 days"]
BOOKING = ["I could not change my booking on the website, it kept failing",
           "The booking page charged me twice for the same ticket", "Imposible cambiar la reserva en la web",
           "La web me cobró dos veces la reserva del billete", "My reservation vanished from the app",
           "No pude hacer la reserva online, la página falla"]
CREW = ["The cabin crew were rude and ignored us", "A flight attendant shouted at my mother",
        "La tripulación fue muy maleducada con nosotros", "La azafata nos trató fatal durante el vuelo",
        "Crew members laughed at a passenger asking for help", "El personal de cabina no ayudó a nadie"]


def test_the_number_of_themes_follows_the_known_groups_and_names_are_clean() -> None:
    from sklearn.metrics import normalized_mutual_info_score

    known = [DELIVERY, PRICE, STAFF, LUGGAGE, BOOKING, CREW]
    texts = [t for group in known for t in group]
    truth = [g for g, group in enumerate(known) for _ in group]
    found = themes(texts)
    assert abs(len(found) - len(known)) <= 1
    predicted = [0] * len(texts)
    for label, theme in enumerate(found):
        for m in theme.members:
            predicted[m] = label
    assert normalized_mutual_info_score(truth, predicted) >= 0.7
    names = [t.label for t in found]
    for name in names:
        assert name and not any(bad in name for bad in ("http", "@", "#", "&", "amp", "quot")), names
        assert not any(ch.isdigit() for ch in name), names
    assert all(not near(a, b) for i, a in enumerate(names) for b in names[i + 1:]), names


def near(a: str, b: str) -> bool:
    from momentos.listening.analysis.theme_names import near_duplicates

    return near_duplicates(a, b)
