"""Equity lens: practices by IMD deprivation quintile, and the slope index of inequality.

Pure numpy (no pandas, no scipy), so it can be checked against published figures.

Deprivation
-----------
Each practice carries an Index of Multiple Deprivation (IMD) decile, 1 = the most deprived
tenth of England and 10 = the least deprived (the national convention, as in OHID
Fingertips' practice profiles). The quintile is ``(decile + 1) // 2``, so quintile 1 is the
most deprived fifth and quintile 5 the least.

Slope index of inequality (SII)
-------------------------------
The method is that of OHID/PHE Fingertips and the ``phe_sii`` function of the R package
PHEindicatormethods (Low and Low, J Public Health 2004;26:388-95):

1. Units (practices, or deprivation groups) are ordered from most to least deprived.
2. Each unit gets a *relative rank*: the midpoint of its slice of the cumulative population,
   with population = registered list size. A group holding the first 12% of the population
   has relative rank 0.06; the next, holding 10%, has 0.12 + 0.10 / 2 = 0.17. Ranks run
   from 0 (most deprived end) to 1 (least deprived end).
3. A weighted least squares line is fitted of the value on the relative rank, each unit
   weighted by its population share. (``phe_sii`` fits the equivalent ordinary regression
   of ``value * sqrt(share)`` on ``sqrt(share)`` and ``rank * sqrt(share)`` without an
   intercept; the two give identical coefficients and standard errors.)
4. **SII = fitted value at rank 1 minus fitted value at rank 0**, i.e. the slope: the
   modelled gap between the least and the most deprived ends of the population.

Sign convention (PHE's): the most deprived end sits at rank 0, so a **positive SII means
the value is higher in less deprived areas** (e.g. screening coverage rising away from
deprivation), a negative SII that it is higher in more deprived areas. Whether that is good
or bad depends on the measure, which is why :func:`explain_sii` takes ``higher_is_better``.

The relative index of inequality (RII) is PHE's ratio of the two ends, fitted value at
rank 1 over fitted value at rank 0, ``(intercept + SII) / intercept``; it is only given when
both ends are positive (it suits rates and percentages, not differences or scores).

Ties and units
--------------
Practices sharing an IMD decile are tied on deprivation. They form one *rank group*: the
group occupies one slice of the cumulative population and every practice in it gets the
group's midpoint as its relative rank (as PHE ranks whole deciles). ``unit`` chooses what
the regression is fitted to:

* ``"practice"`` (default): one point per practice, weighted by its list size, placed at its
  decile group's rank. The SII is then exactly the SII of the decile groups' list-size-
  weighted means (the weighted normal equations only see each rank's total weight and
  weighted mean), but the confidence interval uses the spread of practices around the line,
  with ``n_practices - 2`` degrees of freedom.
* ``"decile"`` / ``"quintile"``: practices are first aggregated into deprivation groups
  (value = list-size-weighted mean, population = total list size), exactly PHE's input,
  and the line is fitted to the groups (``n_groups - 2`` degrees of freedom).

``weights=None`` counts every practice equally (population 1 each) instead of by list size.
Practices with no value, no decile, or a zero or missing list size cannot be placed on the
population scale; they are left out and counted on the result. At least three deprivation
groups and three units are needed; otherwise the result has ``sii=None`` and a ``reason``.

Confidence intervals
--------------------
* ``ci_method="regression"`` (default): from the weighted least squares standard error of
  the slope, with Student's t on ``n - 2`` degrees of freedom (what R's ``confint(lm(...,
  weights=))`` gives). The t quantile is computed here without scipy (:func:`t_quantile`).
* ``ci_method="simulation"``: PHEindicatormethods' Monte Carlo method for units that each
  have their own standard error (``standard_errors``): each unit's value is redrawn from a
  normal distribution with that standard error ``repetitions`` times, the line refitted,
  and the limits taken as the order statistics PHE uses (positions
  ``round(repetitions * (1 - confidence) / 2)`` and ``round(repetitions * (1 + confidence)
  / 2)`` of the sorted SIIs). numpy's generator, seeded with ``seed``, so figures are
  reproducible, but they are not R's random draws. Only PHE's "normal" value type (no log or
  logit transformation) is implemented.
* ``ci_method="known_se"``: the closed form that simulation converges to: the SII is a
  fixed linear combination of the unit values, so its standard error is
  ``sqrt(sum(c_i**2 * se_i**2))``, with a normal quantile.

The RII interval is a delta-method approximation for the two analytic methods, and the
simulated percentiles for the simulation method (as PHE).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

import numpy as np

__all__ = [
    "CI_METHODS",
    "MIN_RANK_GROUPS",
    "MIN_UNITS",
    "UNITS",
    "QuintileSummary",
    "SiiResult",
    "SiiUnit",
    "by_quintile",
    "explain_sii",
    "imd_quintile",
    "relative_ranks",
    "slope_index",
    "slope_index_from_groups",
    "t_cdf",
    "t_quantile",
]

Unit = Literal["practice", "decile", "quintile"]
CiMethod = Literal["regression", "simulation", "known_se"]

UNITS: tuple[str, ...] = ("practice", "decile", "quintile")
CI_METHODS: tuple[str, ...] = ("regression", "simulation", "known_se")
MIN_UNITS = 3
"""A line with a confidence interval needs at least three points (one residual df)."""
MIN_RANK_GROUPS = 3
"""...and at least three distinct positions on the deprivation scale."""
MIN_REPETITIONS = 1000
"""PHEindicatormethods' minimum number of simulation repetitions."""
DEFAULT_REPETITIONS = 100_000
"""PHEindicatormethods' default number of simulation repetitions."""
DEFAULT_SEED = 20250401
_SIMULATION_BATCH = 10_000
_T_SERIES_MAX_DF = 2000

