"""What a job run in the `rvc` command came to: nothing (success) or one failure with a one-line cause.

The one-line cause is what a user acts on: a dg.Failure's description — the assets raise the project's own
errors as one (assets/step_failures.py), so the UI shows the same line as the failed step's description —
or else the message of the first error below Dagster's wrappers ("Error occurred while executing op …").
The full trace goes to the backfill log, never to the console.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import dagster as dg

from assets.errors import one_line

# Errors the project raises on purpose: their messages already say what happened and what to do.
EXPECTED_ERRORS = ("RvcInputError", "RvcSourceError", "Failure", "DagsterTypeCheckDidNotPass")


@dataclass(frozen=True)
class RunFailure:
    job: str
    partition: str | None
    step: str | None
    cause: str  # one line
    trace: str  # the full error chain, for the log
    run_id: str | None = None


def _chain(error) -> list:
    chain = []
    while error is not None:
        chain.append(error)
        error = error.cause
    return chain


def _strip_class_prefix(message: str, cls_name: str | None) -> str:
    """'assets.errors.RvcInputError: comtrade_raw 2017: …' → 'comtrade_raw 2017: …' (the class says nothing to a user)."""
    if cls_name:
        message = re.sub(rf"^[\w.]*{re.escape(cls_name)}:\s*", "", message.strip())
    return message


def cause_of(error, description: str | None = None) -> tuple[str, bool]:
    """(one-line cause, whether it is an error the project raises on purpose) from a step's error chain.

    A dg.Failure's description wins; otherwise the first error below Dagster's wrappers (an error raised
    `from` another keeps its own message, not its cause's).
    """
    if description:
        return one_line(description), True
    chain = _chain(error)
    if not chain:
        return "failed without an error message", False
    user = next((e for e in chain if not (e.cls_name or "").startswith("Dagster")), None)
    if user is None:  # only Dagster's own errors, e.g. a type check that did not pass
        user = chain[-1]
    expected = (user.cls_name or "") in EXPECTED_ERRORS
    message = _strip_class_prefix(user.message, user.cls_name)
    return one_line(message if expected else f"{user.cls_name}: {message}"), expected


def failure_from_result(result: dg.ExecuteInProcessResult, job: str, partition: str | None) -> RunFailure | None:
    """The run's first step failure (or its run failure when no step failed), None when the run succeeded."""
    if result.success:
        return None
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            description = data.user_failure_data.description if data.user_failure_data else None
            cause, expected = cause_of(data.error, description)
            if not expected:
                cause += " (unexpected error: the full trace is in the log below)"
            trace = data.error.to_string() if data.error else cause
            return RunFailure(job, partition, event.step_key, cause, trace, result.run_id)
    for event in result.all_events:
        if event.is_run_failure:
            error = getattr(event.event_specific_data, "error", None)
            cause, _ = cause_of(error, None)
            return RunFailure(job, partition, None, cause, error.to_string() if error else cause, result.run_id)
    return RunFailure(job, partition, None, "the run did not succeed and recorded no failure event", "", result.run_id)


def failure_from_exception(exc: BaseException, job: str, partition: str | None) -> RunFailure:
    """A run that could not start (an unknown partition, a definitions error): the exception itself."""
    import traceback

    trace = "".join(traceback.format_exception(exc))
    return RunFailure(job, partition, None, one_line(f"{type(exc).__name__}: {exc}"), trace)


def cause_of_exception(exc: BaseException | None) -> str:
    """The one-line cause of a live exception, as `cause_of` gives it for a recorded one (for the run log)."""
    chain = []
    while exc is not None and len(chain) < 20:
        chain.append(exc)
        exc = exc.__cause__
    user = next((e for e in chain if not type(e).__name__.startswith("Dagster")), chain[-1] if chain else None)
    if user is None:
        return "failed without an error message"
    if isinstance(user, dg.Failure) and user.description:
        return one_line(user.description)
    name = type(user).__name__
    return one_line(str(user) if name in EXPECTED_ERRORS else f"{name}: {user}")


@dg.failure_hook(name="one_line_cause")
def one_line_cause(context: dg.HookContext) -> None:
    """Logs the failed step's cause as one line (file, row, what to do) in the run's log, which the UI shows
    beside the step's error; the CLI prints the same line in its summary."""
    context.log.error(f"{context.step_key} failed — {cause_of_exception(context.op_exception)}")
