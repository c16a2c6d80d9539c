"""Equity lens: practices by IMD deprivation quintile, and the slope index of inequality.

Pure numpy (no pandas, no scipy), so it can be checked against published figures. The
method is that of OHID/PHE Fingertips and the ``phe_sii`` function of the R package
PHEindicatormethods (github.com/ukhsa-collaboration/PHEindicatormethods at commit 093fd28,
R/SII_function.R and R/utils.R; Low and Low, J Public Health 2004;26:388-95), reproduced
on PHE's own test data in tests/analysis/test_sii_phe.py.

Deprivation
-----------
Practices are **ranked by their IMD score** (the Fingertips IMD 2019 score of the
practice's registered population: higher is more deprived), most deprived first. Equal
scores are tied, as PHE ties them (``phe_quantile`` ranks with ``ties.method = "min"``,
R/Quantiles.R lines 110-116, so equal scores share one rank): tied practices form one
*rank group* that occupies one slice of the cumulative population, and each gets the
slice's midpoint. Where no practice has a score, practices are ranked by their IMD decile
(1 = the most deprived tenth of England), each decile a rank group, and results say so.

The quintile is ``(decile + 1) // 2``: "IMD quintile 1 (most deprived)" holds deciles 1-2,
"IMD quintile 5 (least deprived)" deciles 9-10 (never "Q1", which reads as a quarter).

Slope index of inequality (SII)
-------------------------------
1. Units (practices, or deprivation groups) are ordered from most to least deprived.
2. Each unit gets a *relative rank*: the midpoint of its rank group's slice of the
   cumulative population, population = registered list size (PHE's ``FindXValues``,
   R/utils.R lines 268-289). A group holding the first 12% of the population has rank
   0.06; the next, holding 10%, 0.12 + 0.10 / 2 = 0.17.
3. A weighted least squares line is fitted of the value on the relative rank, each unit
   weighted by its population share (``phe_sii`` fits the equivalent
   ``lm(value * sqrt(a) ~ sqrt(a) + b * sqrt(a) - 1)``: identical coefficients).
4. **SII = fitted value at rank 1 minus fitted value at rank 0**, the slope: the modelled
   gap between the least and the most deprived ends of the population.

Sign convention (PHE's): a **positive SII means the value is higher in less deprived
areas**. The relative index of inequality (RII) is the ratio of the two ends, ``(intercept +
SII) / intercept``, given only when both ends are positive.

Rates, not counts
-----------------
A count (calls, appointments, home visits, leavers) grows with a practice's list, so it is
never compared across practices as it is: :func:`practices_slope_index` and
:func:`practices_by_quintile` divide it by the list size and multiply by 1,000 (**per
1,000 registered patients**). Each practice's rate then has PHE's 95% confidence limits for
a rate (``phe_rate``, R/Rates.R lines 141-144: the exact Poisson limits below 10 events,
Byar's method from 10), from which ``phe_sii`` takes the standard error below.

Confidence interval
-------------------
* ``ci_method="simulation"`` (the default whenever the units have a standard error or
  confidence limits): PHE's Monte Carlo (``SimulationFunc``, R/utils.R lines 330-460). Each
  unit's value is redrawn ``repetitions`` times (PHE's default 100,000, minimum 1,000) from
  a normal distribution with its standard error, the line refitted, and the limits taken
  as the order statistics at ``round(repetitions * (1 - confidence) / 2)`` and
  ``round(repetitions * (1 + confidence) / 2)`` of the sorted SIIs. A standard error not
  given is PHE's ``(upper - lower) / qnorm(0.975) / 2`` of the 95% limits
  (R/SII_function.R lines 451-459), on the log scale for a rate and the logit scale for a
  proportion (``value_type``), where the draws are made and turned back before the refit.
  When the fit is linear in the draws (``value_type="normal"``, or ``transform=True``),
  the refitted intercept and slope are exactly bivariate normal, so they are drawn from
  that distribution directly (``per_unit_draws=False``, the default): the same random
  variable PHE samples, in O(repetitions) rather than O(units x repetitions), which keeps
  England's 6,300 practices fast enough for a page. ``per_unit_draws=True`` draws every
  unit as PHE does. PHE sets no seed (R's own stream decides); here numpy's generator is
  seeded with ``seed`` (``DEFAULT_SEED``) so a page shows the same interval on every load.
* ``ci_method="regression"``: from the weighted least squares residuals, with Student's t on
  ``n - 2`` degrees of freedom (R's ``confint(lm(..., weights=))``), for units with no
  standard error (a percentage published without its numerator and denominator). Named
  "regression residuals" wherever it is shown.
* ``ci_method="known_se"``: the closed form the simulation converges to in the linear case.

A result keeps its units (values, list sizes, places and limits), so :func:`refit` takes
them again by another method or transform and gives what the first call would have given
with it: England's 6,300 practices, worked out once by the default method, are taken
again by the method a person chose on the ICB's equity page.

Transforms (``transform=True``): PHE's log (rates) or logit (proportions) before the fit,
the SII and its limits turned back to the value's own units through the fitted midpoint
(R/SII_function.R lines 608-780, ``xequalshalf``). They need each unit's confidence
limits, as in PHE.

Minimum numbers
---------------
``phe_sii`` refuses fewer than 5 quantiles ("Number of quantiles must be between 5 and
100", R/SII_function.R lines 374-375), so an SII here needs at least ``MIN_UNITS`` (5)
units at at least ``MIN_RANK_GROUPS`` (5) different places on the deprivation scale;
otherwise the result has ``sii=None`` and a ``reason``. Units with no value, no
deprivation or no list size are left out and counted on the result.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from statistics import NormalDist
from typing import Literal

import numpy as np

__all__ = [
    "CI_METHODS",
    "DEFAULT_REPETITIONS",
    "MIN_RANK_GROUPS",
    "MIN_UNITS",
    "PER_PATIENTS",
    "UNITS",
    "VALUE_TYPES",
    "QuintileSummary",
    "SiiResult",
    "SiiUnit",
    "by_quintile",
    "byars_limits",
    "compare_gaps",
    "explain_sii",
    "imd_quintile",
    "method_label",
    "poisson_limits",
    "practices_by_quintile",
    "practices_slope_index",
    "quintile_label",
    "rates_per_patients",
    "refit",
    "relative_ranks",
    "slope_index",
    "slope_index_from_groups",
    "t_cdf",
    "t_quantile",
    "wilson_limits",
]

Unit = Literal["practice", "decile", "quintile"]
CiMethod = Literal["regression", "simulation", "known_se"]
ValueType = Literal["normal", "rate", "proportion"]

UNITS: tuple[str, ...] = ("practice", "decile", "quintile")
CI_METHODS: tuple[str, ...] = ("regression", "simulation", "known_se")
VALUE_TYPES: tuple[str, ...] = ("normal", "rate", "proportion")
"""PHE's ``value_type`` 0, 1 and 2."""
MIN_UNITS = 5
"""Fewest units (practices, or groups) for an SII: ``phe_sii`` needs at least 5 quantiles."""
MIN_RANK_GROUPS = 5
"""...at at least this many different places on the deprivation scale."""
MIN_REPETITIONS = 1000
"""PHEindicatormethods' minimum number of simulation repetitions."""
DEFAULT_REPETITIONS = 100_000
"""PHEindicatormethods' default number of simulation repetitions."""
DEFAULT_SEED = 20250401
PER_PATIENTS = 1000
"""Counts are compared as rates per this many registered patients."""
Z_95 = NormalDist().inv_cdf(0.975)
"""``phe_sii`` takes standard errors from 95% limits whatever the confidence asked for."""
_DRAW_BUDGET = 16_384
"""Values drawn at once (memory, not results: 128 kB; the ICB workbook's peak memory is
measured against a floor of about a megabyte, bench/README.md)."""
_T_SERIES_MAX_DF = 2000

