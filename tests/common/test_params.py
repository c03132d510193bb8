"""Parameters: one model, four layers, later layers win, unknown names refused."""

from __future__ import annotations

import pytest

from dropcast_common.errors import InputError
from dropcast_common.params import Params, from_metadata, from_pairs, resolve


def test_defaults_match_the_original_project() -> None:
    params = resolve()
    assert params.horizon == 28
    assert params == Params()


def test_later_layers_win() -> None:
    settings = {"horizon": "14", "interval_width": "0.9"}
    metadata = from_metadata({"dropcast-horizon": "7", "other": "x"})
    manifest = {"interval_width": 0.5}
    params = resolve(settings, metadata, manifest)
    assert params.horizon == 7
    assert params.interval_width == 0.5


def test_metadata_names_accept_hyphens_and_lists() -> None:
    params = resolve(from_metadata({"dropcast-value-columns": "a, b", "dropcast-integer": "true"}))
    assert params.value_columns == ("a", "b")
    assert params.integer is True


def test_unknown_parameter_is_an_input_error_naming_it() -> None:
    with pytest.raises(InputError) as err:
        resolve({"horizn": "7"})
    assert err.value.code == "unknown_parameter"
    assert "horizn" in err.value.message
    assert err.value.details == {"unknown": ["horizn"]}


def test_unknown_parameter_suggests_the_nearest_name() -> None:
    with pytest.raises(InputError) as err:
        resolve({"horizn": "7", "interval-widht": "0.9", "zzz": "1"})
    assert "horizn (did you mean horizon?)" in err.value.message
    assert "interval_widht (did you mean interval_width?)" in err.value.message
    assert "zzz (did you mean" not in err.value.message
    assert "horizn → horizon" in err.value.hint


@pytest.mark.parametrize(
    ("name", "value"),
    [("horizon", "0"), ("horizon", "x"), ("interval_width", "1.5"), ("growth", "cubic")],
)
def test_invalid_values_say_which_parameter(name: str, value: str) -> None:
    with pytest.raises(InputError) as err:
        resolve({name: value})
    assert err.value.code == "invalid_parameter"
    assert err.value.details["parameter"] == name
    assert name in err.value.hint


def test_pairs_parse_and_reject_missing_equals() -> None:
    assert from_pairs(["horizon=7", " growth = flat "]) == {"horizon": "7", "growth": "flat"}
    with pytest.raises(InputError):
        from_pairs(["horizon"])


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("changepoint_prior_scale", "inf"),
        ("changepoint_prior_scale", "1e309"),
        ("seasonality_prior_scale", "nan"),
        ("interval_width", "-inf"),
    ],
)
def test_non_finite_numbers_are_refused_at_the_edge(name: str, value: str) -> None:
    with pytest.raises(InputError) as err:
        resolve(from_metadata({f"dropcast-{name}": value}))
    assert err.value.code == "invalid_parameter"
    assert err.value.details["parameter"] == name
    assert "finite" in err.value.message


def test_non_finite_cap_is_refused() -> None:
    with pytest.raises(InputError) as err:
        resolve({"growth": "logistic", "cap": "inf"})
    assert err.value.code == "invalid_parameter"
    assert err.value.details["parameter"] == "cap"


def test_every_valid_params_survive_the_work_message_round_trip() -> None:
    # What ingest validated is what forecast reads back: nothing turns into null.
    params = resolve({"changepoint_prior_scale": "1e300", "growth": "logistic", "cap": "1e308"})
    assert Params.model_validate_json(params.model_dump_json()) == params
