"""Write the ingest corpus: real public datasets in the dialects people export.

Sources (``sources/``, trimmed to a few KB each): statsmodels' co2,
elec_equip, macrodata, sunspots, nile, grunfeld, danish_data and elnino;
Prophet's test data (daily business days and 5-minute data); matplotlib's
sample stock prices; the hyndsight reference series. For the real-export
cases (issue 17): statsmodels' World Bank ``fertility`` table (10
countries, 1990-2013), ``copper``, ``longley`` and ``interest_inflation``
(E6, first 40 quarters); vega_datasets' ``seattle-weather`` (90 days),
``seattle-temps`` (120 hours), ``iowa-electricity``, ``us-employment``
(60 months, 3 columns) and ``stocks`` (MSFT, AAPL, IBM from 2005). Each is
written in the form the named exporter uses: the World Bank API download
and DataBank, IMF and Eurostat periods-as-columns tables, BLS preambles
and series reports, Excel's European CSV with its ``sep=;`` line, Destatis,
INSEE and INE period labels, ISO weeks, OECD.Stat's long export,
Eurostat's TSV with its flags. Each case writes one
file in ``files/`` and, built from the source independently of the code
under test, the exact canonical table it must produce in ``expected/``;
``cases.json`` holds each case's parameters and per-series frequency.

Run from the repo root: ``uv run --frozen python tests/ingest/corpus/make_corpus.py``.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"
FILES = HERE / "files"
EXPECTED = HERE / "expected"


def src(name: str) -> pd.DataFrame:
    return pd.read_csv(SOURCES / name, encoding="utf-8-sig")


def canon(frame: pd.DataFrame) -> pd.DataFrame:
    """What dropcast must make of it: no missing values, series of >= 2 points, sorted."""
    frame = frame.dropna(subset=["y"])
    sizes = frame.groupby("series_id")["y"].transform("size")
    frame = frame[sizes >= 2]
    frame = frame.astype({"series_id": str, "y": "float64"})
    frame["ds"] = pd.to_datetime(frame["ds"]).astype("datetime64[ns]")
    return frame.sort_values(["series_id", "ds"]).reset_index(drop=True)[["series_id", "ds", "y"]]


def single(ds: pd.Series, y: pd.Series) -> pd.DataFrame:
    return canon(pd.DataFrame({"series_id": "y", "ds": ds, "y": y}))


def wide(ds: pd.Series, frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    parts = [pd.DataFrame({"series_id": c, "ds": ds, "y": frame[c]}) for c in columns]
    return canon(pd.concat(parts))


def text(
    frame: pd.DataFrame,
    sep: str = ",",
    encoding: str = "utf-8",
    header: bool = True,
    quoting: Literal[0, 1, 2, 3] = csv.QUOTE_MINIMAL,
    newline: str = "\n",
    preamble: str = "",
    index: bool = False,
) -> bytes:
    body = frame.to_csv(
        sep=sep, header=header, index=index, quoting=quoting, lineterminator=newline, na_rep=""
    )
    return (preamble + body).encode(encoding)


def parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def comma(value: float) -> str:
    return "" if pd.isna(value) else repr(float(value)).replace(".", ",")


def german(value: float) -> str:
    """1.234,5: point groups thousands, comma marks decimals."""
    if pd.isna(value):
        return ""
    return f"{float(value):,}".replace(",", "_").replace(".", ",").replace("_", ".")


Case = tuple[str, bytes, dict[str, Any], pd.DataFrame]
CASES: list[Callable[[], Case]] = []


def case(fn: Callable[[], Case]) -> Callable[[], Case]:
    CASES.append(fn)
    return fn


# --- co2: weekly (Saturdays), YYYYMMDD dates, missing weeks ----------------------------------


def _co2() -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = src("co2.csv")
    ds = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    return raw, single(ds, raw["co2"]).assign()


@case
def co2_original() -> Case:
    _raw, expected = _co2()
    return "co2_original.csv", (SOURCES / "co2.csv").read_bytes(), {}, expected


@case
def co2_semicolon_decimal_comma() -> Case:
    raw, expected = _co2()
    out = pd.DataFrame({"Datum": expected_dates(raw), "CO2": raw["co2"].map(comma)})
    return "co2_semicolon.csv", text(out, sep=";"), {}, expected


def expected_dates(raw: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(raw["date"].astype(str), format="%Y%m%d").dt.strftime("%Y-%m-%d")


@case
def co2_utf16_tab() -> Case:
    raw, expected = _co2()
    out = pd.DataFrame({"date": expected_dates(raw), "co2": raw["co2"]})
    return "co2_utf16.tsv", text(out, sep="\t", encoding="utf-16"), {}, expected


@case
def co2_gzip() -> Case:
    _raw, expected = _co2()
    data = gzip.compress((SOURCES / "co2.csv").read_bytes(), mtime=0)
    return "co2.csv.gz", data, {}, expected


@case
def co2_parquet_timestamps() -> Case:
    raw, expected = _co2()
    ds = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    table = pa.table({"date": pa.array(ds, pa.timestamp("us")), "co2": raw["co2"]})
    return "co2.parquet", parquet(table), {}, expected


@case
def co2_dayfirst() -> Case:
    raw, expected = _co2()
    ds = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d").dt.strftime("%d/%m/%Y")
    out = pd.DataFrame({"week": ds, "co2": raw["co2"]})
    return "co2_dayfirst.csv", text(out), {}, expected


@case
def co2_na_tokens() -> Case:
    raw, expected = _co2()
    values = raw["co2"].map(lambda v: "NA" if pd.isna(v) else repr(v))
    out = pd.DataFrame({"date": expected_dates(raw), "co2": values})
    return "co2_na.csv", text(out), {}, expected


# --- elec_equip: monthly on the 1st, "Jan-1-1995" -------------------------------------------


def _elec() -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = src("elec_equip.csv")
    ds = pd.to_datetime(raw["DATE"], format="%b-%d-%Y")
    return raw.assign(ds=ds), single(ds, raw.iloc[:, 1])


@case
def elec_original() -> Case:
    _, expected = _elec()
    return "elec_equip_original.csv", (SOURCES / "elec_equip.csv").read_bytes(), {}, expected


@case
def elec_monthfirst_slash() -> Case:
    raw, expected = _elec()
    out = pd.DataFrame({"date": raw["ds"].dt.strftime("%m/%d/%Y"), "value": raw.iloc[:, 1]})
    return "elec_equip_us.csv", text(out), {}, expected


@case
def elec_year_month() -> Case:
    raw, expected = _elec()
    out = pd.DataFrame({"month": raw["ds"].dt.strftime("%Y-%m"), "orders": raw.iloc[:, 1]})
    return "elec_equip_ym.csv", text(out), {}, expected


@case
def elec_cp1252_semicolon() -> Case:
    raw, expected = _elec()
    out = pd.DataFrame({"Période": raw["ds"].dt.strftime("%Y-%m"), "Valeur": raw.iloc[:, 1]})
    out["Valeur"] = out["Valeur"].map(comma)
    return "elec_equip_fr.csv", text(out, sep=";", encoding="cp1252"), {}, expected


@case
def elec_crlf_quoted() -> Case:
    raw, expected = _elec()
    out = pd.DataFrame({"date": raw["ds"].dt.strftime("%Y-%m-%d"), "y": raw.iloc[:, 1]})
    data = text(out, quoting=csv.QUOTE_ALL, newline="\r\n")
    return "elec_equip_crlf.csv", data, {}, expected


@case
def elec_dotted_dayfirst() -> Case:
    raw, expected = _elec()
    out = pd.DataFrame({"Datum": raw["ds"].dt.strftime("%d.%m.%Y"), "Wert": raw.iloc[:, 1]})
    out["Wert"] = out["Wert"].map(comma)
    return "elec_equip_de.csv", text(out, sep=";"), {}, expected


# --- macrodata: quarterly, year + quarter columns, several series ---------------------------

_MACRO = ["realgdp", "realcons", "cpi"]


def _macro() -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = src("macrodata.csv")
    ds = pd.to_datetime(
        pd.DataFrame({"year": raw["year"], "month": (raw["quarter"] - 1) * 3 + 1, "day": 1})
    )
    return raw.assign(ds=ds), wide(ds, raw, _MACRO)


@case
def macro_original() -> Case:
    _, expected = _macro()
    return "macrodata_original.csv", (SOURCES / "macrodata.csv").read_bytes(), {}, expected


@case
def macro_quarter_strings() -> Case:
    raw, expected = _macro()
    period = raw["year"].astype(str) + "Q" + raw["quarter"].astype(str)
    out = pd.concat([pd.DataFrame({"period": period}), raw[_MACRO]], axis=1)
    return "macrodata_quarters.csv", text(out), {}, expected


@case
def macro_long() -> Case:
    raw, expected = _macro()
    out = raw.melt(id_vars=["ds"], value_vars=_MACRO, var_name="series", value_name="value")
    out["ds"] = out["ds"].dt.strftime("%Y-%m-%d")
    return "macrodata_long.csv", text(out[["series", "ds", "value"]]), {}, expected


@case
def macro_thousands() -> Case:
    raw, expected = _macro()
    out = raw[["ds", *_MACRO]].copy()
    out["ds"] = out["ds"].dt.strftime("%Y-%m-%d")
    for column in _MACRO:
        out[column] = out[column].map(lambda v: f"{v:,}")
    return "macrodata_thousands.csv", text(out), {}, expected


@case
def macro_german() -> Case:
    raw, expected = _macro()
    out = raw[["ds", *_MACRO]].copy()
    out["ds"] = out["ds"].dt.strftime("%d.%m.%Y")
    for column in _MACRO:
        out[column] = out[column].map(german)
    return "macrodata_de.csv", text(out.rename(columns={"ds": "Datum"}), sep=";"), {}, expected


@case
def macro_parquet_year_quarter() -> Case:
    raw, expected = _macro()
    table = pa.Table.from_pandas(raw[["year", "quarter", *_MACRO]], preserve_index=False)
    return "macrodata.parquet", parquet(table), {}, expected


@case
def macro_pipe() -> Case:
    raw, expected = _macro()
    out = raw[["year", "quarter", *_MACRO]]
    return "macrodata_pipe.txt", text(out, sep="|"), {}, expected


# --- sunspots and nile: yearly ---------------------------------------------------------------


def _yearly(name: str, year: str, value: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = src(name)
    ds = pd.to_datetime(raw[year].astype(int).astype(str), format="%Y")
    return raw.assign(ds=ds), single(ds, raw[value])


@case
def sunspots_original() -> Case:
    _, expected = _yearly("sunspots.csv", "YEAR", "SUNACTIVITY")
    return "sunspots_original.csv", (SOURCES / "sunspots.csv").read_bytes(), {}, expected


@case
def sunspots_no_header() -> Case:
    raw, expected = _yearly("sunspots.csv", "YEAR", "SUNACTIVITY")
    out = pd.DataFrame({"d": raw["ds"].dt.strftime("%Y-%m-%d"), "v": raw["SUNACTIVITY"]})
    return "sunspots_noheader.csv", text(out, header=False), {}, expected


@case
def sunspots_tab_bom() -> Case:
    raw, expected = _yearly("sunspots.csv", "YEAR", "SUNACTIVITY")
    out = raw[["YEAR", "SUNACTIVITY"]]
    return "sunspots_bom.tsv", text(out, sep="\t", encoding="utf-8-sig"), {}, expected


@case
def nile_original() -> Case:
    _, expected = _yearly("nile.csv", "year", "volume")
    return "nile_original.csv", (SOURCES / "nile.csv").read_bytes(), {}, expected


@case
def nile_pandas_index() -> Case:
    raw, expected = _yearly("nile.csv", "year", "volume")
    return "nile_index.csv", text(raw[["year", "volume"]], index=True), {}, expected


@case
def nile_preamble() -> Case:
    raw, expected = _yearly("nile.csv", "year", "volume")
    preamble = "# Nile river annual flow at Aswan, 10^8 m^3\n# source: statsmodels datasets\n\n"
    return "nile_preamble.csv", text(raw[["year", "volume"]], preamble=preamble), {}, expected


@case
def nile_forced_date_column() -> Case:
    raw, expected = _yearly("nile.csv", "year", "volume")
    out = raw[["year", "volume"]].rename(columns={"year": "t"})
    return "nile_t.csv", text(out), {"date_column": "t"}, expected


# --- grunfeld: long format, text ids, several numeric columns -------------------------------


def _grunfeld() -> pd.DataFrame:
    raw = src("grunfeld.csv")
    return raw.assign(ds=pd.to_datetime(raw["year"].astype(str), format="%Y"))


@case
def grunfeld_long_value_column() -> Case:
    raw = _grunfeld()
    expected = canon(pd.DataFrame({"series_id": raw["firm"], "ds": raw["ds"], "y": raw["invest"]}))
    data = (SOURCES / "grunfeld.csv").read_bytes()
    return "grunfeld_invest.csv", data, {"value_columns": "invest"}, expected


@case
def grunfeld_composite_ids() -> Case:
    raw = _grunfeld()
    long = raw.melt(
        id_vars=["firm", "year", "ds"],
        value_vars=["invest", "capital"],
        var_name="measure",
        value_name="amount",
    )
    expected = canon(
        pd.DataFrame(
            {
                "series_id": long["firm"] + "/" + long["measure"],
                "ds": long["ds"],
                "y": long["amount"],
            }
        )
    )
    out = long[["firm", "measure", "year", "amount"]]
    return "grunfeld_composite.csv", text(out), {}, expected


@case
def grunfeld_two_values() -> Case:
    raw = _grunfeld()
    parts = [
        pd.DataFrame({"series_id": raw["firm"] + "/" + c, "ds": raw["ds"], "y": raw[c]})
        for c in ("invest", "value")
    ]
    data = (SOURCES / "grunfeld.csv").read_bytes()
    return "grunfeld_two.csv", data, {"value_columns": "invest,value"}, canon(pd.concat(parts))


# --- danish_data: quarter strings with a UTF-8 BOM ------------------------------------------


def _danish() -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = src("danish_data.csv")
    ds = pd.PeriodIndex(raw["period"], freq="Q").to_timestamp()
    return raw.assign(ds=ds), wide(pd.Series(ds), raw, ["lrm", "lry"])


@case
def danish_original() -> Case:
    _, expected = _danish()
    return "danish_original.csv", (SOURCES / "danish_data.csv").read_bytes(), {}, expected


@case
def danish_spaced_quarters() -> Case:
    raw, expected = _danish()
    out = raw[["period", "lrm", "lry"]].assign(period=raw["period"].str.replace("Q", " Q"))
    return "danish_spaced.csv", text(out, sep=";"), {}, expected


# --- elnino: a year x month table melted to a monthly series --------------------------------


def _elnino() -> pd.DataFrame:
    raw = src("elnino.csv")
    long = raw.melt(id_vars=["YEAR"], var_name="month", value_name="temp")
    month = pd.to_datetime(long["month"], format="%b").dt.month
    long["ds"] = pd.to_datetime(pd.DataFrame({"year": long["YEAR"], "month": month, "day": 1}))
    return long.sort_values("ds").reset_index(drop=True)


@case
def elnino_monthly() -> Case:
    long = _elnino()
    out = pd.DataFrame({"date": long["ds"].dt.strftime("%Y-%m-%d"), "sst": long["temp"]})
    return "elnino_monthly.csv", text(out), {}, single(long["ds"], long["temp"])


@case
def elnino_month_end_us() -> Case:
    long = _elnino()
    end = long["ds"] + pd.offsets.MonthEnd(0)
    out = pd.DataFrame({"date": end.dt.strftime("%m/%d/%Y"), "sst": long["temp"]})
    return "elnino_us.csv", text(out), {}, single(end, long["temp"])


@case
def elnino_month_names() -> Case:
    long = _elnino()
    out = pd.DataFrame({"month": long["ds"].dt.strftime("%b %Y"), "sst": long["temp"]})
    return "elnino_names.csv", text(out), {}, single(long["ds"], long["temp"])


# --- Prophet's test data: business days and 5-minute data -----------------------------------


def _bdays() -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = src("prophet_data.csv")
    ds = pd.to_datetime(raw["ds"])
    return raw.assign(ds=ds), single(ds, raw["y"])


@case
def prophet_bdays() -> Case:
    _, expected = _bdays()
    return "prophet_bdays.csv", (SOURCES / "prophet_data.csv").read_bytes(), {}, expected


@case
def prophet_bdays_pipe_quoted() -> Case:
    raw, expected = _bdays()
    out = raw.assign(ds=raw["ds"].dt.strftime("%Y-%m-%d"))
    return "prophet_bdays_pipe.csv", text(out, sep="|", quoting=csv.QUOTE_ALL), {}, expected


@case
def prophet_bdays_epoch() -> Case:
    raw, expected = _bdays()
    seconds = (raw["ds"] - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1)
    out = pd.DataFrame({"timestamp": seconds, "close": raw["y"]})
    return "prophet_bdays_epoch.csv", text(out), {}, expected


def _fivemin() -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = src("prophet_data2.csv")
    ds = pd.to_datetime(raw["ds"])
    return raw.assign(ds=ds), single(ds, raw["y"])


@case
def prophet_5min() -> Case:
    _, expected = _fivemin()
    return "prophet_5min.csv", (SOURCES / "prophet_data2.csv").read_bytes(), {}, expected


@case
def prophet_5min_offsets() -> Case:
    raw, expected = _fivemin()
    local = raw["ds"].dt.tz_localize("UTC").dt.tz_convert("Europe/Paris")
    out = pd.DataFrame({"time": local.map(lambda t: t.isoformat()), "y": raw["y"]})
    return "prophet_5min_paris.csv", text(out), {}, expected


@case
def prophet_5min_zulu() -> Case:
    raw, expected = _fivemin()
    out = pd.DataFrame({"ts": raw["ds"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"), "y": raw["y"]})
    return "prophet_5min_z.csv", text(out), {}, expected


@case
def prophet_5min_parquet_tz() -> Case:
    raw, expected = _fivemin()
    local = raw["ds"].dt.tz_localize("UTC").dt.tz_convert("Europe/Berlin")
    table = pa.table({"ds": pa.array(local), "y": raw["y"]})
    return "prophet_5min_tz.parquet", parquet(table), {}, expected


# --- matplotlib's sample stock prices: wide, monthly, a preamble, empty early years ---------


def _stocks() -> pd.DataFrame:
    raw = src("stocks.csv")
    return raw.assign(ds=pd.to_datetime(raw["Date"]))


@case
def stocks_wide() -> Case:
    raw = _stocks()
    expected = wide(raw["ds"], raw, ["IBM", "AAPL", "MSFT", "AMZN"])
    data = b"# Data source: https://finance.yahoo.com\n" + (SOURCES / "stocks.csv").read_bytes()
    return "stocks_wide.csv", data, {}, expected


@case
def stocks_long() -> Case:
    raw = _stocks()
    long = raw.melt(id_vars=["Date", "ds"], var_name="ticker", value_name="close").dropna()
    expected = canon(
        pd.DataFrame({"series_id": long["ticker"], "ds": long["ds"], "y": long["close"]})
    )
    return "stocks_long.csv", text(long[["Date", "ticker", "close"]]), {}, expected


# --- msft: %d-%b-%y, newest first, several columns -------------------------------------------


@case
def msft_newest_first() -> Case:
    raw = src("msft.csv")
    ds = pd.to_datetime(raw["Date"], format="%d-%b-%y")
    columns = [c for c in raw.columns if c != "Date"]
    return "msft.csv", (SOURCES / "msft.csv").read_bytes(), {}, wide(ds, raw, columns)


# --- hyndsight: the reference series in more dialects ---------------------------------------


def _hynd() -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = src("hyndsight.csv")
    ds = pd.to_datetime(raw["date"])
    return raw.assign(ds=ds), single(ds, raw["y"])


@case
def hyndsight_plain() -> Case:
    _, expected = _hynd()
    return "hyndsight.csv", (SOURCES / "hyndsight.csv").read_bytes(), {}, expected


@case
def hyndsight_dayfirst_with_time() -> Case:
    raw, expected = _hynd()
    out = pd.DataFrame({"Datum": raw["ds"].dt.strftime("%d/%m/%Y %H:%M"), "Besuche": raw["y"]})
    return "hyndsight_eu_time.csv", text(out, sep=";"), {}, expected


@case
def hyndsight_utf16le_no_bom() -> Case:
    raw, expected = _hynd()
    out = pd.DataFrame({"date": raw["date"], "visits": raw["y"]})
    return "hyndsight_utf16le.csv", text(out, sep=";", encoding="utf-16-le"), {}, expected


@case
def hyndsight_cp1252_header() -> Case:
    raw, expected = _hynd()
    out = pd.DataFrame({"Datum": raw["date"], "Besucherzähler (€)": raw["y"]})
    return "hyndsight_cp1252.csv", text(out, encoding="cp1252"), {}, expected


@case
def hyndsight_duplicate_rows() -> Case:
    raw, expected = _hynd()
    out = pd.concat([raw[["date", "y"]], raw[["date", "y"]].iloc[10:15]]).sort_values("date")
    return "hyndsight_dupes.csv", text(out), {}, expected


@case
def hyndsight_thousands_space_gzip() -> Case:
    raw, expected = _hynd()
    out = pd.DataFrame(
        {"date": raw["date"], "y": raw["y"].map(lambda v: f"{v:,}".replace(",", " "))}
    )
    return "hyndsight_spaces.csv.gz", gzip.compress(text(out, sep=";"), mtime=0), {}, expected


@case
def hyndsight_notes_column() -> Case:
    raw, expected = _hynd()
    notes = [f"checked by {i}" if i % 7 == 0 else "" for i in range(len(raw))]
    out = pd.DataFrame({"date": raw["date"], "y": raw["y"], "note": notes})
    return "hyndsight_notes.csv", text(out), {}, expected


# --- real exports as statistics offices, spreadsheets and trading tools write them ----------
# Each case below names the family of issue 17 it stands for; the frequency each must be
# found to have is recorded with it (FREQUENCY), since a prefix no longer tells.

FREQUENCY: dict[str, str] = {}


def freq(alias: str) -> Callable[[Callable[[], Case]], Callable[[], Case]]:
    def mark(fn: Callable[[], Case]) -> Callable[[], Case]:
        FREQUENCY[fn.__name__] = alias
        return case(fn)

    return mark


def _quoted(frame: pd.DataFrame, trailing_comma: bool = False) -> str:
    body = frame.to_csv(index=False, quoting=csv.QUOTE_ALL, lineterminator="\n", na_rep="")
    if trailing_comma:
        body = "".join(line + ",\n" for line in body.splitlines())
    return body


def _fertility() -> tuple[pd.DataFrame, list[str], pd.DataFrame]:
    """statsmodels' World Bank fertility table: one row a country, one column a year."""
    raw = pd.read_csv(SOURCES / "fertility.csv", dtype=str)
    years = [c for c in raw.columns if c.isdigit()]
    long = raw.melt(id_vars=["Country Name"], value_vars=years, var_name="year", value_name="y")
    long["y"] = pd.to_numeric(long["y"])
    expected = canon(
        pd.DataFrame(
            {
                "series_id": long["Country Name"],
                "ds": pd.to_datetime(long["year"], format="%Y"),
                "y": long["y"],
            }
        )
    )
    return raw, years, expected


