import time
from momentos.db import make_engine, make_session_factory, unit_of_work
from momentos.analytics import service as analytics, answers
from momentos.analytics.schemas import AnalyticsQuery
f = make_session_factory(make_engine("sqlite:///tmp/analytics.db"))
with unit_of_work(f) as s:
    for _ in range(3):
        t = time.perf_counter(); v = analytics.variants(s, 1, AnalyticsQuery()); a = time.perf_counter() - t
        t = time.perf_counter(); w = answers.variants(s, 1, answers.Lens(0, "a")); b = time.perf_counter() - t
        t = time.perf_counter(); x = analytics.variants(s, 1, AnalyticsQuery(), full=True); c = time.perf_counter() - t
        print(len(v), a, b, c, v == x)
