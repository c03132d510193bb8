"""What the job commands share: their options, the environment they talk to, and its errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from dropcast_cli import exits

RefArgument = Annotated[
    str,
    typer.Argument(
        metavar="REF",
        help="The job: its id, the uploaded object's name in the input bucket, or a gs:// URI",
        show_default=False,
    ),
]
EnvOption = Annotated[
    str, typer.Option("--env", "-e", help="local (the stack of `dropcast up`), dev or prod")
]
ProjectOption = Annotated[
    str | None,
    typer.Option(
        help="Project of a deployed env (default: $DROPCAST_PROJECT, $GOOGLE_CLOUD_PROJECT, "
        "$CLOUDSDK_CORE_PROJECT, then gcloud's configured project)",
        show_default=False,
    ),
]
OutputsOption = Annotated[
    Path | None,
    typer.Option(
        help="`terraform -chdir=terraform/envs/ENV output -json` saved to a file: exact bucket "
        "names of a deployed env",
        show_default=False,
    ),
]
HomeOption = Annotated[Path | None, typer.Option(help="State directory (default .dropcast)")]
TimeoutOption = Annotated[float, typer.Option(help="Seconds to wait")]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON object instead of text (for scripts)")
]
OutdirOption = Annotated[
    Path,
    typer.Option("--output", "-o", help="Where to save the outputs", show_default=True),
]
DEFAULT_OUTDIR = Path("forecasts")
ParamOption = Annotated[
    list[str] | None,
    typer.Option("--param", "-p", help="Parameter as name=value (see the README's table)."),
]


def fail(message: str, code: int = exits.FAILED) -> NoReturn:
    """Print ``error: message`` on stderr and exit with ``code``."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def target_for(env: str, home: Path | None, project: str | None, outputs: Path | None) -> Any:
    """The environment to talk to, with the clients pointed at it; exits 1 if it can't be found."""
    from dropcast_cli import targets

    try:
        target = targets.resolve(
            env, home=home, project=project, outputs=outputs, environ=os.environ
        )
    except targets.TargetError as err:
        fail(str(err))
    os.environ.update(target.client_env)
    return target


def store_for(target: Any) -> Any:
    """A blob store on the target's project (anonymous on the emulators, ADC in the cloud)."""
    from dropcast_common.storage import GcsBlobStore

    return GcsBlobStore(project=target.project or None)


def cloud_failure(err: Exception, target: Any) -> NoReturn:
    """Turn a client failure (no credentials, no bucket, no access) into one actionable line."""
    from google.api_core import exceptions as gexc
    from google.auth import exceptions as auth_exc

    from dropcast_common.errors import DropcastError

    if isinstance(err, auth_exc.DefaultCredentialsError):
        message = (
            "no Google credentials: run `gcloud auth application-default login` "
            "(or set GOOGLE_APPLICATION_CREDENTIALS)"
        )
    elif target.is_local and isinstance(err, gexc.GoogleAPIError | DropcastError | OSError):
        message = f"{err}\n  is the local stack still running? (`dropcast up`)"
    elif isinstance(err, gexc.NotFound | gexc.Forbidden | DropcastError):
        message = (
            f"{err}\n  the {target.env} buckets ({', '.join(target.buckets.values())}) come "
            f"from {target.origin}: is {target.env} deployed there, and may you use it?"
        )
    elif isinstance(err, gexc.GoogleAPIError | auth_exc.GoogleAuthError | OSError):
        message = str(err)
    else:
        raise err
    fail(message)
