import time, cProfile, pstats
from momentos.db import make_engine, make_session_factory, unit_of_work
from momentos.analytics import answers
f = make_session_factory(make_engine("sqlite:///tmp/analytics.db"))
with unit_of_work(f) as s:
    for _ in range(3):
        t = time.perf_counter(); v = answers.variants(s, 1, answers.Lens(0, "a")); print(len(v), time.perf_counter() - t)
    pr = cProfile.Profile(); pr.enable(); answers.variants(s, 1, answers.Lens(0, "a")); pr.disable()
    pstats.Stats(pr).sort_stats("tottime").print_stats(8)
