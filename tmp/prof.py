import sys, time, cProfile, pstats
sys.path.insert(0, "bench")
from pathlib import Path
import analytics as B
from momentos.db import make_session_factory, unit_of_work, make_engine
from momentos.analytics import incremental, service as analytics
from momentos.analytics.schemas import AnalyticsQuery
backend = sys.argv[1]
work = Path("tmp"); 
if sys.argv[2] == "load":
    engine, url = B.fresh_store(backend, work)
    org = B.new_org(engine, B.TOUCHPOINTS)
    df = B.generate(300_000, 30_000)
    B.store_generated(engine, org, df)
    print("org", org)
else:
    url = f"sqlite:///{work/'analytics.db'}" if backend == "sqlite" else B.PG_URL + "?options=-csearch_path%3D" + B.PG_SCHEMA
    engine = make_engine(url); org = 1
f = make_session_factory(engine)
what = sys.argv[3]
pr = cProfile.Profile()
with unit_of_work(f) as s:
    pr.enable()
    t = time.perf_counter()
    if what == "build":
        print(incremental.refresh(s, org))
    else:
        incremental.catch_up(s, org)
        t = time.perf_counter()
        getattr(analytics, what)(s, org, AnalyticsQuery(service="svc") if what in ("funnel", "time_in_moment") else AnalyticsQuery())
    print(what, time.perf_counter() - t)
    pr.disable()
pstats.Stats(pr).sort_stats("cumulative").print_stats(18)
