"""Contact-policy decisions per second (the pure engine, and with the facts read from the database), and outbox
deliveries per second to a local SMTP server (aiosmtpd) and webhook receiver, with 1 and 3 worker processes.

To tell whether delivery is limited by the receivers or by our claiming, the same run also measures
- the receivers' own ceiling: raw ``smtplib`` sends on one connection to the same aiosmtpd server, and raw signed
  ``httpx`` posts to the same webhook receiver (one sender, like one worker), and their mix in the seeded
  proportions (half e-mail, half webhook);
- claiming alone: claim a batch, re-check the policy, build the messages and record them ``sent`` — everything a
  worker does except talking to the receivers.

Goal: ≥ 10,000 pure decisions/s on 2 cores; delivery limited by the receivers, not by claiming.
Prints a table; writes bench/results/policy.json.

    .venv/bin/python bench/policy.py [--decisions N] [--notifications N] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, func, select  # noqa: E402
from tests.notify.receivers import smtp_server, webhook_receiver  # noqa: E402

from momentos.db import make_engine, make_session_factory, unit_of_work  # noqa: E402
from momentos.migrate import upgrade  # noqa: E402
from momentos.models import Customer, Notification  # noqa: E402
from momentos.policy.engine import Facts, Rules, decide  # noqa: E402
from momentos.policy.service import ContactAsk, PolicyBatch, evaluate  # noqa: E402

ZONES = ["America/Mexico_City", "Europe/Madrid", "UTC", "America/Bogota", "Asia/Kolkata"]


def _facts(rng: random.Random, now: datetime) -> Facts:
    sent = [(now - timedelta(hours=rng.randint(1, 24 * 8)), rng.choice(["email", "sms"]),
             rng.choice(["status", "marketing"])) for _ in range(rng.randint(0, 12))]
    consents = {("email", "marketing"): rng.random() < 0.5, ("sms", "*"): rng.random() < 0.8}
    return Facts(purpose=rng.choice(["status", "promise", "survey", "marketing", "transactional"]),
                 priority="transactional" if rng.random() < 0.1 else "normal",
                 intensity=rng.choice(["proactive", "proactive", "on_request"]),
                 addresses=frozenset(rng.sample(["email", "sms", "whatsapp", "webhook"], 2)),
                 preferred=("whatsapp", "email"), consents=consents, timezone=rng.choice(ZONES), sent=sent)


def bench_engine(n: int) -> dict[str, Any]:
    rng = random.Random(7)
    now = datetime(2026, 3, 4, 15, tzinfo=UTC)
    rules = Rules(quiet_start=dtime(21), quiet_end=dtime(8),
                  caps={"*": {"week": 5}, "channel:sms": {"day": 1}, "purpose:marketing": {"week": 1}})
    inputs = [_facts(rng, now + timedelta(minutes=rng.randint(0, 60 * 24))) for _ in range(1000)]
    start = time.perf_counter()
    outcomes: dict[str, int] = {}
    for i in range(n):
        d = decide(inputs[i % 1000], rules, now)
        outcomes[d.outcome] = outcomes.get(d.outcome, 0) + 1
    elapsed = time.perf_counter() - start
    return {"decisions": n, "seconds": round(elapsed, 3), "per_second": round(n / elapsed), "outcomes": outcomes}


def _engine(backend: str, tmp: Path) -> Engine:
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp / 'bench.db'}")
    else:
        from tests.conftest import _pg_engine

        engine = _pg_engine("bench_policy")
    upgrade(engine)
    return engine


def _seed(engine: Engine, n: int, hooks_url: str) -> tuple[int, str]:
    from tests.conftest import make_org
    from tests.notify.helpers import webhook_endpoint

    from momentos.notify.outbox import NotificationIn, enqueue

    with unit_of_work(make_session_factory(engine)) as session:
        org = make_org(session)
        secret = webhook_endpoint(session, org.id, hooks_url)
        now = datetime.now(UTC)
        for i in range(n):
            c = Customer(org_id=org.id, external_id=f"c{i}", email=f"c{i}@example.com" if i % 2 == 0 else None,
                         language="es", preferred_channels=[], traits={}, account_traits={}, first_seen_at=now,
                         created_at=now, updated_at=now)
            session.add(c)
            session.flush()
            enqueue(session, org.id, NotificationIn(customer_id=c.id, purpose="status", template="message",
                                                    dedup_key=f"k{i}", params={"subject": "s", "text": "t",
                                                                               "customer_name": "", "status_url": ""}),
                    now)
        return org.id, secret


def bench_db_decisions(engine: Engine, org_id: int, n: int) -> dict[str, Any]:
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        ids = list(session.scalars(select(Customer.id).where(Customer.org_id == org_id).limit(n)))
    start = time.perf_counter()
    with unit_of_work(factory) as session:
        for cid in ids:
            evaluate(session, org_id, ContactAsk(cid, "status"), datetime.now(UTC))
        session.rollback()
    elapsed = time.perf_counter() - start
    start = time.perf_counter()
    with unit_of_work(factory) as session:  # the worker's way: facts read once for the whole batch
        now = datetime.now(UTC)
        batch = PolicyBatch(session, {org_id}, set(ids), now, lock=True)
        for cid in ids:
            batch.evaluate(org_id, ContactAsk(cid, "status"), None)
        batch.record()
        session.rollback()
    batched = time.perf_counter() - start
    return {"decisions": len(ids), "per_second": round(len(ids) / elapsed),
            "batched_per_second": round(len(ids) / batched)}


def _rate(n: int, seconds: float) -> float:
    return round(n / seconds, 1) if seconds > 0 else 0.0


def bench_receivers(n: int) -> dict[str, Any]:
    """The receivers' ceiling: the same servers as the delivery runs, driven by raw clients, one sender."""
    import smtplib

    import httpx

    from momentos.notify.channels import Message
    from momentos.notify.settings import NotifySettings
    from momentos.notify.smtp import build
    from momentos.notify.webhook import new_secret, sign

    settings = NotifySettings()
    with smtp_server() as inbox, webhook_receiver() as hooks:
        hooks.secret = new_secret()
        mails = [build(settings, f"c{i}@example.com", Message(f"raw{i}", "Subject", "Text\n", "es"))
                 for i in range(n)]
        start = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", inbox.port) as smtp:
            for mail in mails:
                smtp.send_message(mail)
        smtp_seconds = time.perf_counter() - start
        body = json.dumps({"type": "notification.status", "data": {"text": "x" * 200}}).encode()
        with httpx.Client(trust_env=False) as client:
            start = time.perf_counter()
            for i in range(n):
                ts = int(time.time())
                client.post(hooks.url, content=body, headers={
                    "content-type": "application/json", "webhook-id": f"raw{i}", "webhook-timestamp": str(ts),
                    "webhook-signature": sign([hooks.secret], f"raw{i}", ts, body)}).raise_for_status()
            hook_seconds = time.perf_counter() - start
        assert len(inbox.messages) == n and len(hooks.received) == n
    mixed = n / (smtp_seconds / 2 + hook_seconds / 2) if smtp_seconds + hook_seconds else 0.0
    return {"messages": n, "smtp_per_second": _rate(n, smtp_seconds), "webhook_per_second": _rate(n, hook_seconds),
            "mixed_per_second": round(mixed, 1)}


