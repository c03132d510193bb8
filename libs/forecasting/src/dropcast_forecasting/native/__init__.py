"""Prophet's own model, solved in this process: no cmdstan, no files, no subprocess.

Prophet fits a MAP estimate of one Stan program (``prophet/stan/prophet.stan``).
This package holds that program's log density term for term
(:mod:`.stan`), three solvers for it (:mod:`.convex` for linear and flat
growth with additive terms, where for a fixed noise scale the problem is a
lasso; :mod:`.gauss_newton` for logistic growth, a lasso on the linearised
mean at each step; :mod:`.general`, L-BFGS-B with analytic gradients, for
multiplicative terms and to finish a logistic solve Gauss-Newton does not;
the logistic trend, its Jacobian and gradient are :mod:`.logistic`'s), Prophet's
feature construction on numpy arrays (:mod:`.design`) and its prediction
and interval simulation (:mod:`.forecast`). :mod:`.backend` plugs the
solver into Prophet itself (its ``IStanBackend`` interface) for
configurations the array path does not build (holidays, logistic growth),
and hands any solve that does not converge to cmdstan. :mod:`.agreement`
measures the distance to cmdstan on a series (log posteriors and
forecasts), for the tests and benchmarks B1.

Array-level API, for callers that have numpy arrays rather than frames:
:func:`dropcast_forecasting.native.forecast.fit` and
:meth:`~dropcast_forecasting.native.forecast.NativeFit.predict`.
"""
