import time
from pydantic import TypeAdapter
from momentos.analytics.schemas import VariantRead
data = [(["a00", "a01", "a02", "a03", "a04", "a05", "a06", "a07"], i % 7 + 1) for i in range(25000)]
def best(fn, k=5):
    b = 9e9
    for _ in range(k):
        t = time.perf_counter(); fn(); b = min(b, time.perf_counter() - t)
    return b
print("construct", best(lambda: [VariantRead.model_construct(variant=v, count=n, share=n / 3) for v, n in data]))
print("init", best(lambda: [VariantRead(variant=v, count=n, share=n / 3) for v, n in data]))
ta = TypeAdapter(list[VariantRead])
print("adapter", best(lambda: ta.validate_python([{"variant": v, "count": n, "share": n / 3} for v, n in data])))