_WB_PREAMBLE = (
    '"Data Source","World Development Indicators",\n\n"Last Updated Date","2024-06-28",\n\n'
)


@freq("YS")
def worldbank_api_download() -> Case:
    """Families 2, 3, 7: the API's CSV, a preamble, years as columns, a trailing comma."""
    raw, _, expected = _fertility()
    data = _WB_PREAMBLE + _quoted(raw, trailing_comma=True)
    return "API_SP.DYN.TFRT.IN_DS2_en_csv_v2.csv", data.encode(), {}, expected


@freq("YS")
def worldbank_databank_footnotes() -> Case:
    """Families 2, 3: DataBank's Data.csv: "1990 [YR1990]" columns, ".." cells, footnotes."""
    raw, years, expected = _fertility()
    out = raw.rename(columns={y: f"{y} [YR{y}]" for y in years}).rename(
        columns={"Indicator Name": "Series Name", "Indicator Code": "Series Code"}
    )
    out = out.fillna("..")
    body = out.to_csv(index=False, lineterminator="\n")
    notes = "\n\nData from database: World Development Indicators\nLast Updated: 06/28/2024\n"
    return "databank_fertility.csv", (body + notes).encode(), {}, expected


@freq("YS")
def eurostat_tsv_with_flags() -> Case:
    """Family 3: Eurostat's TSV: dimensions joined by commas in the first column, years
    with a trailing space, ":" for no value and flags after values (1.9 p)."""
    raw, years, _ = _fertility()
    rows = []
    for _, row in raw.iterrows():
        cells = []
        for k, year in enumerate(years):
            value = row[year]
            flag = " p" if k == len(years) - 3 else " e" if k % 7 == 3 else ""
            cells.append(": " if pd.isna(value) else f"{value}{flag}")
        rows.append("\t".join([f"A,NR,{row['Country Code']}", *cells]))
    header = "\t".join(["freq,indic_de,geo\\TIME_PERIOD", *(f"{y} " for y in years)])
    long = raw.melt(id_vars=["Country Code"], value_vars=years, var_name="year", value_name="y")
    expected = canon(
        pd.DataFrame(
            {
                "series_id": "A,NR," + long["Country Code"],
                "ds": pd.to_datetime(long["year"], format="%Y"),
                "y": pd.to_numeric(long["y"]),
            }
        )
    )
    return "demo_find.tsv", ("\n".join([header, *rows]) + "\n").encode(), {}, expected


