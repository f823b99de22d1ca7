import time, cProfile, pstats, sys
from momentos.db import make_engine, make_session_factory, unit_of_work
from momentos.analytics import service as analytics
from momentos.analytics.schemas import AnalyticsQuery
f = make_session_factory(make_engine("sqlite:///tmp/analytics.db"))
what = sys.argv[1]
import gc
if len(sys.argv) > 2: gc.disable()
q = AnalyticsQuery(service="svc") if what in ("funnel", "time_in_moment") else AnalyticsQuery()
with unit_of_work(f) as s:
    for _ in range(3):
        t = time.perf_counter(); v = getattr(analytics, what)(s, 1, q); print(time.perf_counter() - t)
    pr = cProfile.Profile(); pr.enable(); getattr(analytics, what)(s, 1, q); pr.disable()
    pstats.Stats(pr).sort_stats("tottime").print_stats(8)
