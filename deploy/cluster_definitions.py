"""Code location for a cluster: the pipeline's definitions with every job's steps run by Celery workers.

The same assets, jobs, schedules and resources as `pipelines.definitions`; only the executor differs. Each step
is a Celery task: a run's process hands its steps to the broker, and whichever worker is free runs the step
(loading this file itself, so the workers need the repository and its environment). The broker and result
backend come from RVC_CELERY_BROKER and RVC_CELERY_BACKEND (e.g. redis://host:6379/0 and /1), the same
variables the workers read through deploy/celery.yaml. Storage is the instance's (deploy/dagster.postgres.yaml),
the warehouse is RVC_WAREHOUSE (an s3:// URL on a cluster: every worker must see the same warehouse).

Loaded by deploy/workspace.cluster.yaml; `make cluster-demo` shows it working on one machine.
"""

import dagster as dg
from dagster_celery import celery_executor

from pipelines.definitions import build_defs

CLUSTER_EXECUTOR = celery_executor.configured(
    {"broker": {"env": "RVC_CELERY_BROKER"}, "backend": {"env": "RVC_CELERY_BACKEND"}},
    name="rvc_celery",
)

defs = build_defs(executor=CLUSTER_EXECUTOR)