@freq("QS")
def imf_quarters_as_columns() -> Case:
    """Family 3: an IMF-style table, one row an indicator, one column a quarter (1959Q1)."""
    raw, expected = _macro()
    labels = [f"{y}Q{q}" for y, q in zip(raw["year"], raw["quarter"], strict=True)]
    rows = []
    for code in _MACRO:
        rows.append(["United States", "111", code, *[repr(float(v)) for v in raw[code]]])
    out = pd.DataFrame(rows, columns=["Country Name", "Country Code", "Indicator", *labels])
    return "imf_macro_quarters.csv", _quoted(out).encode(), {}, expected


@freq("QS")
def oecd_long_with_flag_codes() -> Case:
    """OECD.Stat's export: constant LOCATION/INDICATOR, SUBJECT per measure, TIME 1959-Q1,
    an empty Flag Codes column."""
    raw, expected = _macro()
    parts = [
        pd.DataFrame(
            {
                "LOCATION": "USA",
                "INDICATOR": "MACRO",
                "SUBJECT": code,
                "FREQUENCY": "Q",
                "TIME": raw["year"].astype(str) + "-Q" + raw["quarter"].astype(str),
                "Value": raw[code],
                "Flag Codes": "",
            }
        )
        for code in _MACRO
    ]
    return "DP_LIVE_macro.csv", text(pd.concat(parts)), {}, expected


