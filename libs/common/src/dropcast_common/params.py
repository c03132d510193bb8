"""Parameters that travel with an upload.

One model, one set of names, four sources. Precedence (later wins):
defaults < service settings < object metadata (``dropcast-<name>``) <
manifest (``*.dropcast.json``). ``dropcast forecast --param name=value``
uses the same names. An unknown name is an error, never silently ignored.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from dropcast_common.errors import InputError
from dropcast_common.safety import unsafe_name_reason

METADATA_PREFIX = "dropcast-"

Toggle = Literal["auto"] | bool


class HintedValueError(ValueError):
    """A validator's refusal that carries the hint to show instead of the generic one."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


class Params(BaseModel):
    """Every parameter a user can set, with its default. Documented in the README table."""

    # Finite numbers only: inf and nan (also "1e309") would pass a range check
    # like gt=0, then serialise as null in the work message and be refused by
    # forecast on every delivery instead of here, with a reason.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    # --- reading the file -------------------------------------------------
    date_column: str | None = Field(None, description="Name of the date column (default: found).")
    date_format: str | None = Field(
        None,
        description="strftime layout of the date column (e.g. %d|%m|%Y) when it is unusual "
        "(default: found).",
    )
    value_columns: tuple[str, ...] | None = Field(
        None, description="Value column(s) to forecast, comma-separated (default: found)."
    )
    id_columns: tuple[str, ...] | None = Field(
        None, description="Column(s) whose values name a series in long format, comma-separated."
    )
    layout: Literal["auto", "long", "wide"] = Field(
        "auto", description="long: id,date,value rows; wide: one column per series."
    )
    dayfirst: bool | None = Field(
        None, description="Read 03/04 as 3 April (true) or March 4 (false); default: from the data."
    )
    delimiter: str | None = Field(
        None, description="Field delimiter: , ; | or tab (default: sniffed)."
    )
    encoding: str | None = Field(
        None, description="Text encoding, e.g. utf-8, utf-16, cp1252 (default: sniffed)."
    )
    decimal: Literal[".", ","] | None = Field(
        None, description="Decimal separator (default: sniffed)."
    )
    header: bool | None = Field(None, description="Whether row 1 is a header (default: sniffed).")
    frequency: str | None = Field(
        None, description="Series frequency as a pandas alias (D, B, W-SUN, MS, QS, YS, h, min)."
    )
    duplicates: Literal["mean", "sum", "last", "error"] = Field(
        "mean", description="What to do with several values for one timestamp."
    )
    fill_missing: Literal["interpolate", "drop", "zero"] = Field(
        "drop", description="What to do with missing values: Prophet handles gaps, so drop."
    )
    # --- the model --------------------------------------------------------
    model: Literal[
        "auto", "prophet", "ets", "theta", "arima", "mstl", "seasonal_naive", "combination"
    ] = Field(
        "auto",
        description="auto: per series, the candidate with the best rolling-origin backtest; "
        "or one model by name.",
    )
    horizon: int = Field(28, ge=1, le=10_000, description="Periods to forecast.")
    interval_width: float = Field(0.8, gt=0, lt=1, description="Width of the prediction interval.")
    uncertainty_samples: int = Field(
        1000, ge=0, le=10_000, description="Samples for the interval (0 turns intervals off)."
    )
    growth: Literal["linear", "flat", "logistic"] = Field("linear", description="Trend type.")
    cap: float | None = Field(
        None, validate_default=True, description="Carrying capacity (required by logistic growth)."
    )
    floor: float | None = Field(None, description="Saturating minimum (logistic growth).")
    seasonality_mode: Literal["additive", "multiplicative"] = Field(
        "additive", description="How seasonality combines with the trend."
    )
    yearly_seasonality: Toggle = Field("auto", description="auto, true or false.")
    weekly_seasonality: Toggle = Field("auto", description="auto, true or false.")
    daily_seasonality: Toggle = Field("auto", description="auto, true or false.")
    changepoint_prior_scale: float = Field(0.05, gt=0, description="Trend flexibility.")
    seasonality_prior_scale: float = Field(10.0, gt=0, description="Seasonality strength.")
    holidays_country: str | None = Field(
        None, description="ISO country code whose holidays are modelled (e.g. US, DE)."
    )
    non_negative: bool = Field(False, description="Clip predictions and intervals at zero.")
    integer: bool = Field(False, description="Round predictions and intervals to integers.")
    warm_start: bool = Field(
        True,
        description="Start each fit from the last upload of the same object, and keep its "
        "backtest while little data was added.",
    )
    engine: Literal["native", "cmdstan"] = Field(
        "native",
        description="Who solves Prophet's fit: in process (native) or Prophet's cmdstan.",
    )
    # --- output -----------------------------------------------------------
    output_name: str | None = Field(
        None, description="Output path without extension (default: the input's path)."
    )
    output_parquet: bool = Field(False, description="Also write <name>.parquet.")
    chart_history: Literal["auto", "all"] | int = Field(
        "auto",
        description="History the chart shows: auto (the recent context), all, or a number "
        "of periods.",
    )

    @field_validator("value_columns", "id_columns", mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("frequency")
    @classmethod
    def _frequency_alias(cls, value: str | None) -> str | None:
        if value is None:
            return value
        from dropcast_common import frequency  # pandas, only when a frequency is set

        try:
            return frequency.canonical(value)
        except InputError as exc:
            raise HintedValueError("not a pandas offset alias", exc.hint) from exc

    @field_validator("date_format")
    @classmethod
    def _strftime_layout(cls, value: str | None) -> str | None:
        if value is not None and "%" not in value:
            raise ValueError("date_format is a strftime layout such as %d.%m.%Y (with % codes)")
        return value

    @field_validator("output_name")
    @classmethod
    def _safe_output_name(cls, value: str | None) -> str | None:
        reason = None if value is None else unsafe_name_reason(value)
        if reason:
            raise ValueError(f"unsafe output name: {reason}")
        return value

    @field_validator("cap")
    @classmethod
    def _cap_with_logistic(cls, value: float | None, info: ValidationInfo) -> float | None:
        logistic = info.data.get("growth") == "logistic"
        if logistic and value is None:
            raise ValueError("growth=logistic needs a cap, the level the series saturates at")
        if not logistic and value is not None:
            raise ValueError("cap only applies to growth=logistic")
        return value

    @field_validator("floor")
    @classmethod
    def _floor_below_cap(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is None:
            return value
        if info.data.get("growth") != "logistic":
            raise ValueError("floor only applies to growth=logistic")
        cap = info.data.get("cap")
        if cap is not None and value >= cap:
            raise ValueError(f"floor must be below cap ({cap})")
        return value

    @field_validator("yearly_seasonality", "weekly_seasonality", "daily_seasonality", mode="before")
    @classmethod
    def _toggle(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() == "auto":
            return "auto"
        return value

    @field_validator("chart_history", mode="before")
    @classmethod
    def _chart_history(cls, value: Any) -> Any:
        text = str(value).strip().lower()
        if text in ("auto", "all"):
            return text
        if isinstance(value, bool) or not text.isdigit() or int(text) < 1:
            raise ValueError("chart_history is auto, all or a number of periods (1 or more)")
        return int(text)


def resolve(*layers: Mapping[str, Any]) -> Params:
    """Merge parameter layers (later wins) and validate them into :class:`Params`.

    Raises InputError(``invalid_parameter`` / ``unknown_parameter``) with the
    offending name, so the user can fix their metadata or manifest.
    """
    merged: dict[str, Any] = {}
    for layer in layers:
        merged.update({_canonical_name(k): v for k, v in layer.items() if v is not None})
    unknown = sorted(set(merged) - set(Params.model_fields))
    if unknown:
        guesses = {name: nearest_name(name) for name in unknown}
        named = [
            f"{name} (did you mean {guesses[name]}?)" if guesses[name] else name for name in unknown
        ]
        fixes = [f"{name} → {guess}" for name, guess in guesses.items() if guess]
        raise InputError(
            "unknown_parameter",
            f"unknown parameter(s): {', '.join(named)}",
            (f"Rename {', '.join(fixes)}; or use" if fixes else "Use")
            + " only the parameter names listed in the README's parameter table "
            f"(for example {', '.join(list(Params.model_fields)[:4])}).",
            {"unknown": unknown},
        )
    try:
        return Params.model_validate(merged)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = ".".join(str(p) for p in err["loc"])
        cause = err.get("ctx", {}).get("error")
        hint = f"Fix the value of {name!r}; the README's parameter table gives its type and range."
        if isinstance(cause, HintedValueError):
            hint = cause.hint
        raise InputError(
            "invalid_parameter",
            f"parameter {name!r} has an invalid value {merged.get(name)!r}: {err['msg']}",
            hint,
            {"parameter": name, "value": str(merged.get(name))},
        ) from exc


def nearest_name(name: str) -> str | None:
    """The parameter a mistyped name most likely meant (``horizn`` → ``horizon``), if any."""
    close = difflib.get_close_matches(_canonical_name(name), list(Params.model_fields), n=1)
    return close[0] if close else None


def from_metadata(metadata: Mapping[str, str]) -> dict[str, str]:
    """Pick the ``dropcast-*`` keys of object custom metadata, as parameter names."""
    return {
        key[len(METADATA_PREFIX) :]: value
        for key, value in metadata.items()
        if key.lower().startswith(METADATA_PREFIX)
    }


def from_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """Parse ``name=value`` pairs as given to ``--param``."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InputError(
                "invalid_parameter",
                f"parameter {pair!r} is not of the form name=value",
                "Write parameters as name=value, e.g. --param horizon=14.",
                {"parameter": pair},
            )
        out[name.strip()] = value.strip()
    return out


def _canonical_name(name: str) -> str:
    return name.strip().lower().replace("-", "_")
