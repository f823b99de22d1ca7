import time
from momentos.db import make_engine, make_session_factory, unit_of_work
from momentos.analytics import answers, incremental
f = make_session_factory(make_engine("sqlite:///tmp/analytics.db"))
def best(fn, k=5):
    b = 9e9
    for _ in range(k):
        t = time.perf_counter(); fn(); b = min(b, time.perf_counter() - t)
    return b
with unit_of_work(f) as s:
    print("catch_up", best(lambda: incremental.catch_up(s, 1)))
    print("variants", best(lambda: answers.variants(s, 1, answers.Lens(0, "a"))))
    from momentos.dialect import BulkWriter
    b = BulkWriter(s)
    print("query", best(lambda: b.query("SELECT steps, n FROM analytics_variants WHERE org_id = ? AND scope = ? AND lens = ?", [1, 0, "a"])))
    import polars as pl, gc
    from momentos.analytics.answers import _VARIANTS
    rows = b.query("SELECT steps, n FROM analytics_variants WHERE org_id = ? AND scope = ? AND lens = ?", [1, 0, "a"])
    gc.disable()
    print("frame", best(lambda: pl.DataFrame(rows, schema={"steps": pl.String, "n": pl.Int64}, orient="row")))
    table = pl.DataFrame(rows, schema={"steps": pl.String, "n": pl.Int64}, orient="row")
    print("sort", best(lambda: table.sort(["n", "steps"], descending=[True, False])))
    print("split", best(lambda: table["steps"].str.split("\x1f").to_list()))
    steps = table["steps"].str.split("\x1f").to_list(); counts = table["n"].to_list()
    print("pysplit", best(lambda: [r[0].split("\x1f") for r in rows]))
    print("dicts", best(lambda: [{"variant": v, "count": n, "share": n / 7} for v, n in zip(steps, counts)]))
    d = [{"variant": v, "count": n, "share": n / 7} for v, n in zip(steps, counts)]
    print("validate", best(lambda: _VARIANTS.validate_python(d)))
    print(len(rows), sum(len(x) for x in steps) / len(steps))