@freq("MS")
def eurostat_months_as_columns() -> Case:
    """Family 3: months as columns, 1995M01 …, one row (no id column: the series is y)."""
    raw, expected = _elec()
    labels = raw["ds"].dt.strftime("%YM%m").tolist()
    out = pd.DataFrame([["I7", *raw.iloc[:, 1].tolist()]], columns=["indic", *labels])
    return "eurostat_elec_equip.csv", text(out), {}, expected


@freq("D")
def seattle_weather_attribute_column() -> Case:
    """Family 1: vega's seattle-weather, a weather word per row next to four measures."""
    raw = src("seattle_weather.csv")
    ds = pd.to_datetime(raw["date"], format="%Y/%m/%d")
    columns = ["precipitation", "temp_max", "temp_min", "wind"]
    data = (SOURCES / "seattle_weather.csv").read_bytes()
    return "seattle-weather.csv", data, {}, wide(ds, raw, columns)


@freq("D")
def seattle_weather_weekday_excel() -> Case:
    """Families 1, 2: Excel's European CSV: sep=; first, decimal comma, a weekday column."""
    raw = src("seattle_weather.csv")
    ds = pd.to_datetime(raw["date"], format="%Y/%m/%d")
    out = pd.DataFrame(
        {
            "Datum": ds.dt.strftime("%d.%m.%Y"),
            "Wochentag": ds.dt.day_name(),
            "Tmax": raw["temp_max"].map(comma),
        }
    )
    data = "sep=;\n" + out.to_csv(sep=";", index=False, lineterminator="\r\n")
    return "wetter.csv", data.encode("cp1252"), {}, single(ds, raw["temp_max"])


