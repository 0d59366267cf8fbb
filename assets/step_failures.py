"""The project's own errors as a failed step's *description* in the Dagster UI, not only as a trace.

Belongs here: `one_line_failure`, the decorator every asset's compute function wears (between `@dg.asset`
and `def`), and the translation of an error into a `dg.Failure`. Not here: the messages themselves (raised
where the problem is found, assets/errors.py) and the `rvc` summary (pipelines/run_outcomes.py).

Why: Dagster wraps any other exception in "Error occurred while executing op …" and the UI heads the step
with that and a long trace, the user's message at the bottom. A `dg.Failure` is not wrapped: its
description is what the UI shows for the failed step, its metadata sits beside it, and, raised `from` the
original error, the original and its whole trace stay in the event as the failure's cause. `rvc backfill`
reads the same description (run_outcomes.failure_from_result), so the UI and the CLI say the same line.

Which errors: RvcInputError (bad input: retrying cannot help, so Dagster retry policies are bypassed),
RvcSourceError (a remote source failed after the client's own retries: a later retry may help), and
pandera schema errors raised in an asset's body. Anything else is a bug and keeps Dagster's trace.
Not covered: an output's type check (pipelines/validation.py) runs after the body returns, outside this
decorator; Dagster heads that step's error with "Type check failed … Description: <the schema failures>".
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import dagster as dg
import pandera.errors

from assets.errors import RvcInputError, RvcSourceError, one_line
from pipelines.validation import describe_failures

USER_FACING_ERRORS = (RvcInputError, RvcSourceError, pandera.errors.SchemaError, pandera.errors.SchemaErrors)
# Marks a wrapped compute function, so a test can check that every asset wears the decorator.
MARKER = "__rvc_one_line_failure__"

F = TypeVar("F", bound=Callable[..., Any])


def _message(error: BaseException) -> str:
    if isinstance(error, pandera.errors.SchemaErrors):
        return describe_failures(getattr(error.schema, "name", None) or "schema", error.failure_cases)
    if isinstance(error, pandera.errors.SchemaError):
        return f"{getattr(error.schema, 'name', None) or 'schema'}: {error}"
    return str(error)


def step_failure(error: BaseException) -> dg.Failure:
    """A dg.Failure whose description is `error`'s message on one line and whose metadata names its type and,
    when the error knows them, the file, row and column."""
    metadata: dict[str, Any] = {"error_type": type(error).__name__}
    for field in ("file", "row", "column"):
        value = getattr(error, field, None)
        if value is not None:
            metadata[field] = value
    if isinstance(error, pandera.errors.SchemaErrors):
        metadata["failure_count"] = len(error.failure_cases)
    return dg.Failure(
        description=one_line(_message(error)),
        metadata=metadata,
        allow_retries=not isinstance(error, (RvcInputError, pandera.errors.SchemaError, pandera.errors.SchemaErrors)),
    )


def one_line_failure(compute: F) -> F:
    """`compute` (an asset's function; plain or a generator of outputs and check results), raising a
    project error as `step_failure(error)` from that error. Signature, name and module are kept, so
    Dagster sees the same parameters and the code version (pipelines/code_versions.py) the same function."""
    if inspect.isgeneratorfunction(compute):

        @functools.wraps(compute)
        def wrapped_generator(*args, **kwargs):
            try:
                yield from compute(*args, **kwargs)
            except USER_FACING_ERRORS as error:
                raise step_failure(error) from error

        wrapped: Callable[..., Any] = wrapped_generator
    else:

        @functools.wraps(compute)
        def wrapped_function(*args, **kwargs):
            try:
                return compute(*args, **kwargs)
            except USER_FACING_ERRORS as error:
                raise step_failure(error) from error

        wrapped = wrapped_function
    setattr(wrapped, MARKER, True)
    return wrapped  # type: ignore[return-value]
