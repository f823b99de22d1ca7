import time
import polars as pl
from momentos.db import make_engine, make_session_factory, unit_of_work
from momentos.dialect import BulkWriter
from momentos.analytics.schemas import VariantRead
f = make_session_factory(make_engine("sqlite:///tmp/analytics.db"))
def best(fn, k=7):
    b = 9e9
    for _ in range(k):
        t = time.perf_counter(); r = fn(); b = min(b, time.perf_counter() - t)
    return b, r
with unit_of_work(f) as s:
    bulk = BulkWriter(s)
    q = lambda: bulk.query("SELECT steps, n FROM analytics_variants WHERE org_id = ? AND scope = ? AND lens = ?", [1, 0, "a"])
    t1, rows = best(q)
    t2, table = best(lambda: pl.DataFrame(rows, schema={"steps": pl.String, "n": pl.Int64}, orient="row").sort(["n", "steps"], descending=[True, False]).with_columns(pl.col("steps").str.split("\x1f")))
    t3, out = best(lambda: [VariantRead.model_construct(variant=v, count=n, share=n / 10000) for v, n in table.iter_rows()])
    print(len(rows), t1, t2, t3)
    from pydantic import TypeAdapter
    ta = TypeAdapter(list[VariantRead])
    t4, out2 = best(lambda: ta.validate_python(table.with_columns((pl.col("n").cast(pl.Float64)).alias("share")).rename({"steps": "variant", "n": "count"}).to_dicts()))
    t5, d = best(lambda: table.rename({"steps": "variant", "n": "count"}).to_dicts())
    import dataclasses
    @dataclasses.dataclass(slots=True)
    class V:
        variant: list; count: int; share: float
    t6, _ = best(lambda: [V(v, n, n / 10000) for v, n in table.iter_rows()])
    print(t4, t5, t6)
