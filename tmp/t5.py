import time, random
import polars as pl
from momentos.analytics.schemas import VariantRead
from pydantic import TypeAdapter
acts = [f"a{i:02d}" for i in range(20)]
rows = [("\x1f".join(random.choices(acts, k=10)), random.randint(1, 5)) for _ in range(73000)]
def best(fn, k=3):
    b = 9e9
    for _ in range(k):
        t = time.perf_counter(); r = fn(); b = min(b, time.perf_counter() - t)
    return b, r
t0, table = best(lambda: pl.DataFrame(rows, schema={"steps": pl.String, "n": pl.Int64}, orient="row").sort(["n", "steps"], descending=[True, False]).with_columns(pl.col("steps").str.split("\x1f")))
t1, tr = best(lambda: list(table.iter_rows()))
t1b, cols = best(lambda: (table["steps"].to_list(), table["n"].to_list()))
t2, _ = best(lambda: [VariantRead.model_construct(variant=v, count=n, share=n / 7) for v, n in tr])
ta = TypeAdapter(list[VariantRead])
t3, _ = best(lambda: ta.validate_python([{"variant": v, "count": n, "share": n / 7} for v, n in tr]))
def fast():
    out = []
    new = VariantRead.__new__
    setattr_ = object.__setattr__
    for v, n in tr:
        o = new(VariantRead)
        setattr_(o, "__dict__", {"variant": v, "count": n, "share": n / 7})
        setattr_(o, "__pydantic_fields_set__", {"variant", "count", "share"})
        setattr_(o, "__pydantic_extra__", None)
        setattr_(o, "__pydantic_private__", None)
        out.append(o)
    return out
t4, fo = best(fast)
print(f"polars {t0:.3f} iter_rows {t1:.3f} to_list {t1b:.3f} construct {t2:.3f} validate {t3:.3f} fast {t4:.3f}", fo[0] == VariantRead.model_construct(variant=tr[0][0], count=tr[0][1], share=tr[0][1]/7))
def py():
    r = sorted(rows, key=lambda r: (-r[1], r[0]))
    return [VariantRead.model_construct(variant=s.split("\x1f"), count=n, share=n / 7) for s, n in r]
t6, _ = best(py)
print(f"python sort+split+construct {t6:.3f}")