def bench_claiming(engine: Engine, n: int) -> dict[str, Any]:
    """Claim, re-check the policy, render and record ``sent``, without delivering: the worker's own cost."""
    from momentos.notify.settings import NotifySettings
    from momentos.notify.tasks import Delivered, claim_jobs, finish

    settings = NotifySettings(batch_size=50, public_url="https://momentos.example")
    factory = make_session_factory(engine)
    _seed(engine, n, "http://127.0.0.1:9/hooks")
    done = 0
    start = time.perf_counter()
    while True:
        claimed, jobs = claim_jobs(factory, "bench", settings)
        if not claimed:
            break
        now = datetime.now(UTC)
        finish(factory, [Delivered(job, None, now, now) for job in jobs], "bench", settings)
        done += len(jobs)
    elapsed = time.perf_counter() - start
    return {"notifications": done, "per_second": _rate(done, elapsed)}


def bench_delivery(engine: Engine, n: int, workers: int) -> dict[str, Any]:
    with smtp_server() as inbox, webhook_receiver() as hooks:
        org_id, hooks.secret = _seed(engine, n, hooks.url)
        env = {**os.environ, "MOMENTOS_DATABASE_URL": engine.url.render_as_string(hide_password=False),
               "MOMENTOS_NOTIFY_SMTP_PORT": str(inbox.port), "MOMENTOS_NOTIFY_WEBHOOK_ALLOW": '["127.0.0.1/32"]',
               "MOMENTOS_NOTIFY_POLL_SECONDS": "0.02", "MOMENTOS_NOTIFY_BATCH_SIZE": "50"}
        script = Path(sys.executable).parent / "momentos"
        procs = [subprocess.Popen([str(script), "worker", "--idle-exit", "60", "--name", f"b{i}"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(workers)]

        def seen() -> int:
            return len(inbox.messages) + len(hooks.received)

        def recorded() -> int:
            with unit_of_work(make_session_factory(engine)) as session:
                return int(session.scalar(select(func.count()).select_from(Notification).where(
                    Notification.org_id == org_id, Notification.status == "sent")) or 0)

        try:
            while seen() < 1:
                time.sleep(0.005)
            start = time.perf_counter()
            while seen() < n:
                time.sleep(0.01)
            elapsed = time.perf_counter() - start
            deadline = time.monotonic() + 30
            while recorded() < n and time.monotonic() < deadline:  # the last batch's results land
                time.sleep(0.05)
        finally:
            for p in procs:
                p.kill()
                p.wait()
        sent = recorded()
        duplicates = sum(c - 1 for c in (inbox.ids + hooks.ids).values() if c > 1)
    return {"workers": workers, "notifications": n, "per_second": _rate(n, elapsed), "recorded_sent": sent,
            "duplicate_deliveries": duplicates,
            "db_decisions": bench_db_decisions(engine, org_id, min(n, 500))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--decisions", type=int, default=200_000)
    parser.add_argument("--notifications", type=int, default=600)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                               "engine": bench_engine(args.decisions), "delivery": {}}
    print(f"pure decisions/s: {results['engine']['per_second']:,}  {results['engine']['outcomes']}")
    results["receivers"] = {}
    results["claiming"] = {}
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            engine = _engine(backend, Path(tmp))
            try:
                results["claiming"][backend] = bench_claiming(engine, args.notifications)
            finally:
                engine.dispose()
        print(f"{backend:10} claiming only (claim + policy + render + record, no delivery): "
              f"{results['claiming'][backend]['per_second']}/s")
        for workers in (1, 3):
            # the receivers' ceiling right before the run it is compared with (the machine's load varies)
            r = results["receivers"][f"{backend}-{workers}"] = bench_receivers(args.notifications)
            print(f"receiver ceiling (raw, one sender): smtp {r['smtp_per_second']}/s  webhook "
                  f"{r['webhook_per_second']}/s  half/half {r['mixed_per_second']}/s")
            with tempfile.TemporaryDirectory() as tmp:
                engine = _engine(backend, Path(tmp))
                try:
                    d = bench_delivery(engine, args.notifications, workers)
                finally:
                    engine.dispose()
            d["share_of_receiver_ceiling"] = round(d["per_second"] / r["mixed_per_second"], 2)
            results["delivery"][f"{backend}-{workers}"] = d
            print(f"{backend:10} workers={workers}  deliveries/s: {d['per_second']:>7}  "
                  f"({d['share_of_receiver_ceiling']:.0%} of the ceiling)  "
                  f"db decisions/s: {d['db_decisions']['per_second']:>5} one by one, "
                  f"{d['db_decisions']['batched_per_second']:>5} batched  sent={d['recorded_sent']}  "
                  f"duplicates={d['duplicate_deliveries']}")
    out = ROOT / "bench" / "results" / "policy.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