_UNIT_NOUNS = {
    "practice": "practices",
    "decile": "deprivation deciles",
    "quintile": "deprivation quintiles",
}
_CI_LABELS = {
    "simulation": "PHE simulation",
    "regression": "regression residuals",
    "known_se": "normal approximation from standard errors",
}
_TRANSFORM_WORDS = {"rate": "log of each rate", "proportion": "logit of each proportion"}
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


_PLAIN_NUMBERS = frozenset({float, int, type(None), np.float64, np.int64})


def _floats(values: Sequence[object], name: str) -> np.ndarray:
    """Numbers as floats, ``None``/NaN/pandas NA as NaN; infinities and text are errors."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        out = values.astype(float)
    elif all(type(value) in _PLAIN_NUMBERS for value in values):
        out = np.array(values, dtype=float)  # None becomes NaN; England's 6,300 at once
    else:
        out = np.empty(len(values), dtype=float)
        for i, value in enumerate(values):
            if _is_missing(value):
                out[i] = math.nan
                continue
            if isinstance(value, str | bytes | bool):
                raise ValueError(f"{name}[{i}] is not a number: {value!r}")
            try:
                out[i] = float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise ValueError(f"{name}[{i}] is not a number: {value!r}") from None
    infinite = np.flatnonzero(np.isinf(out))
    if infinite.size:
        raise ValueError(f"{name}[{infinite[0]}] must be finite")
    return out


def _deciles(imd_deciles: Sequence[object]) -> np.ndarray:
    """Deciles as ints 1-10, 0 where missing."""
    if all(type(value) is int or value is None for value in imd_deciles):
        out = np.array([0 if value is None else value for value in imd_deciles], dtype=int)
        if np.all((out == 0) | ((out >= 1) & (out <= 10))):
            return out
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


def quintile_label(quintile: int | None) -> str:
    """ "IMD quintile 1 (most deprived)" … "IMD quintile 5 (least deprived)": never "Q1",
    which reads as a financial quarter."""
    if quintile is None:
        return "IMD quintile not known"
    if quintile == 1:
        return "IMD quintile 1 (most deprived)"
    if quintile == 5:
        return "IMD quintile 5 (least deprived)"
    return f"IMD quintile {quintile}"


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
                label=quintile_label(quintile),
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


# --------------------------------------------------------------------------- rates and limits


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(confidence + (1 - confidence) / 2)


def byars_limits(count: float, confidence: float = 0.95) -> tuple[float, float]:
    """Byar's approximate Poisson limits of a count (PHE's ``byars_lower`` and
    ``byars_upper``, R/utils.R): ``x (1 - 1/(9x) - z/(3 sqrt x))^3`` and
    ``(x+1) (1 - 1/(9(x+1)) + z/(3 sqrt(x+1)))^3``. PHE uses them from 10 events."""
    x = float(count)
    if x < 0 or not math.isfinite(x):
        raise ValueError("observed events must be a number of at least zero")
    z = _z(_check_confidence(confidence))
    lower = x * (1 - 1 / (9 * x) - z / (3 * math.sqrt(x))) ** 3 if x > 0 else 0.0
    upper = (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * math.sqrt(x + 1))) ** 3
    return max(lower, 0.0), upper


def _gamma_p(shape: float, t: float) -> float:
    """The regularised lower incomplete gamma function P(shape, t) (Numerical Recipes
    6.2: the series below shape + 1, the continued fraction above)."""
    if t <= 0:
        return 0.0
    log_front = -t + shape * math.log(t) - math.lgamma(shape)
    if t < shape + 1:
        term = total = 1 / shape
        n = shape
        for _ in range(10_000):
            n += 1
            term *= t / n
            total += term
            if abs(term) < abs(total) * 1e-16:
                break
        return min(1.0, total * math.exp(log_front))
    tiny = 1e-300
    b = t + 1 - shape
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - shape)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        h *= d * c
        if abs(d * c - 1) < 1e-16:
            break
    return max(0.0, 1 - math.exp(log_front) * h)


@lru_cache(maxsize=4096)
def _gamma_quantile(p: float, shape: float) -> float:
    """The p quantile of Gamma(shape, 1), i.e. R's ``qchisq(p, 2 * shape) / 2``, by
    bisection (counts below 10, cached: they repeat)."""
    if shape == 0:
        return 0.0
    low, high = 0.0, shape + 20 * math.sqrt(shape) + 40
    for _ in range(200):
        middle = (low + high) / 2
        if _gamma_p(shape, middle) < p:
            low = middle
        else:
            high = middle
        if high - low <= 1e-15 * max(high, 1e-300):
            break
    return (low + high) / 2


def poisson_limits(count: float, confidence: float = 0.95) -> tuple[float, float]:
    """PHE's confidence limits of a count of events (``phe_rate``, R/Rates.R lines 141-144): exact
    Poisson limits below 10 events, ``qchisq((1 - c) / 2, 2x) / 2`` and
    ``qchisq((1 + c) / 2, 2x + 2) / 2``, and Byar's method from 10."""
    x = float(count)
    if x < 0 or not math.isfinite(x):
        raise ValueError("observed events must be a number of at least zero")
    confidence = _check_confidence(confidence)
    if x >= 10:
        return byars_limits(x, confidence)
    tail = (1 - confidence) / 2
    return _gamma_quantile(tail, x), _gamma_quantile(1 - tail, x + 1)


def wilson_limits(
    numerator: float, denominator: float, confidence: float = 0.95
) -> tuple[float, float]:
    """Wilson score limits of a proportion (PHE's ``wilson_lower`` and ``wilson_upper``,
    R/utils.R), as fractions 0-1."""
    x, n = float(numerator), float(denominator)
    if x < 0 or n <= 0 or x > n:
        raise ValueError("a proportion needs 0 <= numerator <= denominator, denominator > 0")
    z = _z(_check_confidence(confidence))
    root = z * math.sqrt(z * z + 4 * x * (1 - x / n))
    return (2 * x + z * z - root) / 2 / (n + z * z), (2 * x + z * z + root) / 2 / (n + z * z)


def rates_per_patients(
    values: Sequence[float | None],
    list_sizes: Sequence[float | None],
    *,
    per: int = PER_PATIENTS,
) -> list[float | None]:
    """Each count per ``per`` registered patients; None where the count or a positive list
    size is missing."""
    if len(values) != len(list_sizes):
        raise ValueError(f"list_sizes has {len(list_sizes)} entries for {len(values)} values")
    y = _floats(values, "values")
    n = _weights(list_sizes, len(y))
    return [
        None if math.isnan(v) or math.isnan(size) or size <= 0 else v / size * per
        for v, size in zip(y.tolist(), n.tolist(), strict=True)
    ]