_UNIT_NOUNS = {
    "practice": "practices",
    "decile": "deprivation deciles",
    "quintile": "deprivation quintiles",
}


# --------------------------------------------------------------------------- input checks


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    if type(value).__name__ == "NAType":  # pandas.NA, without importing pandas
        return True
    try:
        return math.isnan(value)  # type: ignore[arg-type]
    except TypeError:
        return False


def _floats(values: Sequence[object], name: str) -> np.ndarray:
    """Numbers as floats, ``None``/NaN/pandas NA as NaN; infinities and text are errors."""
    out = np.empty(len(values), dtype=float)
    for i, value in enumerate(values):
        if _is_missing(value):
            out[i] = math.nan
            continue
        if isinstance(value, str | bytes | bool):
            raise ValueError(f"{name}[{i}] is not a number: {value!r}")
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError(f"{name}[{i}] is not a number: {value!r}") from None
        if math.isinf(number):
            raise ValueError(f"{name}[{i}] must be finite")
        out[i] = number
    return out


def _deciles(imd_deciles: Sequence[object]) -> np.ndarray:
    """Deciles as ints 1-10, 0 where missing."""
    out = np.zeros(len(imd_deciles), dtype=int)
    for i, value in enumerate(imd_deciles):
        if _is_missing(value):
            continue
        if isinstance(value, str | bytes | bool):
            raise ValueError(f"imd_deciles[{i}] is not a decile: {value!r}")
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError(f"imd_deciles[{i}] is not a decile: {value!r}") from None
        if not number.is_integer() or not 1 <= number <= 10:
            raise ValueError(f"imd_deciles[{i}] must be a whole number from 1 to 10, not {value!r}")
        out[i] = int(number)
    return out


def _weights(weights: Sequence[object] | None, n: int) -> np.ndarray:
    """List sizes as floats (NaN where missing); ones when no weights are given."""
    if weights is None:
        return np.ones(n)
    if len(weights) != n:
        raise ValueError(f"weights has {len(weights)} entries for {n} values")
    out = _floats(weights, "weights")
    if np.any(out < 0):
        raise ValueError("weights (list sizes) cannot be negative")
    return out


def _check_lengths(values: Sequence[object], imd_deciles: Sequence[object]) -> None:
    if len(values) != len(imd_deciles):
        raise ValueError(f"imd_deciles has {len(imd_deciles)} entries for {len(values)} values")


def _check_confidence(confidence: float) -> float:
    confidence = float(confidence)
    if not 0.5 <= confidence < 1:
        raise ValueError("confidence must be a fraction from 0.5 to below 1, such as 0.95")
    return confidence


def imd_quintile(decile: int) -> int:
    """The IMD quintile of an IMD decile: 1-2 → 1 (most deprived) … 9-10 → 5."""
    if isinstance(decile, bool) or not isinstance(decile, int | np.integer):
        raise ValueError(f"decile must be a whole number from 1 to 10, not {decile!r}")
    if not 1 <= decile <= 10:
        raise ValueError(f"decile must be a whole number from 1 to 10, not {decile!r}")
    return (int(decile) + 1) // 2


# --------------------------------------------------------------------------- quintiles