@freq("YS")
def iowa_electricity_long() -> Case:
    """vega's iowa-electricity: year dates, a source column, one value."""
    raw = src("iowa_electricity.csv")
    expected = canon(
        pd.DataFrame({"series_id": raw["source"], "ds": raw["year"], "y": raw["net_generation"]})
    )
    return "iowa-electricity.csv", (SOURCES / "iowa_electricity.csv").read_bytes(), {}, expected


@freq("YS")
def iowa_electricity_bare_years_no_header() -> Case:
    """Family 4: bare years and no header (`2001,35361`), one source."""
    raw = src("iowa_electricity.csv")
    fossil = raw[raw["source"] == "Fossil Fuels"]
    out = pd.DataFrame({"y": fossil["year"].str[:4], "v": fossil["net_generation"]})
    expected = single(pd.to_datetime(out["y"], format="%Y"), fossil["net_generation"])
    return "fossil.csv", text(out, header=False), {}, expected


@freq("MS")
def us_employment_bls_preamble() -> Case:
    """Family 2: notes above the header, as BLS downloads have them."""
    raw = src("us_employment.csv")
    ds = pd.to_datetime(raw["month"])
    preamble = (
        "Employment, Hours, and Earnings from the Current Employment Statistics survey\n"
        "Series Id: CES0000000001\n"
        "Seasonally Adjusted\n"
        "Industry: Total nonfarm\n"
        "\n"
    )
    data = preamble + raw.to_csv(index=False, lineterminator="\n")
    return (
        "bls_employment.csv",
        data.encode(),
        {},
        wide(ds, raw, ["nonfarm", "construction", "manufacturing"]),
    )