# --------------------------------------------------------------------------- SII


@dataclass(frozen=True)
class SiiUnit:
    """One point of the regression, in deprivation order.

    ``group`` is the unit's rank group: the IMD decile (or quintile for
    ``unit="quintile"``), or the position of its IMD score among the distinct scores
    (1 = the most deprived) when ranked by score. ``index`` is the practice's position in
    the input for ``unit="practice"`` (None for groups). ``population`` is the list size (or
    1 when unweighted), ``share`` its fraction of the total and ``relative_rank`` the
    midpoint of its rank group's slice of the cumulative population (0 = most deprived
    end, 1 = least deprived end). ``standard_error`` is on the scale the draws are made
    (log for a rate, logit for a proportion): as given, or from the limits for a
    simulated or known-SE interval. ``lower`` and ``upper`` are the unit's 95% confidence
    limits as given, in the value's own units (None when none were given), kept so that
    :func:`refit` can take the units again by another method.
    """

    group: int
    index: int | None
    value: float
    population: float
    share: float
    relative_rank: float
    standard_error: float | None = None
    lower: float | None = None
    upper: float | None = None


@dataclass(frozen=True)
class SiiResult:
    """A slope index of inequality; ``sii`` is None, with a ``reason``, when not calculable.

    ``sii`` = fitted value at the least deprived end (rank 1) minus fitted value at the most
    deprived end (rank 0), times ``multiplier``: positive when the value is higher in less
    deprived areas. ``intercept`` is the fitted value at the most deprived end (PHE's,
    not multiplied unless transformed), ``least_deprived_value`` that at the least deprived
    end. ``df`` is the t distribution's degrees of freedom (regression only).
    ``input_unit`` is what the ``n_missing_*`` counts count: "practice" for
    :func:`slope_index`, the group ("decile" or "quintile") for
    :func:`slope_index_from_groups`. ``ranked_by`` is "imd_score", "imd_decile" or
    "group" (groups given in order). ``per_patients`` is 1,000 when counts were compared
    as rates per 1,000 registered patients. ``has_spread`` says whether the units came with
    standard errors or confidence limits (so that the regression residuals were a
    choice, not the only interval there was); ``seed`` and ``per_unit_draws`` are the
    simulation's, kept for :func:`refit`.
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
    ranked_by: str = "imd_decile"
    value_type: str = "normal"
    transform: bool = False
    multiplier: float = 1.0
    repetitions: int | None = None
    per_patients: int | None = None
    has_spread: bool = False
    seed: int | None = DEFAULT_SEED
    per_unit_draws: bool = False

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

    @property
    def ci_label(self) -> str:
        """How the interval was worked out: "PHE simulation", "regression residuals"."""
        return _CI_LABELS[self.ci_method]

    @property
    def interval_name(self) -> str:
        """ "95% confidence interval (regression residuals)" and the like."""
        return f"{_percent(self.confidence)} confidence interval ({self.ci_label})"

    @property
    def method_label(self) -> str:
        """The interval's method in full (:func:`method_label`)."""
        return method_label(self.ci_method, self.repetitions, self.transform, self.value_type)


def method_label(
    ci_method: str,
    repetitions: int | None = None,
    transform: bool = False,
    value_type: str = "normal",
) -> str:
    """An interval's method in full, for a table cell or a workbook column: "PHE
    simulation, 100,000 draws", "PHE simulation, 100,000 draws, fitted to the log of each
    rate", "regression residuals"."""
    label = _CI_LABELS[ci_method]
    if ci_method == "simulation" and repetitions:
        label += f", {repetitions:,} draws"
    if transform:
        label += f", fitted to the {_TRANSFORM_WORDS[value_type]}"
    return label


def relative_ranks(
    populations: Sequence[float], groups: Sequence[float] | None = None
) -> np.ndarray:
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
    # Groups sorted, most deprived first; each group's share of the population, and the
    # midpoint of its slice of the cumulative share.
    _, group_of = np.unique(keys, return_inverse=True)
    shares = np.bincount(group_of.ravel(), weights=pop) / total
    midpoints = np.cumsum(shares) - shares / 2
    return midpoints[group_of.ravel()]


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


