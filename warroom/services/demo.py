"""`warroom demo`: a living board in one command, on its own data dir.

The incidents are replayed through the service with a clock set in the recent past, so every
timeline entry and every clock is exactly what real use would have produced.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from warroom.domain.clock import Clock, FakeClock, SystemClock
from warroom.domain.incident import KeyTime
from warroom.domain.lifecycle import Role
from warroom.domain.mitigation import RecoveryCheck
from warroom.domain.playbook import load_playbook_file
from warroom.domain.postmortem import ActionItem, ItemKind, ItemPriority
from warroom.services.graph import Services
from warroom.services.incidents import IncidentService
from warroom.services.mitigation import ChangeFacts, MitigationService
from warroom.services.postmortems import PostmortemService
from warroom.system import atomic
from warroom.system.paths import DB_FILENAME, builtin_playbook_file, demo_data_dir

MARKER = ".warroom-demo"


class NotADemoDir(RuntimeError):
    pass


# Opens the record at a path on a replay clock, acting as a named person, and closes it after.
OpenServices = Callable[[Path, FakeClock, str], "AbstractContextManager[Services]"]


def prepare_demo_dir(
    open_services: OpenServices, target: str | Path | None = None, clock: Clock | None = None
) -> Path:
    """Empties and refills the demo dir. Refuses any folder that holds a real database."""
    folder = Path(target) if target else demo_data_dir()
    database = folder / DB_FILENAME
    if database.exists() and not (folder / MARKER).exists():
        raise NotADemoDir(
            f"{folder} holds a warroom database that is not a demo; the demo will not touch it."
        )
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    atomic.write_bytes(
        folder / MARKER, b"This folder holds warroom's demo data; it is rebuilt each run.\n"
    )
    for name in (DB_FILENAME, DB_FILENAME + "-wal", DB_FILENAME + "-shm"):
        (folder / name).unlink(missing_ok=True)
    now = (clock or SystemClock()).now()
    replay = FakeClock(now)
    with open_services(folder / DB_FILENAME, replay, "Dana Whitfield") as services:
        seed_demo(services, replay, now)
    return folder


def seed_demo(services: Services, replay: FakeClock, now: datetime) -> None:
    """The demo's incidents, through the services and by the same rules as real use."""
    _scenarios(services.incidents, replay, now, services.mitigations, services.postmortems)


def _ago(now: datetime, **span: float) -> datetime:
    return now - timedelta(**span)


