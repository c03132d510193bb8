"""CSV files with external regressors for the one-shot and local-stack tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

PROMO_EFFECT = 5.0


def promo_csv(path: Path, *, days: int = 200, future: int = 14, drop_future: int = 0) -> Path:
    """A long file id,date,sales,price,promo: sales = base + 5 promo - 2 price + noise.

    The last ``future`` rows of each series have no sales (their regressors are
    the future values); ``drop_future`` removes that many of series b's last rows.
    """
    rng = np.random.default_rng(11)
    rows = []
    for sid in ("a", "b"):
        n = days + future
        t = np.arange(n)
        promo = (rng.random(n) < 0.3).astype(int)
        price = np.round(10 + rng.normal(0, 1, n), 2)
        sales = 50 + 0.05 * t + 4 * np.sin(2 * np.pi * t / 7) + PROMO_EFFECT * promo - 2 * price
        sales += rng.normal(0, 1, n)
        ds = pd.date_range("2024-01-01", periods=n, freq="D")
        keep = n - drop_future if sid == "b" else n
        for i in range(keep):
            value = "" if i >= days else f"{sales[i]:.3f}"
            rows.append((sid, ds[i].date().isoformat(), value, price[i], promo[i]))
    frame = pd.DataFrame(rows, columns=["id", "date", "sales", "price", "promo"])
    frame.to_csv(path, index=False)
    return path
