"""Function words left out of theme labels (Spanish list written by the team; English from scikit-learn)."""

from __future__ import annotations

from functools import cache

_SPANISH_WORDS = """
a al algo algun alguna algunas alguno algunos ante antes aquel aquella aquellas aquello aquellos aqui aquí asi así
aun aún bien cada casi como cómo con contra cual cuál cuales cuando cuándo cuanto de del desde donde dónde dos el él
ella ellas ello ellos en entre era eran eres es esa esas ese eso esos esta está estaba estaban estado estamos están
estar estas este esto estos estoy fue fuera fueron ha había habían hace hacer han has hasta hay he la las le les lo
los mas más me mi mí mis mismo mucho muchos muy nada ni no nos nosotros nuestra nuestro o os otra otras otro otros
para pero poco por porque que qué quien quién quienes se sea ser si sí sido siempre sin sino sobre solo sólo son
soy su sus también tan tanto te tener tengo ti tiene tienen todo todos tu tú tus un una unas uno unos usted ustedes
va vamos van vez y ya yo q x xq pq jaja jajaja jajajaja jeje rt via vía eh ah oh mas hoy ayer día dia ver puede
"""
SPANISH = frozenset(_SPANISH_WORDS.split())


@cache
def stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return SPANISH | frozenset(ENGLISH_STOP_WORDS) | frozenset({"don", "t", "s", "ve", "ll", "just", "really", "got"})