# PHE's transformations (value_type 1: log, 2: logit) and their inverses.
def _forward(value_type: str, v: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        if value_type == "rate":
            return np.log(v)
        if value_type == "proportion":
            return np.log(v / (1 - v))
    return v


def _inverse(value_type: str, t: np.ndarray | float) -> np.ndarray | float:
    if value_type == "rate":
        return np.exp(t)
    if value_type == "proportion":
        return 1 / (1 + np.exp(-t))
    return t


@dataclass(frozen=True)
class _Line:
    """A weighted least squares line and its coefficients as linear maps of the values."""

    slope: float
    intercept: float
    c_slope: np.ndarray  # slope = c_slope @ y
    c_intercept: np.ndarray  # intercept = c_intercept @ y
    sxx: float
    xbar: float


def _line(y: np.ndarray, shares: np.ndarray, x: np.ndarray) -> _Line:
    xbar = float(shares @ x)
    ybar = float(shares @ y)
    dx = x - xbar
    sxx = float(shares @ (dx * dx))
    if np.all(y == y[0]):  # flat: exactly no gradient, not rounding noise
        slope, intercept = 0.0, float(y[0])
    else:
        slope = float(shares @ (dx * (y - ybar))) / sxx
        intercept = ybar - slope * xbar
    c_slope = shares * dx / sxx
    return _Line(slope, intercept, c_slope, shares - xbar * c_slope, sxx, xbar)


def _positions(repetitions: int, confidence: float) -> tuple[int, int]:
    """PHE's order statistics (R/utils.R lines 446-448), 1-based, kept inside
    1..repetitions: at a high confidence with few repetitions round() can give 0."""
    upper_p = confidence + (1 - confidence) / 2
    lower = min(max(round(repetitions * (1 - upper_p)), 1), repetitions)
    upper = min(max(round(repetitions * upper_p), 1), repetitions)
    return lower, upper


def _draws(
    mean: np.ndarray,
    se: np.ndarray,
    line: _Line,
    value_type: str,
    transform: bool,
    repetitions: int,
    seed: int | None,
    per_unit: bool,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Simulated (intercepts, slopes) of PHE's Monte Carlo, a batch of repetitions at a
    time (at most _DRAW_BUDGET values drawn at once: the same draws as all at once, as the
    generator fills them in order, in a fraction of the memory).

    Each unit is drawn from N(mean, se) on the transformed scale, turned back unless
    ``transform`` (PHE's ``yvals_transformed``) and the line refitted. Where that is linear
    (no turning back), the refitted coefficients are exactly bivariate normal and are drawn
    so, unless ``per_unit``.
    """
    rng = np.random.default_rng(seed)
    linear = transform or value_type == "normal"
    if linear and not per_unit:
        var = se * se
        m_a, m_b = float(line.c_intercept @ mean), float(line.c_slope @ mean)
        s_a = math.sqrt(float(line.c_intercept**2 @ var))
        s_b = math.sqrt(float(line.c_slope**2 @ var))
        cov = float(line.c_intercept * line.c_slope @ var)
        rho = cov / (s_a * s_b) if s_a > 0 and s_b > 0 else 0.0
        rho = max(-1.0, min(1.0, rho))
        rest = math.sqrt(1 - rho * rho)
        batch, width = _DRAW_BUDGET // 2, 2
    else:
        batch, width = max(1, _DRAW_BUDGET // mean.size), mean.size
    done = 0
    while done < repetitions:
        rows = min(batch, repetitions - done)
        drawn = rng.standard_normal((rows, width))
        done += rows
        if linear and not per_unit:
            yield m_a + s_a * drawn[:, 0], m_b + s_b * (rho * drawn[:, 0] + rest * drawn[:, 1])
            continue
        drawn *= se
        drawn += mean
        if not transform:
            drawn = _inverse(value_type, drawn)
        yield drawn @ line.c_intercept, drawn @ line.c_slope


def _simulated(
    draws: Iterator[tuple[np.ndarray, np.ndarray]],
    repetitions: int,
    positions: tuple[int, int],
    *,
    scale: float,
    ratios: bool,
    negative: bool,
) -> tuple[tuple[float, float], tuple[float, float] | None]:
    """PHE's order statistics (`positions`, 1-based, of the sorted repetitions) of the
    simulated slopes times `scale` and, with `ratios`, of the RIIs ((intercept + slope) /
    intercept, inverted when `negative`), gathered batch by batch."""
    slopes = _Tails(repetitions, *positions)
    riis = _Tails(repetitions, *positions) if ratios else None
    for intercepts, batch in draws:
        if riis is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                found = (intercepts + batch) / intercepts
                riis.add(1 / found if negative else found)
        slopes.add(batch * scale if scale != 1 else batch)
    return slopes.result(), (riis.result() if riis is not None else None)


class _Tails:
    """The `low`-th and `high`-th smallest (1-based) of `repetitions` values seen a batch at
    a time, exactly as a sort of them all would give them (NaN last, as numpy sorts),
    keeping only the `low` smallest and the `repetitions - high + 1` largest: a few
    thousand values rather than all 100,000 (the ICB workbook computes 16 slope indices
    in one request; bench/README.md measures its peak memory)."""

    def __init__(self, repetitions: int, low: int, high: int) -> None:
        self.low, self.top = low, repetitions - high + 1
        self.smallest = self.largest = np.empty(0)

    def add(self, batch: np.ndarray) -> None:
        pool = np.concatenate((self.smallest, batch))
        if pool.size > self.low:
            pool.partition(self.low - 1)
            pool = pool[: self.low].copy()
        self.smallest = pool
        pool = np.concatenate((self.largest, batch))
        if pool.size > self.top:
            pool.partition(pool.size - self.top)
            pool = pool[pool.size - self.top :].copy()
        self.largest = pool

    def result(self) -> tuple[float, float]:
        # The greatest of the smallest and the least of the largest, in sort order.
        self.smallest.partition(self.smallest.size - 1)
        self.largest.partition(0)
        return float(self.smallest[-1]), float(self.largest[0])


def _back(value_type: str, line: _Line, log_slope: float, multiplier: float) -> float:
    """A slope (or limit) on the transformed scale back in the value's units, PHE's way:
    about the fitted midpoint (R/SII_function.R, ``xequalshalf``)."""
    middle = line.intercept + line.slope / 2
    low_end, high_end = middle - log_slope / 2, middle + log_slope / 2
    return float(_inverse(value_type, high_end) - _inverse(value_type, low_end)) * multiplier


def _back_ratio(value_type: str, line: _Line, log_slope: float) -> float:
    middle = line.intercept + line.slope / 2
    return float(
        _inverse(value_type, middle + log_slope / 2) / _inverse(value_type, middle - log_slope / 2)
    )


def _fit(
    values: np.ndarray,
    shares: np.ndarray,
    x: np.ndarray,
    se: np.ndarray | None,
    *,
    value_type: str,
    transform: bool,
    multiplier: float,
    confidence: float,
    ci_method: str,
    repetitions: int,
    seed: int | None,
    per_unit_draws: bool,
) -> dict[str, object]:
    """The line, its point estimates and interval, on PHE's terms."""
    n = values.size
    fitted_on = _forward(value_type, values) if transform else values
    line = _line(fitted_on, shares, x)
    negative = multiplier < 0
    upper_p = 1 - (1 - confidence) / 2

    # Point estimates (R/SII_function.R: transform = FALSE, then TRUE).
    if transform:
        bottom = float(_inverse(value_type, line.intercept))
        top = float(_inverse(value_type, line.intercept + line.slope))
        sii = (top - bottom) * multiplier
        rii = top / bottom if bottom > 0 else None
        intercept = bottom * abs(multiplier)
    else:
        sii = line.slope * multiplier
        top = line.intercept + line.slope
        rii = top / line.intercept if line.intercept > 0 and top > 0 else None
        intercept = line.intercept
    if rii is not None and negative:
        rii = 1 / rii

    df: int | None = None
    rii_lower = rii_upper = None
    if ci_method == "regression":
        residuals = fitted_on - line.intercept - line.slope * x
        df = n - 2
        sigma2 = float(shares @ (residuals * residuals)) / df
        var_slope = sigma2 / line.sxx
        var_intercept = sigma2 * (1 + line.xbar**2 / line.sxx)
        cov = -sigma2 * line.xbar / line.sxx
        q = t_quantile(upper_p, df)
    else:
        assert se is not None
        var = se * se
        var_slope = float(line.c_slope**2 @ var)
        var_intercept = float(line.c_intercept**2 @ var)
        cov = float(line.c_slope * line.c_intercept @ var)
        q = _normal_quantile(upper_p)
    se_slope = math.sqrt(max(var_slope, 0.0))

    if ci_method == "simulation":
        assert se is not None
        mean = _forward(value_type, values)
        draws = _draws(mean, se, line, value_type, transform, repetitions, seed, per_unit_draws)
        (s_low, s_high), rii_limits = _simulated(
            draws,
            repetitions,
            _positions(repetitions, confidence),
            scale=1.0 if transform else multiplier,
            ratios=not transform and rii is not None,
            negative=negative,
        )
        if transform:
            limits = (_back(value_type, line, s_low, multiplier),
                      _back(value_type, line, s_high, multiplier))  # fmt: skip
            ratios = (_back_ratio(value_type, line, s_low), _back_ratio(value_type, line, s_high))
            if negative:
                limits, ratios = limits[::-1], (1 / ratios[1], 1 / ratios[0])
            ci_lower, ci_upper = limits
            if rii is not None:
                rii_lower, rii_upper = ratios
        else:
            ci_lower, ci_upper = s_low, s_high
            if rii_limits is not None:
                rii_lower, rii_upper = rii_limits
    else:
        s_low, s_high = line.slope - q * se_slope, line.slope + q * se_slope
        if transform:
            ci_lower = _back(value_type, line, s_low, multiplier)
            ci_upper = _back(value_type, line, s_high, multiplier)
        else:
            ci_lower, ci_upper = s_low * multiplier, s_high * multiplier
        if negative:
            ci_lower, ci_upper = ci_upper, ci_lower
        if rii is not None and not transform:
            # delta method for 1 + slope / intercept
            a, b = line.intercept, line.slope
            grad_a, grad_b = -b / a**2, 1 / a
            var_rii = grad_a**2 * var_intercept + grad_b**2 * var_slope + 2 * grad_a * grad_b * cov
            half = q * math.sqrt(max(var_rii, 0.0))
            plain = (a + b) / a
            rii_lower, rii_upper = plain - half, plain + half
            if negative:
                rii_lower, rii_upper = 1 / rii_upper, 1 / rii_lower
        elif rii is not None:
            rii_lower, rii_upper = (_back_ratio(value_type, line, s_low),
                                    _back_ratio(value_type, line, s_high))  # fmt: skip
            if negative:
                rii_lower, rii_upper = 1 / rii_upper, 1 / rii_lower
    return {
        "sii": sii,
        "intercept": intercept,
        "standard_error": se_slope,
        "ci_lower": ci_lower,
        "ci_upper": ci_upper,
        "rii": rii,
        "rii_ci_lower": rii_lower,
        "rii_ci_upper": rii_upper,
        "df": df,
    }


def _check_method(ci_method: str | None, repetitions: int) -> None:
    if ci_method is not None and ci_method not in CI_METHODS:
        raise ValueError(f"ci_method must be one of {', '.join(CI_METHODS)}")
    if (
        isinstance(repetitions, bool)
        or not isinstance(repetitions, int | np.integer)
        or repetitions < MIN_REPETITIONS
    ):
        raise ValueError(f"repetitions must be a whole number of at least {MIN_REPETITIONS}")


def _check_value_type(value_type: str, transform: bool) -> None:
    if value_type not in VALUE_TYPES:
        raise ValueError(f"value_type must be one of {', '.join(VALUE_TYPES)}")
    if transform and value_type == "normal":
        raise ValueError("value_type should be rate or proportion when transform is true")


def _optional(values: Sequence[object] | None, n: int, name: str) -> np.ndarray | None:
    if values is None:
        return None
    if len(values) != n:
        raise ValueError(f"{name} has {len(values)} entries for {n} values")
    return _floats(values, name)


@dataclass(frozen=True)
class _Spread:
    """What a unit's standard error comes from: given, or 95% limits (or neither)."""

    se: np.ndarray | None = None
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None

    @property
    def known(self) -> bool:
        return self.se is not None or (self.lower is not None and self.upper is not None)

    def take(self, keep: np.ndarray) -> _Spread:
        return _Spread(*(None if a is None else a[keep] for a in (self.se, self.lower, self.upper)))


def _spread(
    n: int,
    standard_errors: Sequence[object] | None,
    lower_cls: Sequence[object] | None,
    upper_cls: Sequence[object] | None,
    transform: bool,
) -> _Spread:
    if (lower_cls is None) != (upper_cls is None):
        raise ValueError("give both lower_cls and upper_cls, or neither")
    if standard_errors is not None and lower_cls is not None:
        raise ValueError("give standard_errors or confidence limits, not both")
    if transform and lower_cls is None:
        # R/SII_function.R lines 259-266: the limits are needed to transform.
        raise ValueError("transform needs lower_cls and upper_cls, not standard errors")
    return _Spread(
        _optional(standard_errors, n, "standard_errors"),
        _optional(lower_cls, n, "lower_cls"),
        _optional(upper_cls, n, "upper_cls"),
    )


def _domain_problem(value_type: str, values: np.ndarray, spread: _Spread, noun: str) -> str | None:
    """Why PHE's log or logit cannot be taken of these values or limits, if it cannot."""
    limits = [a for a in (spread.lower, spread.upper) if a is not None]
    if value_type == "rate":
        bad = int(np.count_nonzero((values <= 0) | np.any([a <= 0 for a in limits], axis=0)))
        if bad:
            return (
                f"a rate is drawn on the log scale, which needs every rate and lower limit "
                f"above zero, and {bad} {noun if bad != 1 else noun.removesuffix('s')} "
                f"{'has' if bad == 1 else 'have'} none"
            )
    if value_type == "proportion":
        outside = (values <= 0) | (values >= 1)
        for a in limits:
            outside |= (a <= 0) | (a >= 1)
        bad = int(np.count_nonzero(outside))
        if bad:
            return (
                "a proportion is drawn on the logit scale, which needs every proportion and "
                f"limit strictly between 0 and 1, and {bad} {noun} are not"
            )
    return None


def _from_units(
    groups: np.ndarray,
    indexes: np.ndarray | None,
    y: np.ndarray,
    pop: np.ndarray,
    spread: _Spread,
    *,
    unit: str,
    weighted: bool,
    ranked_by: str,
    value_type: str,
    transform: bool,
    multiplier: float,
    confidence: float,
    ci_method: str | None,
    repetitions: int,
    seed: int | None,
    per_unit_draws: bool,
    counts: dict[str, object],
) -> SiiResult:
    method = _resolved_method(ci_method, spread.known, value_type, transform)
    total = math.fsum(pop.tolist())
    n_groups = int(np.unique(groups).size)
    common: dict[str, object] = {
        "confidence": confidence,
        "ci_method": method,
        "unit": unit,
        "weighted": weighted,
        "n_units": int(y.size),
        "n_rank_groups": n_groups,
        "population": total,
        "ranked_by": ranked_by,
        "value_type": value_type,
        "transform": transform,
        "multiplier": multiplier,
        "repetitions": repetitions if method == "simulation" else None,
        "has_spread": spread.known,
        "seed": seed,
        "per_unit_draws": per_unit_draws,
        **counts,
    }
    nouns = _UNIT_NOUNS[unit]
    places = {
        "imd_score": "IMD scores",
        "imd_decile": "deprivation deciles",
        "group": "deprivation groups",
    }[ranked_by]
    if unit == "quintile":
        places = "deprivation quintiles"
    if y.size < MIN_UNITS:
        needs = (
            f"practices with a value, {_deprivation_noun(ranked_by)} and a list size"
            if unit == "practice"
            else f"{nouns} with a value and a population"
        )
        return _unavailable(
            f"it needs at least {MIN_UNITS} {needs}, as PHE's method needs at least "
            f"{MIN_UNITS} places on the deprivation scale, and there "
            f"{'is' if y.size == 1 else 'are'} {y.size}",
            **common,
        )
    if n_groups < MIN_RANK_GROUPS:
        return _unavailable(
            f"it needs {nouns} at at least {MIN_RANK_GROUPS} different {places}, as PHE's "
            f"method does, and there {'is' if n_groups == 1 else 'are'} {n_groups}",
            **common,
        )
    shares = pop / total
    x = relative_ranks(pop, groups)

    def units(se: np.ndarray | None) -> tuple[SiiUnit, ...]:
        """The units in deprivation order, with what refit needs to take them again."""
        order = np.argsort(x, kind="stable")
        _, positions = np.unique(groups, return_inverse=True)
        places = (positions.ravel() + 1) if ranked_by == "imd_score" else groups

        def column(values: np.ndarray | None) -> list:
            return [None] * order.size if values is None else values[order].tolist()

        columns = (
            places[order].tolist(),
            column(indexes),
            y[order].tolist(),
            pop[order].tolist(),
            shares[order].tolist(),
            x[order].tolist(),
            column(spread.se if se is None else se),
            column(spread.lower),
            column(spread.upper),
        )
        return tuple(
            SiiUnit(int(g), i, v, p, a, b, e, lo, hi)
            for g, i, v, p, a, b, e, lo, hi in zip(*columns, strict=True)
        )

    se = None
    if method != "regression":
        problem = _domain_problem(value_type, y, spread, nouns)
        if problem:
            return _unavailable(problem, units=units(None), **common)
        if spread.se is not None:
            se = spread.se
        else:
            assert spread.lower is not None and spread.upper is not None
            lower = _forward(value_type, spread.lower)
            upper = _forward(value_type, spread.upper)
            se = (upper - lower) / Z_95 / 2  # R/SII_function.R lines 451-459
        n_missing_se = int(np.count_nonzero(np.isnan(se)))
        if n_missing_se:
            return _unavailable(
                f"{n_missing_se} of the {y.size} {nouns} {'has' if n_missing_se == 1 else 'have'}"
                " no standard error",
                units=units(None),
                **common,
            )
        if np.any(se < 0):
            raise ValueError("standard errors cannot be negative")
    fitted = _fit(
        y,
        shares,
        x,
        se,
        value_type=value_type,
        transform=transform,
        multiplier=multiplier,
        confidence=confidence,
        ci_method=method,
        repetitions=repetitions,
        seed=seed,
        per_unit_draws=per_unit_draws,
    )
    return SiiResult(units=units(se), reason=None, **fitted, **common)  # type: ignore[arg-type]


def _resolved_method(
    ci_method: str | None, spread_known: bool, value_type: str, transform: bool
) -> str:
    """The interval's method: the one asked for, else PHE's simulation where the units have
    a spread and the regression residuals where they have none; refuses what cannot be."""
    method = ci_method or ("simulation" if spread_known else "regression")
    if method != "regression" and not spread_known:
        raise ValueError(f"ci_method={method!r} needs standard errors or confidence limits")
    if method == "regression" and transform:
        raise ValueError("transform needs confidence limits, and so PHE's simulation")
    if method == "known_se" and value_type != "normal" and not transform:
        raise ValueError("known_se needs value_type normal, or a transform")
    return method


def refit(
    result: SiiResult,
    *,
    ci_method: CiMethod | None = None,
    transform: bool = False,
    value_type: ValueType | None = None,
    repetitions: int | None = None,
) -> SiiResult:
    """The slope index of ``result``'s units fitted again with another interval method or
    transform: what the call that gave ``result`` would have given with these options,
    without its figures (England's 6,300 practices, worked out once by the default method,
    taken again by the method a person chose on the ICB's equity page).

    ``value_type`` None keeps the result's, except that a rate per registered patients
    (:func:`practices_slope_index`) is taken as that function takes it: PHE's log when
    transformed, as it is otherwise. ``repetitions`` None keeps the result's (PHE's
    default when it had none). A result with too few units or places for an SII stays
    one, by any method.
    """
    if value_type is None:
        value_type = _rate_value_type(transform) if result.per_patients else result.value_type  # type: ignore[assignment]
    assert value_type is not None
    _check_value_type(value_type, transform)
    repetitions = repetitions or result.repetitions or DEFAULT_REPETITIONS
    _check_method(ci_method, repetitions)
    method = _resolved_method(ci_method, result.has_spread, value_type, transform)
    if transform and result.units and result.units[0].lower is None:
        raise ValueError("transform needs lower_cls and upper_cls, not standard errors")
    if not result.units:  # too few units, or places, for any method
        return replace(
            result,
            ci_method=method,
            transform=transform,
            value_type=value_type,
            repetitions=repetitions if method == "simulation" else None,
        )
    units = result.units

    def column(name: str) -> np.ndarray | None:
        values = [getattr(u, name) for u in units]
        return None if values[0] is None else np.array(values, dtype=float)

    lower, upper = column("lower"), column("upper")
    spread = (
        _Spread(lower=lower, upper=upper)
        if lower is not None and upper is not None
        else _Spread(se=column("standard_error"))
    )
    indexes = None if units[0].index is None else np.array([u.index for u in units])
    counts = {
        "n_missing_value": result.n_missing_value,
        "n_missing_deprivation": result.n_missing_deprivation,
        "n_no_population": result.n_no_population,
        "input_unit": result.input_unit,
    }
    again = _from_units(
        np.array([u.group for u in units]),
        indexes,
        np.array([u.value for u in units], dtype=float),
        np.array([u.population for u in units], dtype=float),
        spread,
        unit=result.unit,
        weighted=result.weighted,
        ranked_by=result.ranked_by,
        value_type=value_type,
        transform=transform,
        multiplier=result.multiplier,
        confidence=result.confidence,
        ci_method=method,
        repetitions=repetitions,
        seed=result.seed,
        per_unit_draws=result.per_unit_draws,
        counts=counts,
    )
    return replace(again, per_patients=result.per_patients)


def _rate_value_type(transform: bool) -> ValueType:
    """How a rate per registered patients is drawn: on PHE's log scale when transformed,
    as it is otherwise (a practice with no events has a rate of 0, and 0 has no log)."""
    return "rate" if transform else "normal"


def _deprivation_noun(ranked_by: str) -> str:
    return "an IMD score" if ranked_by == "imd_score" else "a deprivation decile"


def slope_index_from_groups(
    values: Sequence[float | None] | None,
    populations: Sequence[float],
    *,
    numerators: Sequence[float | None] | None = None,
    unit: Literal["decile", "quintile"] = "decile",
    standard_errors: Sequence[float | None] | None = None,
    lower_cls: Sequence[float | None] | None = None,
    upper_cls: Sequence[float | None] | None = None,
    value_type: ValueType = "normal",
    transform: bool = False,
    multiplier: float = 1.0,
    confidence: float = 0.95,
    ci_method: CiMethod | None = None,
    repetitions: int = DEFAULT_REPETITIONS,
    seed: int | None = DEFAULT_SEED,
    per_unit_draws: bool = False,
) -> SiiResult:
    """``phe_sii`` of one area: deprivation groups already in order, most deprived first.

    One value (or, for a proportion, ``numerators`` over the populations) and population
    per group (deciles 1 to 10, say); each group is its own rank group. The spread of each
    value is its ``standard_errors`` (on the log scale for a rate, logit for a proportion,
    as PHE's ``se``) or its 95% ``lower_cls`` and ``upper_cls``. ``unit`` only names the
    groups in explanations. Groups with a missing value or a zero population are left out
    (PHE instead refuses the whole area).
    """
    if unit not in ("decile", "quintile"):
        raise ValueError("unit must be decile or quintile")
    _check_value_type(value_type, transform)
    confidence = _check_confidence(confidence)
    _check_method(ci_method, repetitions)
    pop = _weights(populations, len(populations))
    if values is None:
        if numerators is None or value_type != "proportion":
            raise ValueError("values are needed, or numerators for a proportion")
        x_counts = _floats(numerators, "numerators")
        if len(x_counts) != pop.size:
            raise ValueError(f"numerators has {len(x_counts)} entries for {pop.size} populations")
        with np.errstate(divide="ignore", invalid="ignore"):
            y = x_counts / pop
    else:
        if len(values) != len(populations):
            raise ValueError(f"populations has {len(populations)} entries for {len(values)} values")
        y = _floats(values, "values")
    spread = _spread(y.size, standard_errors, lower_cls, upper_cls, transform)
    has_value = ~np.isnan(y)
    has_pop = ~np.isnan(pop) & (pop > 0)
    keep = has_value & has_pop
    counts: dict[str, object] = {
        "n_missing_value": int(np.count_nonzero(~has_value)),
        "n_no_population": int(np.count_nonzero(has_value & ~has_pop)),
        "input_unit": unit,
    }
    return _from_units(
        np.arange(1, y.size + 1)[keep],
        None,
        y[keep],
        pop[keep],
        spread.take(keep),
        unit=unit,
        weighted=True,
        ranked_by="group",
        value_type=value_type,
        transform=transform,
        multiplier=float(multiplier),
        confidence=confidence,
        ci_method=ci_method,
        repetitions=repetitions,
        seed=seed,
        per_unit_draws=per_unit_draws,
        counts=counts,
    )


def slope_index(
    values: Sequence[float | None],
    imd_deciles: Sequence[int | None] | None = None,
    *,
    imd_scores: Sequence[float | None] | None = None,
    weights: Sequence[float | None] | None = None,
    unit: Unit = "practice",
    standard_errors: Sequence[float | None] | None = None,
    lower_cls: Sequence[float | None] | None = None,
    upper_cls: Sequence[float | None] | None = None,
    value_type: ValueType = "normal",
    transform: bool = False,
    confidence: float = 0.95,
    ci_method: CiMethod | None = None,
    repetitions: int = DEFAULT_REPETITIONS,
    seed: int | None = DEFAULT_SEED,
    per_unit_draws: bool = False,
) -> SiiResult:
    """Slope index of inequality of practices' values across IMD deprivation.

    ``values``, ``imd_scores`` (higher = more deprived) or ``imd_deciles`` (1 = most
    deprived), ``weights`` (list sizes; None counts practices equally) and the spread
    (``standard_errors`` or 95% ``lower_cls``/``upper_cls``) are aligned, one entry per
    practice. With ``imd_scores`` practices are ranked by score (ties share a place) and a
    practice with no score is left out; otherwise by decile. ``ci_method=None`` is PHE's
    simulation when a spread is given, else the regression residuals. ``unit`` "decile" or
    "quintile" first averages practices into their IMD groups (list-size weighted), which
    needs deciles. See the module docstring.
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {', '.join(UNITS)}")
    _check_value_type(value_type, transform)
    if imd_deciles is None and imd_scores is None:
        raise ValueError("slope_index needs imd_scores or imd_deciles")
    if unit != "practice" and imd_deciles is None:
        raise ValueError(f"unit={unit!r} groups practices by their IMD deciles")
    confidence = _check_confidence(confidence)
    _check_method(ci_method, repetitions)
    y = _floats(values, "values")
    if imd_deciles is not None:
        _check_lengths(values, imd_deciles)
        deciles = _deciles(imd_deciles)
    else:
        deciles = np.zeros(y.size, dtype=int)
    scores = None
    if imd_scores is not None:
        if len(imd_scores) != y.size:
            raise ValueError(f"imd_scores has {len(imd_scores)} entries for {y.size} values")
        scores = _floats(imd_scores, "imd_scores")
    w = _weights(weights, len(y))
    spread = _spread(y.size, standard_errors, lower_cls, upper_cls, transform)
    if spread.known and unit != "practice" and value_type != "normal":
        raise ValueError("deprivation groups of practices need value_type normal")

    ranked_by = "imd_score" if scores is not None and unit == "practice" else "imd_decile"
    has_value = ~np.isnan(y)
    has_place = ~np.isnan(scores) if ranked_by == "imd_score" else deciles > 0
    has_pop = ~np.isnan(w) & (w > 0)
    keep = has_value & has_place & has_pop
    counts = {
        "n_missing_value": int(np.count_nonzero(~has_value)),
        "n_missing_deprivation": int(np.count_nonzero(has_value & ~has_place)),
        "n_no_population": int(np.count_nonzero(has_value & has_place & ~has_pop)),
    }
    idx = np.flatnonzero(keep)
    y, w, spread = y[idx], w[idx], spread.take(idx)
    common = {
        "unit": unit,
        "weighted": weights is not None,
        "ranked_by": ranked_by,
        "value_type": value_type,
        "transform": transform,
        "multiplier": 1.0,
        "confidence": confidence,
        "ci_method": ci_method,
        "repetitions": repetitions,
        "seed": seed,
        "per_unit_draws": per_unit_draws,
        "counts": counts,
    }
    if unit == "practice":
        # Most deprived first: the highest score, or the lowest decile.
        keys = -scores[idx] if ranked_by == "imd_score" and scores is not None else deciles[idx]
        return _from_units(keys, idx, y, w, spread, **common)  # type: ignore[arg-type]

    # Aggregate into deprivation groups: list-size-weighted mean, total list size and,
    # for independent practices, the standard error of that weighted mean.
    keys = deciles[idx] if unit == "decile" else (deciles[idx] + 1) // 2
    se = spread.se
    if se is None and spread.lower is not None and spread.upper is not None:
        se = (spread.upper - spread.lower) / Z_95 / 2
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
    return _from_units(group_keys, None, g_y, g_pop, _Spread(g_se), **common)  # type: ignore[arg-type]


def _counts_as_rates(
    values: np.ndarray, sizes: np.ndarray, periods: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rates per 1,000 registered patients and PHE's 95% limits of each (``phe_rate``):
    a practice's figure is its mean count over ``periods`` periods, so its events are
    ``value x periods`` and its patient-periods ``list size x periods``."""
    usable = ~np.isnan(values) & (values >= 0) & ~np.isnan(sizes) & (sizes > 0)
    rates = np.full(values.size, math.nan)
    lower = np.full(values.size, math.nan)
    upper = np.full(values.size, math.nan)
    events = np.round(np.where(usable, values, 0) * periods, 9)  # means of whole counts
    exposure = np.where(usable, sizes, 1) * periods / PER_PATIENTS
    rates[usable] = values[usable] / sizes[usable] * PER_PATIENTS
    # Byar's method from 10 events, vectorised (England's 6,300 practices at once) ...
    byars = usable & (events >= 10)
    x = events[byars]
    z = Z_95
    lower[byars] = x * (1 - 1 / (9 * x) - z / (3 * np.sqrt(x))) ** 3 / exposure[byars]
    upper[byars] = (
        (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * np.sqrt(x + 1))) ** 3 / exposure[byars]
    )
    # ... and the exact limits below 10 (few distinct counts: cached).
    for i in np.flatnonzero(usable & (events < 10)):
        low, high = poisson_limits(float(events[i]))
        lower[i], upper[i] = low / exposure[i], high / exposure[i]
    return rates, lower, upper


def practices_slope_index(
    values: Sequence[float | None],
    *,
    list_sizes: Sequence[float | None],
    imd_scores: Sequence[float | None] | None = None,
    imd_deciles: Sequence[int | None] | None = None,
    counts: bool = False,
    periods: Sequence[int] | None = None,
    ci_method: CiMethod | None = None,
    transform: bool = False,
    confidence: float = 0.95,
    repetitions: int = DEFAULT_REPETITIONS,
    seed: int | None = DEFAULT_SEED,
) -> SiiResult:
    """The one way practices' figures of an item are compared across deprivation, the
    ICB's and England's alike: weighted by list size; ranked by IMD score where any
    practice has one, else by decile; a count as a rate per 1,000 registered patients,
    with PHE's simulated interval from each practice's exact Poisson or Byar's limits
    (``value_type="normal"``, as a practice with no events has a rate of 0 and 0 has no
    log; ``transform=True`` takes PHE's log of the rates instead, which needs every
    practice to have events); any other figure, having no standard error, with the
    regression residuals' interval. ``ci_method="regression"`` gives a count's rates the
    regression residuals' interval too (the only other method a rate may have here, and
    not with ``transform``). ``periods`` is how many periods each practice's figure is
    the mean of (1 each when not given)."""
    if not counts and (transform or ci_method not in (None, "regression")):
        raise ValueError(
            "only counts, as rates with PHE's limits, can be simulated or transformed: "
            "other figures have no standard error of their own"
        )
    n = len(values)
    y = _floats(values, "values")
    sizes = _weights(list_sizes, n)
    if imd_scores is not None and any(not _is_missing(s) for s in imd_scores):
        rank: dict[str, object] = {"imd_scores": imd_scores}
    else:
        rank = {"imd_deciles": [None] * n if imd_deciles is None else imd_deciles}
    if not counts:
        return slope_index(
            y.tolist(), weights=list_sizes, confidence=confidence, ci_method=ci_method,
            repetitions=repetitions, seed=seed, **rank,  # type: ignore[arg-type]
        )  # fmt: skip
    k = np.ones(n) if periods is None else _floats(periods, "periods")
    rates, lower, upper = _counts_as_rates(y, sizes, k)
    result = slope_index(
        rates.tolist(), weights=list_sizes, lower_cls=lower.tolist(),
        upper_cls=upper.tolist(), value_type=_rate_value_type(transform),
        transform=transform, confidence=confidence, ci_method=ci_method,
        repetitions=repetitions, seed=seed, **rank,  # type: ignore[arg-type]
    )  # fmt: skip
    # A figure with no list size has no rate: it was left out for want of a list size (or
    # of deprivation), not of a value, as the figures of other items are.
    if "imd_scores" in rank:
        placed = ~np.isnan(_floats(rank["imd_scores"], "imd_scores"))  # type: ignore[arg-type]
    else:
        placed = _deciles(rank["imd_deciles"]) > 0  # type: ignore[arg-type]
    unrated = ~np.isnan(y) & np.isnan(rates)
    no_place = int(np.count_nonzero(unrated & ~placed))
    no_size = int(np.count_nonzero(unrated & placed & (np.isnan(sizes) | (sizes <= 0))))
    return replace(
        result,
        per_patients=PER_PATIENTS,
        n_missing_value=result.n_missing_value - no_place - no_size,
        n_missing_deprivation=result.n_missing_deprivation + no_place,
        n_no_population=result.n_no_population + no_size,
    )


def practices_by_quintile(
    values: Sequence[float | None],
    *,
    list_sizes: Sequence[float | None],
    imd_deciles: Sequence[int | None],
    counts: bool = False,
) -> list[QuintileSummary]:
    """Practices by IMD quintile, as :func:`practices_slope_index` compares them: a count
    per 1,000 registered patients."""
    shown = rates_per_patients(values, list_sizes) if counts else values
    return by_quintile(shown, imd_deciles, weights=list_sizes)


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


def _method_sentence(result: SiiResult) -> str:
    across = _UNIT_NOUNS.get(result.unit, "practices")
    if result.input_unit != "practice":
        order, weighting = "in deprivation order", "each weighted by its population"
    else:
        order = {
            "imd_score": "ranked by IMD score (practices with the same score share one place)",
            "imd_decile": "ranked by IMD decile (practices in the same decile share one place)",
        }.get(result.ranked_by, "in deprivation order")
        if result.unit != "practice":
            order = "in deprivation order"
        if not result.weighted:
            weighting = "with every practice counted equally"
        elif result.unit == "practice":
            weighting = "each weighted by its registered list size"
        else:
            weighting = "each weighted by its practices' registered list sizes"
    return (
        "The slope index of inequality is the difference between the least and the most "
        "deprived ends of the population, read from a straight line fitted across the "
        f"{across} {order}, {weighting}."
    )


def _interval_sentence(result: SiiResult) -> str:
    pct = _percent(result.confidence)
    if result.ci_method == "regression":
        if result.has_spread:
            what = "rate" if result.per_patients else "value"
            return (
                f"The {pct} confidence interval comes from how far the "
                f"{_UNIT_NOUNS[result.input_unit]} sit from the line (regression residuals), "
                f"not from the confidence limits of each {result.input_unit}'s own {what} "
                "(PHE's simulation)."
            )
        return (
            f"The {pct} confidence interval comes from how far the practices sit from the line "
            "(regression residuals): these figures have no standard error of their own."
        )
    if result.ci_method == "known_se":
        return (
            f"The {pct} confidence interval is the normal approximation from each "
            f"{result.input_unit}'s standard error."
        )
    what = "rate" if result.per_patients else "value"
    source = (
        "its own 95% confidence limits (exact Poisson below 10 events, Byar's method from "
        "10, as PHE's phe_rate)"
        if result.per_patients
        else "its standard error"
    )
    scale = {"rate": " on the log scale", "proportion": " on the logit scale"}.get(
        result.value_type, ""
    )
    sentence = (
        f"The {pct} confidence interval is PHE's simulation (PHEindicatormethods phe_sii): "
        f"each {result.input_unit}'s {what} was redrawn {result.repetitions:,} times from "
        f"{source}{scale}, the line refitted each time, and the middle {pct} of the gaps "
        "kept."
    )
    if result.transform:
        sentence += (
            f" The line was fitted to the {_TRANSFORM_WORDS[result.value_type]} (PHE's "
            "transform), and the gap and its limits turned back into the "
            f"{what}'s own terms about the line's midpoint."
        )
    return sentence


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
        ends = _UNIT_NOUNS.get(result.unit, "practices").removeprefix("deprivation ")
        sii = result.sii
        lower, upper = result.ci_lower, result.ci_upper
        assert lower is not None and upper is not None
        ci = result.interval_name
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
        method = _method_sentence(result)
        if result.per_patients:
            method += (
                f" Counts are compared as rates per {result.per_patients:,} registered "
                "patients, so a bigger list does not make a bigger figure."
            )
        sentences.append(method)
        sentences.append(_interval_sentence(result))
    left_out = []
    if result.n_missing_value:
        left_out.append(f"{result.n_missing_value} with no value")
    if result.n_missing_deprivation:
        place = "IMD score" if result.ranked_by == "imd_score" else "deprivation decile"
        left_out.append(f"{result.n_missing_deprivation} with no {place}")
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
