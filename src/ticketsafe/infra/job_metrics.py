"""The job queue's instruments: what ran and how long, how long it waited, and the
backlog a worker samples from Redis (`JobQueue.backlog`).

`job` labels are the registered job names (a fixed set in code); lanes are `urgent` and
`normal`.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from ticketsafe.infra.jobs import Backlog

JOBS_PROCESSED = Counter(
    "ticketsafe_jobs_processed_total", "Background jobs finished", ["job", "outcome"]
)
JOB_DURATION = Histogram("ticketsafe_job_duration_seconds", "Background job run time", ["job"])
JOB_WAIT = Histogram(
    "ticketsafe_job_wait_seconds",
    "From a job entering its lane (enqueued, or due after a delay) to a worker starting it",
    ["job"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
)
JOB_BACKLOG = Gauge(
    "ticketsafe_job_queue_depth", "Jobs in a lane, waiting or being run (sampled)", ["lane"]
)
JOB_OLDEST_AGE = Gauge(
    "ticketsafe_job_queue_oldest_age_seconds",
    "Age of the oldest job still in a lane (0 when empty; sampled)",
    ["lane"],
)
JOBS_DELAYED = Gauge("ticketsafe_job_queue_delayed", "Jobs waiting for a retry or a delay")
JOBS_DEAD = Gauge("ticketsafe_job_queue_dead_letters", "Jobs dead-lettered (kept for review)")


def record_backlog(backlog: Backlog) -> None:
    for lane, depth in backlog.depth.items():
        JOB_BACKLOG.labels(lane).set(depth)
    for lane, age in backlog.oldest_age_s.items():
        JOB_OLDEST_AGE.labels(lane).set(age)
    JOBS_DELAYED.set(backlog.delayed)
    JOBS_DEAD.set(backlog.dead)