@freq("MS")
def us_employment_bls_series_report() -> Case:
    """Families 1, 4: BLS's series report: Series ID, Year, Period M01, Label 2006 Jan."""
    raw = src("us_employment.csv")
    ds = pd.to_datetime(raw["month"])
    out = pd.DataFrame(
        {
            "Series ID": "CES0000000001",
            "Year": ds.dt.year,
            "Period": ds.dt.strftime("M%m"),
            "Label": ds.dt.strftime("%Y %b"),
            "Value": raw["nonfarm"],
        }
    )
    expected = canon(pd.DataFrame({"series_id": "CES0000000001", "ds": ds, "y": raw["nonfarm"]}))
    return "bls_series_report.csv", text(out), {}, expected


@freq("YS")
def copper_statsmodels() -> Case:
    """statsmodels' copper: YEAR and a TIME trend column; the user picks the measures."""
    raw = src("copper.csv")
    ds = pd.to_datetime(raw["YEAR"].astype(str), format="%Y")
    columns = ["WORLDCONSUMPTION", "COPPERPRICE"]
    data = (SOURCES / "copper.csv").read_bytes()
    return "copper.csv", data, {"value_columns": ",".join(columns)}, wide(ds, raw, columns)


@freq("YS")
def longley_obs_column() -> Case:
    """statsmodels' longley: an Obs counter first, YEAR last; six yearly measures."""
    raw = src("longley.csv")
    ds = pd.to_datetime(raw["YEAR"].astype(str), format="%Y")
    columns = ["TOTEMP", "GNPDEFL", "GNP", "UNEMP", "ARMED", "POP"]
    return "longley.csv", (SOURCES / "longley.csv").read_bytes(), {}, wide(ds, raw, columns)


