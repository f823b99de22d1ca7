from momentos.db import make_engine, make_session_factory, unit_of_work
from momentos.analytics import service as analytics
from momentos.analytics.schemas import AnalyticsQuery
f = make_session_factory(make_engine("sqlite:///tmp/analytics.db"))
with unit_of_work(f) as s:
    v = analytics.variants(s, 1, AnalyticsQuery()); x = analytics.variants(s, 1, AnalyticsQuery(), full=True)
    for i, (a, b) in enumerate(zip(v, x)):
        if a != b:
            print(i, a, b, a.model_dump() == b.model_dump(), a.__pydantic_fields_set__, b.__pydantic_fields_set__); break