def _scenarios(
    svc: IncidentService,
    clock: FakeClock,
    now: datetime,
    mitigations: MitigationService,
    postmortems: PostmortemService,
) -> None:
    # P0, active: a control-plane upgrade broke scheduling; the next update is nearly due.
    clock.set(_ago(now, minutes=42))
    k8s = svc.declare(
        "Kubernetes control-plane upgrade broke pod scheduling",
        "P0",
        impact="No new pods schedule in prod-eu; deploys and autoscaling stalled, "
        "~30% of API capacity lost as nodes recycle.",
        impact_started_at=_ago(now, minutes=51),
        commander="Dana Whitfield",
    )
    svc.set_key_time(k8s.id, KeyTime.DETECTED, _ago(now, minutes=47))
    clock.set(_ago(now, minutes=40))
    svc.acknowledge(k8s.id)
    svc.assign_role(k8s.id, Role.TECH_LEAD, "Sam Okafor")
    svc.assign_role(k8s.id, Role.COMMS_LEAD, "Priya Raman")
    svc.assign_role(k8s.id, Role.SCRIBE, "Lee Chen")
    svc.set_status(k8s.id, "active")
    svc.add_note(
        k8s.id,
        "Control plane upgraded 1.30 → 1.31 at the start of the window",
        at=_ago(now, minutes=55),
    )
    clock.set(_ago(now, minutes=33))
    svc.add_note(k8s.id, "kube-scheduler CrashLoopBackOff: unknown plugin arg in scheduler config")
    clock.set(_ago(now, minutes=28))
    svc.mark_update_sent(k8s.id, "Scheduling down in prod-eu; rollback of control plane assessed")
    clock.set(_ago(now, minutes=13))
    svc.mark_update_sent(k8s.id, "Rolling back scheduler config; running pods unaffected")
    playbook = load_playbook_file(builtin_playbook_file())
    mitigations.record_triage(
        k8s.id,
        playbook,
        {
            "impact": "No new pods in prod-eu; ~30% API capacity lost",
            "changed": "Control plane 1.30 → 1.31",
            "rollback": "yes",
            "corruption": "no",
            "security": "no",
        },
    )
    clock.set(_ago(now, minutes=6))
    mitigations.apply(
        k8s.id,
        playbook.option("rollback"),
        action="revert scheduler config to the 1.30 profile",
        expected_effect="kube-scheduler running and pending pods scheduling again",
        applied_by="Sam Okafor",
        change=ChangeFacts("control-plane upgrade 1.30 → 1.31", _ago(now, minutes=55)),
    )

    # P1, active, update overdue: serverless throttling under a traffic spike.
    svc.actor = "Marta Silva"
    clock.set(_ago(now, minutes=38))
    lam = svc.declare(
        "Serverless throttling on checkout under traffic spike",
        "P1",
        impact="Checkout p95 at 9 s and 12% of orders failing with 429 from the functions tier.",
        impact_started_at=_ago(now, minutes=44),
    )
    clock.set(_ago(now, minutes=33))
    svc.acknowledge(lam.id)
    svc.set_status(lam.id, "active")
    svc.assign_role(lam.id, Role.TECH_LEAD, "Jon Park")
    svc.add_note(
        lam.id, "Account concurrency limit (1,000) reached; marketing email sent 14 min before"
    )
    clock.set(_ago(now, minutes=31))
    svc.mark_update_sent(lam.id, "Checkout degraded; raising concurrency quota")
    mitigations.reject(
        lam.id, playbook.option("rollback"), "no deploy or config change", not_applicable=False
    )
    clock.set(_ago(now, minutes=14))
    mitigations.apply(
        lam.id,
        playbook.option("scale"),
        action="raise function concurrency quota to 3,000",
        expected_effect="429s under 0.5 % and checkout p95 under 2 s",
        applied_by="Jon Park",
    )

    # P2, triage, nobody has picked it up: a data-pipeline backlog.
    svc.actor = "alerts-bot"
    clock.set(_ago(now, minutes=70))
    svc.declare(
        "Data-pipeline backlog: events ETL 3 h behind",
        "P2",
        impact="Dashboards and fraud scores lag by 3 h; no data lost, "
        "consumers stalled on one partition.",
        impact_started_at=_ago(now, hours=3, minutes=10),
    )

    # P3, mitigated: an autoscaler cost spike.
    svc.actor = "Noor Haddad"
    clock.set(_ago(now, hours=5))
    cost = svc.declare(
        "Autoscaler cost spike: GPU node group scaled to 40 nodes",
        "P3",
        impact="No user impact; about $1,900/h of idle GPU capacity since the nightly batch.",
        impact_started_at=_ago(now, hours=9),
        commander="Noor Haddad",
    )
    clock.set(_ago(now, hours=4, minutes=40))
    svc.acknowledge(cost.id)
    svc.set_status(cost.id, "active")
    clock.set(_ago(now, hours=3))
    svc.add_note(cost.id, "Max nodes capped at 8; scale-down delay reverted to 10 min")
    mitigations.mark_mitigated(
        cost.id, RecoveryCheck.KEY_METRIC, "GPU node group back to 8 nodes; spend at baseline"
    )

    # P1, mitigated after a failed first attempt: a multi-service cache race.
    svc.actor = "Ravi Iyer"
    clock.set(_ago(now, hours=2, minutes=20))
    cache = svc.declare(
        "Multi-service cache race serving stale prices",
        "P2",
        impact="Product and cart services disagree on prices for ~4% of SKUs after invalidation.",
        impact_started_at=_ago(now, hours=2, minutes=50),
        commander="Ravi Iyer",
    )
    clock.set(_ago(now, hours=2, minutes=15))
    svc.acknowledge(cache.id)
    svc.set_status(cache.id, "active")
    clock.set(_ago(now, hours=2))
    svc.change_severity(cache.id, "P1", "customers charged the stale price at checkout")
    clock.set(_ago(now, hours=1, minutes=40))
    svc.mark_update_sent(cache.id, "Cart pinned to price service reads; refunds being scoped")
    mitigations.mark_mitigated(
        cache.id, RecoveryCheck.KEY_METRIC, "Cart and product prices agree on a 500-SKU sample"
    )
    clock.set(_ago(now, hours=1, minutes=20))
    svc.set_status(cache.id, "active", "stale prices returned after the next invalidation wave")
    clock.set(_ago(now, minutes=25))
    svc.mark_update_sent(cache.id, "Invalidation fan-out disabled; prices consistent again")
    mitigations.mark_mitigated(
        cache.id, RecoveryCheck.KEY_METRIC, "Price mismatch rate 0% for 20 minutes"
    )

    # A drill, clearly marked.
    svc.actor = "Lee Chen"
    clock.set(_ago(now, minutes=20))
    drill = svc.declare(
        "Game day: primary database failover drill",
        "P2",
        impact="Exercise only; staging traffic replayed against the replica.",
        commander="Lee Chen",
        is_drill=True,
    )
    svc.acknowledge(drill.id)
    svc.set_status(drill.id, "active")

    # Yesterday's incident, resolved, with its post-mortem under way (hidden by default).
    svc.actor = "Priya Raman"
    clock.set(_ago(now, days=1, hours=3))
    tls = svc.declare(
        "Expired TLS certificate on the internal API gateway",
        "P1",
        impact="Service-to-service calls to billing failed; invoices delayed for 40 minutes.",
        impact_started_at=_ago(now, days=1, hours=3, minutes=12),
        commander="Priya Raman",
    )
    clock.set(_ago(now, days=1, hours=2, minutes=55))
    svc.acknowledge(tls.id)
    svc.set_status(tls.id, "active")
    clock.set(_ago(now, days=1, hours=2, minutes=35))
    svc.add_note(tls.id, "Certificate renewed by hand and gateway reloaded")
    mitigations.mark_mitigated(
        tls.id, RecoveryCheck.ERROR_RATE, "Billing's 5xx rate back to baseline (0.1%)"
    )
    svc.mark_update_sent(tls.id, "Billing calls recovering; invoices catching up")
    clock.set(_ago(now, days=1, hours=1))
    svc.set_status(tls.id, "resolved")
    svc.set_status(tls.id, "postmortem")
    clock.set(_ago(now, hours=2))
    draft = postmortems.get(tls.id)
    postmortems.save(
        replace(
            draft,
            authors="Priya Raman",
            root_cause="The gateway's certificate was issued by hand two years ago and was "
            "never added to automatic renewal; its expiry alert went to a retired mailbox.",
            contributing_factors="Internal certificates are not inventoried in one place.",
            detection="Billing's error-rate alert, 6 minutes after expiry.",
            went_well="Renewal by hand took 12 minutes once the cause was found.",
            action_items=(
                ActionItem(
                    "Move the gateway certificate to automatic renewal",
                    "Priya Raman",
                    (now - timedelta(days=1)).date(),
                    priority=ItemPriority.HIGH,
                ),
                ActionItem(
                    "Inventory internal certificates and alert 30 days before expiry",
                    "Sam Okafor",
                    (now + timedelta(days=14)).date(),
                    kind=ItemKind.PREVENT,
                ),
            ),
        )
    )