def _e6() -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = src("e6.csv")
    ds = pd.to_datetime(
        pd.DataFrame({"year": raw["year"], "month": (raw["quarter"] - 1) * 3 + 1, "day": 1})
    )
    return raw.assign(ds=ds), wide(ds, raw, ["Dp", "R"])


@freq("QS")
def interest_inflation_year_quarter() -> Case:
    """statsmodels' German interest and inflation: year and quarter columns."""
    _, expected = _e6()
    return "E6.csv", (SOURCES / "e6.csv").read_bytes(), {}, expected


@freq("QS")
def interest_inflation_qtr_spelling() -> Case:
    """Family 4: "1972 Qtr 2", as spreadsheet pivot tables write quarters."""
    raw, expected = _e6()
    out = pd.DataFrame(
        {
            "Quarter": raw["year"].astype(str) + " Qtr " + raw["quarter"].astype(str),
            "Dp": raw["Dp"],
            "R": raw["R"],
        }
    )
    return "e6_qtr.csv", text(out), {}, expected


@freq("QS")
def interest_inflation_german_quartal() -> Case:
    """Families 4: "2. Quartal 1972" (Destatis), semicolons and decimal commas."""
    raw, expected = _e6()
    out = pd.DataFrame(
        {
            "Zeitraum": raw["quarter"].astype(str) + ". Quartal " + raw["year"].astype(str),
            "Dp": raw["Dp"].map(comma),
            "R": raw["R"].map(comma),
        }
    )
    return "e6_quartal.csv", text(out, sep=";"), {}, expected


@freq("QS")
def macro_quarter_first() -> Case:
    """Family 4: "1Q1959" quarters, as trading tools write them."""
    raw, expected = _macro()
    label = raw["quarter"].astype(str) + "Q" + raw["year"].astype(str)
    out = pd.DataFrame({"period": label, **{c: raw[c] for c in _MACRO}})
    return "macro_1q.csv", text(out), {}, expected


@freq("QS")
def macro_french_trimestre() -> Case:
    """Family 4: INSEE's 1959T1 quarters, semicolons, decimal commas."""
    raw, expected = _macro()
    label = raw["year"].astype(str) + "T" + raw["quarter"].astype(str)
    out = pd.DataFrame({"Période": label, **{c: raw[c].map(comma) for c in _MACRO}})
    return "macro_trimestre.csv", text(out, sep=";", encoding="utf-8-sig"), {}, expected


@freq("MS")
def elnino_german_month_names() -> Case:
    """Family 4: "März 1950" in a cp1252 file with a decimal comma."""
    long = _elnino()
    german = [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ]
    label = [f"{german[d.month - 1]} {d.year}" for d in long["ds"]]
    out = pd.DataFrame({"Monat": label, "Temperatur": long["temp"].map(comma)})
    return (
        "elnino_de.csv",
        text(out, sep=";", encoding="cp1252"),
        {},
        single(long["ds"], long["temp"]),
    )


@freq("MS")
def elnino_spanish_month_names() -> Case:
    """Family 4: "mayo 1950" (INE), UTF-8."""
    long = _elnino()
    spanish = [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ]
    label = [f"{spanish[d.month - 1]} {d.year}" for d in long["ds"]]
    out = pd.DataFrame({"mes": label, "temperatura": long["temp"]})
    return "elnino_es.csv", text(out), {}, single(long["ds"], long["temp"])


@freq("MS")
def elec_french_abbreviated_months() -> Case:
    """Family 4: "janv. 1995", "févr. 1995" (INSEE, Excel fr-FR), cp1252."""
    raw, expected = _elec()
    french = [
        "janv.",
        "févr.",
        "mars",
        "avr.",
        "mai",
        "juin",
        "juil.",
        "août",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
    ]
    label = [f"{french[d.month - 1]} {d.year}" for d in raw["ds"]]
    out = pd.DataFrame({"mois": label, "indice": raw.iloc[:, 1].map(comma)})
    return "elec_fr_months.csv", text(out, sep=";", encoding="cp1252"), {}, expected


@freq("MS")
def elec_excel_mmm_yy() -> Case:
    """Family 4: Excel's mmm-yy, "Jan-95"."""
    raw, expected = _elec()
    out = pd.DataFrame({"Month": raw["ds"].dt.strftime("%b-%y"), "Index": raw.iloc[:, 1]})
    return "elec_mmm_yy.csv", text(out), {}, expected


