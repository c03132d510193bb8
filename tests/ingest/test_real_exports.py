"""The families of real exports (issue 17): what is read, and what is warned about or refused.

The corpus asserts each real file's exact table; these are the twins, the
files that look like a family but must be refused or reported, and what the
quality report says about the guesses it made.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dropcast_common.errors import InputError
from dropcast_common.params import resolve
from dropcast_tables.normalise import Normalised, normalise

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _read(tmp_path: Path, content: str | bytes, **params: Any) -> Normalised:
    path = tmp_path / "export.csv"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return normalise(path, "export.csv", resolve(params))


def _refused(tmp_path: Path, content: str | bytes, **params: Any) -> InputError:
    with pytest.raises(InputError) as caught:
        _read(tmp_path, content, **params)
    return caught.value


def _days(n: int, extra: str = "") -> str:
    return "".join(f"2024-01-{d:02d},{WEEKDAYS[d % 7]}{extra},{d}\n" for d in range(1, n + 1))


# --- family 1: a text column that describes rows, not series ------------------------------


def test_a_weekday_column_is_an_attribute_and_the_report_says_so(tmp_path: Path) -> None:
    result = _read(tmp_path, "date,weekday,y\n" + _days(28))
    assert result.series_count == 1
    assert result.quality["columns"]["attributes"] == ["weekday"]
    assert any("'weekday'" in action for action in result.quality["actions"])


def test_an_attribute_with_two_measures_gives_two_series_not_a_refusal(tmp_path: Path) -> None:
    rows = "".join(f"2024-01-{d:02d},{WEEKDAYS[d % 7]},{d},{2 * d}\n" for d in range(1, 29))
    result = _read(tmp_path, "date,weekday,sales,visits\n" + rows)
    assert sorted(result.frame["series_id"].unique()) == ["sales", "visits"]


def test_a_real_id_column_whose_dates_repeat_across_ids_still_names_series(
    tmp_path: Path,
) -> None:
    rows = "".join(f"{s},2024-01-{d:02d},{d}\n" for s in ("north", "south") for d in range(1, 15))
    result = _read(tmp_path, "shop,date,y\n" + rows)
    assert sorted(result.frame["series_id"].unique()) == ["north", "south"]
    assert result.quality["columns"]["attributes"] == []


def test_id_columns_overrides_the_attribute_rule(tmp_path: Path) -> None:
    result = _read(tmp_path, "date,weekday,y\n" + _days(28), id_columns="weekday")
    assert result.series_count == 7


# --- family 2: lines above and below the table ---------------------------------------------


def test_excel_sep_hint_names_the_delimiter(tmp_path: Path) -> None:
    rows = "".join(f"2024-01-{d:02d};{d},5\n" for d in range(1, 11))
    result = _read(tmp_path, "sep=;\ndate;value\n" + rows)
    assert result.quality["format"]["delimiter"] == ";"
    assert result.frame["y"].iloc[0] == 1.5


def test_preamble_and_footnotes_are_skipped_and_counted(tmp_path: Path) -> None:
    content = (
        '"Data Source","World Development Indicators",\n\n'
        '"Last Updated Date","2024-06-28",\n\n'
        '"date","value",\n'
        + "".join(f'"2024-01-{d:02d}","{d}",\n' for d in range(1, 11))
        + "\n\nSource: World Bank\nNote: provisional\n"
    )
    result = _read(tmp_path, content)
    assert result.quality["format"]["skipped_preamble_lines"] == 4
    assert result.quality["format"]["skipped_footnote_lines"] == 2
    assert result.quality["rows"]["malformed"]["count"] == 0
    assert len(result.frame) == 10


def test_ragged_rows_inside_the_table_are_still_reported(tmp_path: Path) -> None:
    rows = "".join(f"2024-01-{d:02d},{d}\n" for d in range(1, 31))
    result = _read(tmp_path, "date,y\n" + rows[:-1] + ",9,9\n")
    assert result.quality["rows"]["malformed"]["count"] == 1


# --- family 3: periods as columns -----------------------------------------------------------


def test_periods_as_columns_drop_empty_trailing_periods(tmp_path: Path) -> None:
    content = "Country Name,Country Code,2019,2020,2021,2022\nA,AA,1,2,3,\nB,BB,4,5,,\n"
    result = _read(tmp_path, content)
    assert result.frequencies == {"A": "YS", "B": "YS"}
    assert result.frame.groupby("series_id")["ds"].max().dt.year.to_dict() == {
        "A": 2021,
        "B": 2020,
    }
    assert result.quality["columns"]["layout"] == "periods"
    assert result.quality["rows"] == {**result.quality["rows"], "read": 2, "used": 2}


def test_period_columns_that_are_not_evenly_spaced_are_not_a_calendar(tmp_path: Path) -> None:
    error = _refused(tmp_path, "name,2021,1999,2020\nA,1,2,3\nB,4,5,6\n")
    assert error.code == "no_date_column"


def test_statistics_office_flags_are_stripped_but_words_are_not_numbers(tmp_path: Path) -> None:
    header = "geo\\time\t2019 \t2020 \t2021 \t2022 \n"
    good = _read(tmp_path, header + "AT\t1.5 \t1.4 p\t: c\t1.6 e\nBE\t2.5 \t2.4 \t2.3 \t2.2 \n")
    assert good.frame[good.frame["series_id"] == "AT"]["y"].tolist() == [1.5, 1.4, 1.6]
    bad = "AT\tabout 1\tsoon\tn.a. yet\t?\nBE\tnone yet\t2.4 \tlater\tlater\n"
    error = _refused(tmp_path, header + bad)
    assert error.code == "non_numeric_values"


# --- family 4: period labels ----------------------------------------------------------------


def test_a_pressure_column_like_1010_4_is_a_number_not_a_year_month(tmp_path: Path) -> None:
    rows = "".join(f"2024-01-{d:02d},1010.{d % 10}\n" for d in range(1, 20))
    result = _read(tmp_path, "Zeitpunkt,Luftdruck\n" + rows)
    assert result.quality["columns"]["date"] == ["Zeitpunkt"]
    assert result.frame["y"].iloc[0] == pytest.approx(1010.1)


def test_bare_years_without_header(tmp_path: Path) -> None:
    result = _read(tmp_path, "1871,1120\n1872,1160\n1873,963\n1874,1210\n")
    assert result.frequencies == {"y": "YS"}
    assert result.frame["y"].tolist() == [1120, 1160, 963, 1210]


def test_a_date_column_with_a_few_bad_cells_keeps_its_role_and_lists_them(
    tmp_path: Path,
) -> None:
    rows = "".join(f"2024-01-{d:02d},{d}\n" for d in range(1, 8))
    error = _refused(tmp_path, "date,y\n" + rows + "n/a yet,3\n2024-13-45,4\nlater,5\n")
    assert error.code == "unparseable_dates"
    assert [e["line"] for e in error.details["examples"]] == [9, 10, 11]
    assert "'2024-13-45' (line 10)" in error.message
    assert "2024-01-01" not in error.message  # the good values are not the news


def test_an_unreadable_named_date_column_lists_what_was_tried(tmp_path: Path) -> None:
    error = _refused(tmp_path, "when,y\nsoon,1\nlater,2\n", date_column="when")
    assert error.code == "unparseable_dates"
    assert "ISO weeks 2024-W05" in error.details["tried"]
    assert error.details["examples"][0] == {"line": 2, "value": "soon"}
    assert "date_format" in error.hint


def test_date_format_reads_an_unusual_layout(tmp_path: Path) -> None:
    rows = "".join(f"{d:02d}|01|2024,{d}\n" for d in range(1, 11))
    result = _read(tmp_path, "when,y\n" + rows, date_format="%d|%m|%Y")
    assert result.frame["ds"].iloc[-1].day == 10


def test_date_format_must_be_a_strftime_layout() -> None:
    with pytest.raises(InputError) as caught:
        resolve({"date_format": "dd.mm.yyyy"})
    assert caught.value.code == "invalid_parameter"


# --- family 5: several measures in a long file ---------------------------------------------


def test_long_file_with_several_measures_gives_id_by_column_series(tmp_path: Path) -> None:
    rows = "".join(
        f"{r},{y}Q{q},{q},{q * 10}\n"
        for r in ("North", "South")
        for y in (2020, 2021)
        for q in (1, 2, 3, 4)
    )
    result = _read(tmp_path, "region,quarter,Takings,Occupancy\n" + rows)
    assert sorted(result.frame["series_id"].unique()) == [
        "North/Occupancy",
        "North/Takings",
        "South/Occupancy",
        "South/Takings",
    ]


# --- family 6: not a CSV at all -------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "what"),
    [
        ("<!DOCTYPE html>\n<html><body>Service unavailable</body></html>\n", "web page"),
        ('<?xml version="1.0"?>\n<data><row/></data>\n', "XML"),
        ('[{"date": "2024-01-01", "y": 1}]\n', "JSON"),
        ('{"date": "2024-01-01", "y": 1}\n{"date": "2024-01-02", "y": 2}\n', "JSON"),
    ],
)
def test_documents_saved_as_csv_are_named(tmp_path: Path, content: str, what: str) -> None:
    error = _refused(tmp_path, content)
    assert error.code == "unsupported_format"
    assert what in error.message


# --- family 7: noise --------------------------------------------------------------------------


def test_trailing_empty_columns_are_neither_series_nor_missing_values(tmp_path: Path) -> None:
    rows = "".join(f"2024-01-{d:02d},{d},,\n" for d in range(1, 11))
    result = _read(tmp_path, "date,y,,\n" + rows)
    assert result.series_count == 1
    assert result.quality["values"]["missing"]["count"] == 0


def test_wide_row_counts_are_rows_not_cells(tmp_path: Path) -> None:
    rows = "".join(f"2024-01-{d:02d},{d},{d},{d}\n" for d in range(1, 11))
    result = _read(tmp_path, "date,a,b,c\n" + rows)
    assert result.quality["rows"]["read"] == 10
    assert result.quality["rows"]["used"] == 10
    assert result.quality["rows"]["values"] == 30


# --- encodings (issue 19) ----------------------------------------------------------------------


def test_czech_cp1250_is_told_from_cp1252_and_the_guess_is_a_warning(tmp_path: Path) -> None:
    days = ["pondělí", "úterý", "středa", "čtvrtek", "pátek", "sobota", "neděle"]
    rows = "".join(f"2024-01-{d:02d};{days[d % 7]};{d}\n" for d in range(1, 29))
    result = _read(tmp_path, ("Datum;Den v týdnu;Návštěvy\n" + rows).encode("cp1250"))
    assert result.quality["format"]["encoding"] == "cp1250"
    assert result.quality["columns"]["attributes"] == ["Den v týdnu"]
    assert any("cp1250" in w for w in result.warnings)
    assert result.quality["warnings"] == result.warnings


def test_german_cp1252_is_read_as_western_without_a_warning(tmp_path: Path) -> None:
    rows = "".join(f"2024-01-{d:02d};{d},5;München Köln Düsseldorf Straße\n" for d in range(1, 29))
    result = _read(tmp_path, ("Datum;Umsatz (€);Ort\n" + rows).encode("cp1252"))
    assert result.quality["format"]["encoding"] == "cp1252"
    assert result.warnings == []