@dataclass(frozen=True)
class QuintileSummary:
    """Practices of one IMD quintile (``quintile=None``: practices whose decile is unknown).

    ``n_practices`` counts practices with a value, ``n_missing`` those without (left out
    of every statistic). Quartiles use linear interpolation between order statistics
    (numpy's default; R type 7, Excel ``QUARTILE.INC``). ``weighted_mean`` weights by list
    size and ``list_size`` totals the list sizes it used (practices with a value and a
    known, non-zero list size); both are ``None`` when no weights were given.
    """

    quintile: int | None
    label: str
    n_practices: int
    n_missing: int
    median: float | None
    q1: float | None
    q3: float | None
    mean: float | None
    weighted_mean: float | None
    list_size: float | None
    minimum: float | None
    maximum: float | None


def _quintile_label(quintile: int | None) -> str:
    if quintile is None:
        return "Deprivation not known"
    if quintile == 1:
        return "1 (most deprived)"
    if quintile == 5:
        return "5 (least deprived)"
    return str(quintile)


def by_quintile(
    values: Sequence[float | None],
    imd_deciles: Sequence[int | None],
    *,
    weights: Sequence[float | None] | None = None,
) -> list[QuintileSummary]:
    """Summarise practices' values by IMD quintile, most deprived (1) first.

    Always five entries, in order, even for an empty quintile (its statistics are
    ``None``); a sixth, ``quintile=None``, is added only if some practices have no decile.
    ``weights`` are list sizes, aligned with ``values``.
    """
    _check_lengths(values, imd_deciles)
    y = _floats(values, "values")
    deciles = _deciles(imd_deciles)
    w = _weights(weights, len(y))
    quintiles = np.where(deciles > 0, (deciles + 1) // 2, 0)
    groups: list[int | None] = [1, 2, 3, 4, 5]
    if np.any(quintiles == 0):
        groups.append(None)
    out = []
    for quintile in groups:
        in_group = quintiles == (quintile or 0)
        has_value = in_group & ~np.isnan(y)
        group_values = y[has_value]
        n = int(group_values.size)
        weighted_mean = list_size = None
        if weights is not None:
            usable = has_value & ~np.isnan(w) & (w > 0)
            total = math.fsum(w[usable].tolist())
            list_size = total
            if total > 0:
                weighted_mean = math.fsum((w[usable] * y[usable]).tolist()) / total
        if n:
            q1, median, q3 = (float(q) for q in np.percentile(group_values, [25, 50, 75]))
            stats = {
                "median": median,
                "q1": q1,
                "q3": q3,
                "mean": math.fsum(group_values.tolist()) / n,
                "minimum": float(group_values.min()),
                "maximum": float(group_values.max()),
            }
        else:
            stats = dict.fromkeys(("median", "q1", "q3", "mean", "minimum", "maximum"))
        out.append(
            QuintileSummary(
                quintile=quintile,
                label=_quintile_label(quintile),
                n_practices=n,
                n_missing=int(np.count_nonzero(in_group & np.isnan(y))),
                weighted_mean=weighted_mean,
                list_size=list_size,
                **stats,
            )
        )
    return out


# --------------------------------------------------------------------------- t distribution


def _check_df(df: int) -> int:
    if isinstance(df, bool) or not isinstance(df, int | np.integer) or df < 1:
        raise ValueError("df must be a whole number of at least 1")
    return int(df)


def t_cdf(x: float, df: int) -> float:
    """Student's t distribution function for whole-number ``df``.

    Exact finite series (Abramowitz and Stegun 26.7.3 and 26.7.4) with
    theta = atan(x / sqrt(df)); used for df up to 2000, beyond which :func:`t_quantile`
    uses the Cornish-Fisher expansion instead.
    """
    df = _check_df(df)
    if math.isinf(x):
        return 1.0 if x > 0 else 0.0
    theta = math.atan(x / math.sqrt(df))
    sin, cos2 = math.sin(theta), math.cos(theta) ** 2
    if df % 2:  # odd: A = (2/pi) (theta + sin cos (1 + 2/3 cos^2 + 2.4/3.5 cos^4 + ...))
        term = total = math.cos(theta)
        for k in range(1, (df - 1) // 2):
            term *= cos2 * (2 * k) / (2 * k + 1)
            total += term
        a = 2 / math.pi * (theta + (sin * total if df > 1 else 0.0))
    else:  # even: A = sin (1 + 1/2 cos^2 + 1.3/2.4 cos^4 + ...)
        term = total = 1.0
        for k in range(1, df // 2):
            term *= cos2 * (2 * k - 1) / (2 * k)
            total += term
        a = sin * total
    return 0.5 + 0.5 * a


def _t_pdf(x: float, df: int) -> float:
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    return math.exp(log_c - (df + 1) / 2 * math.log1p(x * x / df))


def _cornish_fisher(z: float, df: int) -> float:
    """t quantile from the normal quantile z (Abramowitz and Stegun 26.7.5)."""
    z2 = z * z
    g1 = (z2 + 1) * z / 4
    g2 = ((5 * z2 + 16) * z2 + 3) * z / 96
    g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384
    g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile of Student's t with whole-number ``df`` (scipy-free).

    Closed forms for 1 and 2 df; otherwise Newton's method on the exact distribution
    function (:func:`t_cdf`), started from the Cornish-Fisher expansion, for df up to
    2000, and the expansion alone above that (its error there is below 1e-12). Agrees with
    R's ``qt`` to about 1e-12.
    """
    df = _check_df(df)
    p = float(p)
    if not 0 < p < 1:
        raise ValueError("p must be strictly between 0 and 1")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1 - p, df)
    if df == 1:
        return math.tan(math.pi * (p - 0.5))
    if df == 2:
        return (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    x = _cornish_fisher(NormalDist().inv_cdf(p), df)
    if df > _T_SERIES_MAX_DF:
        return x
    for _ in range(100):
        step = (t_cdf(x, df) - p) / _t_pdf(x, df)
        x -= step
        if abs(step) <= 1e-14 * max(1.0, abs(x)):
            break
    return x


def _normal_quantile(p: float) -> float:
    return NormalDist().inv_cdf(p)


# --------------------------------------------------------------------------- SII


@dataclass(frozen=True)
class SiiUnit:
    """One point of the regression, in deprivation order.

    ``group`` is the IMD decile (or quintile for ``unit="quintile"``); ``index`` is the
    practice's position in the input for ``unit="practice"`` (None for groups).
    ``population`` is the list size (or count of practices when unweighted), ``share``
    its fraction of the total and ``relative_rank`` the midpoint of its rank group's slice
    of the cumulative population (0 = most deprived end, 1 = least deprived end).
    """

    group: int
    index: int | None
    value: float
    population: float
    share: float
    relative_rank: float
    standard_error: float | None = None


@dataclass(frozen=True)
class SiiResult:
    """A slope index of inequality; ``sii`` is None, with a ``reason``, when not calculable.

    ``sii`` = fitted value at the least deprived end (rank 1) minus fitted value at the most
    deprived end (rank 0): positive when the value is higher in less deprived areas.
    ``intercept`` is the fitted value at the most deprived end, ``least_deprived_value``
    that at the least deprived end. ``df`` is the t distribution's degrees of freedom
    (``ci_method="regression"``; None for the normal-based methods). ``input_unit`` is what
    the ``n_missing_*`` counts count: "practice" for :func:`slope_index`, the group
    ("decile" or "quintile") for :func:`slope_index_from_groups`.
    """

    sii: float | None
    ci_lower: float | None
    ci_upper: float | None
    standard_error: float | None
    intercept: float | None
    rii: float | None
    rii_ci_lower: float | None
    rii_ci_upper: float | None
    confidence: float
    ci_method: str
    df: int | None
    unit: str
    weighted: bool
    n_units: int
    n_rank_groups: int
    population: float
    units: tuple[SiiUnit, ...] = ()
    n_missing_value: int = 0
    n_missing_deprivation: int = 0
    n_no_population: int = 0
    reason: str | None = None
    input_unit: str = "practice"

    @property
    def ok(self) -> bool:
        return self.sii is not None

    @property
    def least_deprived_value(self) -> float | None:
        if self.sii is None or self.intercept is None:
            return None
        return self.intercept + self.sii

    @property
    def ci_includes_zero(self) -> bool | None:
        if self.ci_lower is None or self.ci_upper is None:
            return None
        return self.ci_lower <= 0 <= self.ci_upper


def relative_ranks(populations: Sequence[float], groups: Sequence[int] | None = None) -> np.ndarray:
    """Each unit's relative rank: the midpoint of its rank group's cumulative population share.

    ``groups`` orders the units on deprivation (smaller = more deprived; equal = tied);
    without it each unit is its own group, in the order given (most deprived first), as
    PHE's ``FindXValues``. Every unit of a tied group gets the group's midpoint.
    """
    pop = np.asarray(populations, dtype=float)
    if pop.ndim != 1 or pop.size == 0:
        raise ValueError("populations must be a non-empty sequence")
    if np.any(~np.isfinite(pop)) or np.any(pop < 0):
        raise ValueError("populations must be finite and not negative")
    total = math.fsum(pop.tolist())
    if total <= 0:
        raise ValueError("the total population must be positive")
    keys = np.arange(pop.size) if groups is None else np.asarray(groups)
    if keys.shape != pop.shape:
        raise ValueError("groups must have one entry per population")
    ranks = np.empty(pop.size)
    below = 0.0
    for key in np.unique(keys):  # sorted: most deprived group first
        members = keys == key
        share = math.fsum(pop[members].tolist()) / total
        ranks[members] = below + share / 2
        below += share
    return ranks


def _unavailable(reason: str, **fields: object) -> SiiResult:
    base: dict[str, object] = {
        "sii": None,
        "ci_lower": None,
        "ci_upper": None,
        "standard_error": None,
        "intercept": None,
        "rii": None,
        "rii_ci_lower": None,
        "rii_ci_upper": None,
        "df": None,
        "reason": reason,
    }
    base.update(fields)
    return SiiResult(**base)  # type: ignore[arg-type]


def _fit(
    y: np.ndarray,
    shares: np.ndarray,
    x: np.ndarray,
    se: np.ndarray | None,
    *,
    confidence: float,
    ci_method: str,
    repetitions: int,
    seed: int | None,
) -> dict[str, object]:
    """Weighted least squares of y on x (weights = shares, summing to 1) and intervals."""
    n = y.size
    xbar = float(shares @ x)
    ybar = float(shares @ y)
    dx = x - xbar
    sxx = float(shares @ (dx * dx))
    if np.all(y == y[0]):  # flat: exactly no gradient, not rounding noise
        slope, intercept = 0.0, float(y[0])
    else:
        slope = float(shares @ (dx * (y - ybar))) / sxx
        intercept = ybar - slope * xbar
    # The fit is linear in y: slope = c_slope @ y and intercept = c_intercept @ y.
    c_slope = shares * dx / sxx
    c_intercept = shares - xbar * c_slope
    upper_p = 1 - (1 - confidence) / 2
    df: int | None = None
    if ci_method == "regression":
        residuals = y - intercept - slope * x
        df = n - 2
        sigma2 = float(shares @ (residuals * residuals)) / df
        var_slope = sigma2 / sxx
        var_intercept = sigma2 * (1 + xbar * xbar / sxx)
        cov = -sigma2 * xbar / sxx
        q = t_quantile(upper_p, df)
    else:
        assert se is not None
        var = se * se
        var_slope = float(c_slope * c_slope @ var)
        var_intercept = float(c_intercept * c_intercept @ var)
        cov = float(c_slope * c_intercept @ var)
        q = _normal_quantile(upper_p)
    se_slope = math.sqrt(max(var_slope, 0.0))
    ci_lower, ci_upper = slope - q * se_slope, slope + q * se_slope

    rii = rii_lower = rii_upper = None
    least = intercept + slope
    if intercept > 0 and least > 0:
        rii = least / intercept
        # delta method for 1 + slope / intercept
        grad_a, grad_b = -slope / intercept**2, 1 / intercept
        var_rii = grad_a**2 * var_intercept + grad_b**2 * var_slope + 2 * grad_a * grad_b * cov
        se_rii = math.sqrt(max(var_rii, 0.0))
        rii_lower, rii_upper = rii - q * se_rii, rii + q * se_rii

    if ci_method == "simulation":
        assert se is not None
        slopes, riis = _simulate(y, se, c_slope, c_intercept, repetitions, seed)
        # PHE's positions, kept inside 1..repetitions: at a high confidence with few
        # repetitions round() can give 0, and slopes[-1] would be the largest draw.
        lower_pos = min(max(round(repetitions * (1 - upper_p)), 1), repetitions)
        upper_pos = min(max(round(repetitions * upper_p), 1), repetitions)
        slopes.sort()
        ci_lower, ci_upper = float(slopes[lower_pos - 1]), float(slopes[upper_pos - 1])
        if rii is not None:
            riis.sort()
            rii_lower, rii_upper = float(riis[lower_pos - 1]), float(riis[upper_pos - 1])
    return {
        "sii": slope,
        "intercept": intercept,
        "standard_error": se_slope,
        "ci_lower": ci_lower,
        "ci_upper": ci_upper,
        "rii": rii,
        "rii_ci_lower": rii_lower,
        "rii_ci_upper": rii_upper,
        "df": df,
    }


def _simulate(
    y: np.ndarray,
    se: np.ndarray,
    c_slope: np.ndarray,
    c_intercept: np.ndarray,
    repetitions: int,
    seed: int | None,
) -> tuple[np.ndarray, np.ndarray]:
    """PHE's Monte Carlo: redraw every unit from N(value, se) and refit, in batches."""
    rng = np.random.default_rng(seed)
    slopes = np.empty(repetitions)
    riis = np.empty(repetitions)
    done = 0
    while done < repetitions:
        batch = min(_SIMULATION_BATCH, repetitions - done)
        draws = y + se * rng.standard_normal((batch, y.size))
        b = draws @ c_slope
        a = draws @ c_intercept
        slopes[done : done + batch] = b
        with np.errstate(divide="ignore", invalid="ignore"):
            riis[done : done + batch] = (a + b) / a
        done += batch
    return slopes, riis


def _check_method(ci_method: str, repetitions: int) -> None:
    if ci_method not in CI_METHODS:
        raise ValueError(f"ci_method must be one of {', '.join(CI_METHODS)}")
    if ci_method == "simulation" and (
        isinstance(repetitions, bool)
        or not isinstance(repetitions, int | np.integer)
        or repetitions < MIN_REPETITIONS
    ):
        raise ValueError(f"repetitions must be a whole number of at least {MIN_REPETITIONS}")


def _from_units(
    groups: np.ndarray,
    indexes: np.ndarray | None,
    y: np.ndarray,
    pop: np.ndarray,
    se: np.ndarray | None,
    *,
    unit: str,
    weighted: bool,
    confidence: float,
    ci_method: str,
    repetitions: int,
    seed: int | None,
    counts: dict[str, object],
) -> SiiResult:
    total = math.fsum(pop.tolist())
    n_groups = int(np.unique(groups).size)
    common: dict[str, object] = {
        "confidence": confidence,
        "ci_method": ci_method,
        "unit": unit,
        "weighted": weighted,
        "n_units": int(y.size),
        "n_rank_groups": n_groups,
        "population": total,
        **counts,
    }
    nouns = _UNIT_NOUNS[unit]
    if y.size < MIN_UNITS:
        needs = (
            "practices with a value, a deprivation decile and a list size"
            if unit == "practice"
            else f"{nouns} with a value and a population"
        )
        return _unavailable(
            f"it needs at least {MIN_UNITS} {needs}, and there "
            f"{'is' if y.size == 1 else 'are'} {y.size}",
            **common,
        )
    if n_groups < MIN_RANK_GROUPS:
        return _unavailable(
            f"it needs {nouns} in at least {MIN_RANK_GROUPS} different deprivation "
            f"{'quintiles' if unit == 'quintile' else 'deciles'}, and there "
            f"{'is' if n_groups == 1 else 'are'} {n_groups}",
            **common,
        )
    if ci_method != "regression":
        if se is None:
            raise ValueError(f"ci_method={ci_method!r} needs standard_errors")
        n_missing_se = int(np.count_nonzero(np.isnan(se)))
        if n_missing_se:
            return _unavailable(
                f"{n_missing_se} of the {y.size} {nouns} {'has' if n_missing_se == 1 else 'have'}"
                " no standard error",
                **common,
            )
        if np.any(se < 0):
            raise ValueError("standard errors cannot be negative")
    shares = pop / total
    x = relative_ranks(pop, groups)
    fitted = _fit(
        y,
        shares,
        x,
        se if ci_method != "regression" else None,
        confidence=confidence,
        ci_method=ci_method,
        repetitions=repetitions,
        seed=seed,
    )
    units = tuple(
        SiiUnit(
            group=int(groups[i]),
            index=None if indexes is None else int(indexes[i]),
            value=float(y[i]),
            population=float(pop[i]),
            share=float(shares[i]),
            relative_rank=float(x[i]),
            standard_error=None if se is None else float(se[i]),
        )
        for i in np.argsort(x, kind="stable")
    )
    return SiiResult(units=units, reason=None, **fitted, **common)  # type: ignore[arg-type]


def slope_index_from_groups(
    values: Sequence[float],
    populations: Sequence[float],
    *,
    unit: Literal["decile", "quintile"] = "decile",
    standard_errors: Sequence[float | None] | None = None,
    confidence: float = 0.95,
    ci_method: CiMethod = "regression",
    repetitions: int = DEFAULT_REPETITIONS,
    seed: int | None = DEFAULT_SEED,
) -> SiiResult:
    """SII of deprivation groups already in order, most deprived first (``phe_sii``'s input).

    One value and population per group (e.g. deciles 1 to 10); each group is its own rank
    group. ``unit`` only names the groups in explanations. Groups with a missing value or a
    zero population are left out (PHE instead refuses the whole area).
    """
    if unit not in ("decile", "quintile"):
        raise ValueError("unit must be decile or quintile")
    if len(values) != len(populations):
        raise ValueError(f"populations has {len(populations)} entries for {len(values)} values")
    if standard_errors is None and ci_method != "regression":
        raise ValueError(f"ci_method={ci_method!r} needs standard_errors")
    confidence = _check_confidence(confidence)
    _check_method(ci_method, repetitions)
    y = _floats(values, "values")
    pop = _weights(populations, len(y))
    se = None
    if standard_errors is not None:
        if len(standard_errors) != len(y):
            raise ValueError(f"standard_errors has {len(standard_errors)} entries for {len(y)}")
        se = _floats(standard_errors, "standard_errors")
    has_value = ~np.isnan(y)
    has_pop = ~np.isnan(pop) & (pop > 0)
    keep = has_value & has_pop
    counts: dict[str, object] = {
        "n_missing_value": int(np.count_nonzero(~has_value)),
        "n_no_population": int(np.count_nonzero(has_value & ~has_pop)),
        "input_unit": unit,
    }
    groups = np.arange(1, len(y) + 1)[keep]
    return _from_units(
        groups,
        None,
        y[keep],
        pop[keep],
        None if se is None else se[keep],
        unit=unit,
        weighted=True,
        confidence=confidence,
        ci_method=ci_method,
        repetitions=repetitions,
        seed=seed,
        counts=counts,
    )


def slope_index(
    values: Sequence[float | None],
    imd_deciles: Sequence[int | None],
    *,
    weights: Sequence[float | None] | None = None,
    unit: Unit = "practice",
    standard_errors: Sequence[float | None] | None = None,
    confidence: float = 0.95,
    ci_method: CiMethod = "regression",
    repetitions: int = DEFAULT_REPETITIONS,
    seed: int | None = DEFAULT_SEED,
) -> SiiResult:
    """Slope index of inequality of practices' values across IMD deprivation.

    ``values``, ``imd_deciles`` (1 = most deprived), ``weights`` (list sizes; None counts
    practices equally) and ``standard_errors`` (for the simulation and known_se intervals)
    are aligned, one entry per practice. See the module docstring for the method, the sign
    convention, ties and ``unit``.
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {', '.join(UNITS)}")
    _check_lengths(values, imd_deciles)
    confidence = _check_confidence(confidence)
    _check_method(ci_method, repetitions)
    y = _floats(values, "values")
    deciles = _deciles(imd_deciles)
    w = _weights(weights, len(y))
    se = None
    if standard_errors is not None:
        if len(standard_errors) != len(y):
            raise ValueError(f"standard_errors has {len(standard_errors)} entries for {len(y)}")
        se = _floats(standard_errors, "standard_errors")
    elif ci_method != "regression":
        raise ValueError(f"ci_method={ci_method!r} needs standard_errors")

    has_value = ~np.isnan(y)
    has_decile = deciles > 0
    has_pop = ~np.isnan(w) & (w > 0)
    keep = has_value & has_decile & has_pop
    counts = {
        "n_missing_value": int(np.count_nonzero(~has_value)),
        "n_missing_deprivation": int(np.count_nonzero(has_value & ~has_decile)),
        "n_no_population": int(np.count_nonzero(has_value & has_decile & ~has_pop)),
    }
    idx = np.flatnonzero(keep)
    keys = deciles[idx] if unit != "quintile" else (deciles[idx] + 1) // 2
    y, w = y[idx], w[idx]
    se = None if se is None else se[idx]
    common = {
        "unit": unit,
        "weighted": weights is not None,
        "confidence": confidence,
        "ci_method": ci_method,
        "repetitions": repetitions,
        "seed": seed,
        "counts": counts,
    }
    if unit == "practice":
        return _from_units(keys, idx, y, w, se, **common)  # type: ignore[arg-type]

    # Aggregate into deprivation groups: list-size-weighted mean, total list size and,
    # for independent practices, the standard error of that weighted mean.
    group_keys = np.unique(keys)
    g_y = np.empty(group_keys.size)
    g_pop = np.empty(group_keys.size)
    g_se = None if se is None else np.empty(group_keys.size)
    for j, key in enumerate(group_keys):
        members = keys == key
        total = math.fsum(w[members].tolist())
        g_pop[j] = total
        g_y[j] = math.fsum((w[members] * y[members]).tolist()) / total
        if g_se is not None and se is not None:
            share = w[members] / total
            g_se[j] = math.sqrt(float(share * share @ (se[members] ** 2)))
    return _from_units(group_keys, None, g_y, g_pop, g_se, **common)  # type: ignore[arg-type]


def compare_gaps(
    ours: tuple[float, float | None, float | None],
    theirs: tuple[float, float | None, float | None],
) -> str:
    """Whether one slope index of inequality (sii, lower, upper) is "narrower", "similar"
    or "wider" than another, as a size of gap whichever way it runs. "similar" when
    their confidence intervals overlap (a conservative test: intervals can overlap when
    the difference is significant, never the other way round) or either has none."""
    (a, a_low, a_high), (b, b_low, b_high) = ours, theirs
    if None in (a_low, a_high, b_low, b_high) or (a_low <= b_high and b_low <= a_high):
        return "similar"
    return "narrower" if abs(a) < abs(b) else "wider"


# --------------------------------------------------------------------------- explanation


def _default_format_value(value: float) -> str:
    return format(value, ",.4g")


def _percent(confidence: float) -> str:
    return f"{confidence * 100:.10g}%"


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _change_range(
    lower: float, upper: float, format_value: Callable[[float], str], suffix: str
) -> str:
    """A confidence interval of a change in words: "a rise of between 2 and 5 points"."""
    if lower >= 0:
        return f"a rise of between {format_value(lower)} and {format_value(upper)}{suffix}"
    if upper <= 0:
        return f"a fall of between {format_value(-upper)} and {format_value(-lower)}{suffix}"
    return (
        f"anywhere from a fall of {format_value(-lower)} to a rise of {format_value(upper)}{suffix}"
    )


def explain_sii(
    result: SiiResult,
    *,
    format_value: Callable[[float], str] = _default_format_value,
    measure_label: str,
    higher_is_better: bool | None,
    unit: str = "",
) -> list[str]:
    """Plain-English sentences on a slope index of inequality, for a practice manager.

    ``format_value`` renders a non-negative number (a size of difference) in the measure's
    terms; ``unit``, if given, follows each figure ("percentage points"). ``measure_label``
    is used mid-sentence. ``higher_is_better`` (None for a neutral measure) says whether
    the gap favours or disadvantages more deprived areas. The sentences read along the
    deprivation scale from most to least deprived, so a positive SII is a rise.
    """
    label = measure_label
    suffix = f" {unit}" if unit else ""
    sentences: list[str] = []
    if result.sii is None:
        sentences.append(
            f"The slope index of inequality for {label} could not be calculated: {result.reason}."
        )
    else:
        across = _UNIT_NOUNS.get(result.unit, "practices")
        ends = across.removeprefix("deprivation ")
        sii = result.sii
        lower, upper = result.ci_lower, result.ci_upper
        assert lower is not None and upper is not None
        ci = f"{_percent(result.confidence)} confidence interval"
        interval = _change_range(lower, upper, format_value, suffix)
        if sii == 0 and lower == 0 and upper == 0:
            sentences.append(
                f"From the most to the least deprived {ends}, {label} is the same: the slope "
                f"index of inequality is {format_value(0.0)}{suffix}."
            )
        else:
            rises = sii > 0
            sentences.append(
                f"From the most to the least deprived {ends}, {label} "
                f"{'rises' if rises else 'falls'} by {format_value(abs(sii))}{suffix}."
            )
            if lower <= 0 <= upper:
                sentences.append(
                    f"This could be due to chance: the {ci} is {interval}, which includes "
                    "no difference at all."
                )
            else:
                where = "lower" if rises else "higher"
                sentences.append(
                    f"The {ci} is {interval}, so {label} is {where} in more deprived areas."
                )
                if higher_is_better is not None:
                    worse = rises == higher_is_better
                    better_word = "higher" if higher_is_better else "lower"
                    sentences.append(
                        f"{_capitalise(better_word)} is better for this measure, so more "
                        f"deprived areas are doing {'worse' if worse else 'better'}."
                    )
        if result.input_unit != "practice":
            weighting = "each weighted by its population"
        elif not result.weighted:
            weighting = "with every practice counted equally"
        elif result.unit == "practice":
            weighting = "each weighted by its registered list size"
        else:
            weighting = "each weighted by its practices' registered list sizes"
        sentences.append(
            "The slope index of inequality is the difference between the least and the most "
            "deprived ends of the population, read from a straight line fitted across the "
            f"{across} in deprivation order, {weighting}."
        )
    left_out = []
    if result.n_missing_value:
        left_out.append(f"{result.n_missing_value} with no value")
    if result.n_missing_deprivation:
        left_out.append(f"{result.n_missing_deprivation} with no deprivation decile")
    if result.n_no_population:
        population = "list size" if result.input_unit == "practice" else "population"
        left_out.append(f"{result.n_no_population} with no {population}")
    if left_out:
        total = result.n_missing_value + result.n_missing_deprivation + result.n_no_population
        noun = result.input_unit if total == 1 else _UNIT_NOUNS[result.input_unit]
        noun = noun.removeprefix("deprivation ")
        joined = left_out[0] if len(left_out) == 1 else ", ".join(left_out[:-1])
        if len(left_out) > 1:
            joined += f" and {left_out[-1]}"
        sentences.append(f"{total} {noun} {'is' if total == 1 else 'are'} left out: {joined}.")
    return sentences
