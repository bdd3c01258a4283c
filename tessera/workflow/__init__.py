"""Tessera's workflow engine (DESIGN.md decision 4): durable trigger automations.

Modules, one job each::

    models.py        tables: automations, runs (the outbox), steps, log, effects, state
    registry.py      TriggerSpec / ActionSpec registries (one entry declares everything)
    triggers.py      record created/updated/deleted, condition_true, date_relative, schedule,
                     manual, webhook
    actions.py       update/create/link/unlink/notify/assign, wait/branch/stop
    effects.py       send_email, webhook (effects that leave the database)
    conditions.py    formulas compiled to SQL, set-wise; clock-boundary analysis for sweeps
    templates.py     ``=formula`` option templates over the record and earlier steps
    outbox.py        RecordService.after_change hook: runs queued in the write's transaction
    scheduler.py     cron firing and the daily sweeps (exactly once per day)
    runner.py        executes a run by replaying its step log
    worker.py        claims (SKIP LOCKED on PostgreSQL), leases, --once, embedded worker
    service.py       the Python API below

Importing the package registers the built-in triggers and actions and installs the outbox hook.
"""

from tessera.workflow import actions as _actions  # noqa: F401  (registers built-ins)
from tessera.workflow import effects as _effects  # noqa: F401
from tessera.workflow import triggers as _triggers  # noqa: F401
from tessera.workflow.context import MAX_DEPTH, bulk_import
from tessera.workflow.outbox import install
from tessera.workflow.registry import (
    ACTIONS,
    TRIGGERS,
    ActionSpec,
    TriggerSpec,
    define_action,
    define_trigger,
)
from tessera.workflow.scheduler import sweep_automation, tick
from tessera.workflow.service import (
    DryRun,
    RunInfo,
    WebhookRefused,
    create_automation,
    delete_automation,
    disable_automation,
    dry_run,
    enable_automation,
    get_automation,
    list_automations,
    receive_webhook,
    run_history,
    run_manual,
    update_automation,
)
from tessera.workflow.worker import EmbeddedWorker, Worker, start_embedded_worker

install()

__all__ = [
    "ACTIONS", "TRIGGERS", "ActionSpec", "TriggerSpec", "define_action", "define_trigger",
    "MAX_DEPTH", "bulk_import", "install", "tick", "sweep_automation", "DryRun", "RunInfo",
    "WebhookRefused", "create_automation", "delete_automation", "disable_automation", "dry_run",
    "enable_automation", "get_automation", "list_automations", "receive_webhook",
    "run_history", "run_manual", "update_automation", "EmbeddedWorker", "Worker",
    "start_embedded_worker",
]

# Packages whose own actions run on this engine register them on import (after the engine is
# complete, so they may build on it): the outreach campaign actions.
import tessera.outreach  # noqa: E402,F401