def _weekly_co2() -> tuple[pd.DataFrame, pd.DataFrame]:
    raw, _ = _co2()
    ds = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    iso = ds.dt.isocalendar()
    monday = pd.to_datetime(
        iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2) + "-1",
        format="%G-W%V-%u",
    )
    return raw.assign(
        week=iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)
    ), single(monday, raw["co2"])


@freq("W-MON")
def co2_iso_weeks() -> Case:
    """Family 4: ISO weeks, 1958-W13 (each week's Monday)."""
    raw, expected = _weekly_co2()
    out = pd.DataFrame({"week": raw["week"], "co2": raw["co2"]})
    return "co2_isoweek.csv", text(out), {}, expected


@freq("W-MON")
def co2_compact_iso_weeks() -> Case:
    """Family 4: compact ISO weeks, 1958W13, under a column not named as time."""
    raw, expected = _weekly_co2()
    out = pd.DataFrame({"KW": raw["week"].str.replace("-", ""), "ppm": raw["co2"]})
    return "co2_kw.csv", text(out, sep=";"), {}, expected


@freq("MS")
def vega_stocks_month_names_long() -> Case:
    """vega's stocks: symbol, "Jan 1 2005", price: long, named months."""
    raw = src("vega_stocks.csv")
    ds = pd.to_datetime(raw["date"], format="%b %d %Y")
    expected = canon(pd.DataFrame({"series_id": raw["symbol"], "ds": ds, "y": raw["price"]}))
    return "stocks.csv", (SOURCES / "vega_stocks.csv").read_bytes(), {}, expected


@freq("MS")
def vega_stocks_symbol_and_sector() -> Case:
    """Family 1: an id column plus a sector column that repeats within each id (redundant)."""
    raw = src("vega_stocks.csv")
    ds = pd.to_datetime(raw["date"], format="%b %d %Y")
    out = raw.assign(sector="Technology")[["symbol", "sector", "date", "price"]]
    expected = canon(pd.DataFrame({"series_id": raw["symbol"], "ds": ds, "y": raw["price"]}))
    return "stocks_sector.csv", text(out), {}, expected


@freq("YS")
def grunfeld_all_measures() -> Case:
    """Family 5: a long file with several measures: each firm x column is a series."""
    raw = _grunfeld()
    parts = [
        pd.DataFrame({"series_id": raw["firm"] + "/" + c, "ds": raw["ds"], "y": raw[c]})
        for c in ("invest", "value", "capital")
    ]
    data = (SOURCES / "grunfeld.csv").read_bytes()
    return "grunfeld_measures.csv", data, {}, canon(pd.concat(parts))


@freq("h")
def seattle_temps_hourly() -> Case:
    """vega's seattle-temps: "2010/01/01 00:00", hourly."""
    raw = src("seattle_temps.csv")
    ds = pd.to_datetime(raw["date"], format="%Y/%m/%d %H:%M")
    data = (SOURCES / "seattle_temps.csv").read_bytes()
    return "seattle-temps.csv", data, {}, single(ds, raw["temp"])


@freq("D")
def hyndsight_date_with_excel_errors() -> Case:
    """Issue 19: a column named date with a few #REF! cells: those rows are dropped."""
    raw, _ = _hynd()
    dates_written = raw["date"].astype(str).copy()
    dates_written.iloc[[5, 40]] = "#REF!"
    out = pd.DataFrame({"date": dates_written, "visits": raw["y"]})
    keep = ~raw.index.isin([5, 40])
    return "hyndsight_ref.csv", text(out), {}, single(raw["ds"][keep], raw["y"][keep])


@freq("D")
def hyndsight_czech_cp1250() -> Case:
    """cp1250 told from cp1252 by how the text reads; a Czech weekday column (family 1)."""
    raw, expected = _hynd()
    days = ["pondělí", "úterý", "středa", "čtvrtek", "pátek", "sobota", "neděle"]
    out = pd.DataFrame(
        {
            "Datum": raw["date"],
            "Den v týdnu": [days[d] for d in raw["ds"].dt.day_of_week],
            "Návštěvy": raw["y"],
        }
    )
    return "navstevy.csv", text(out, sep=";", encoding="cp1250"), {}, expected


@freq("D")
def hyndsight_strftime_date_format() -> Case:
    """Family 4's escape hatch: an odd layout read with date_format."""
    raw, expected = _hynd()
    out = pd.DataFrame({"when": raw["ds"].dt.strftime("%Y|%j"), "y": raw["y"]})
    params = {"date_column": "when", "date_format": "%Y|%j"}
    return "hyndsight_doy.csv", text(out), params, expected


def main() -> None:
    FILES.mkdir(exist_ok=True)
    EXPECTED.mkdir(exist_ok=True)
    cases: dict[str, dict[str, Any]] = {}
    for make in CASES:
        filename, data, params, expected = make()
        (FILES / filename).write_bytes(data)
        expected.to_csv(EXPECTED / f"{make.__name__}.csv", index=False)
        cases[make.__name__] = {"file": filename, "params": params}
        if make.__name__ in FREQUENCY:
            cases[make.__name__]["frequency"] = FREQUENCY[make.__name__]
    (HERE / "cases.json").write_text(json.dumps(cases, indent=1, sort_keys=True) + "\n")
    print(f"{len(cases)} cases")


if __name__ == "__main__":
    main()
