"""Small-number suppression: the one rule for when a figure across practices is shown.

A median of one or two practices would show those practices' own figures, so wherever a
statistic summarises several practices (ICB medians and quartiles, PCN trend points,
deprivation quintiles, PCN medians), fewer than `MIN_PRACTICES` contributing practices
means the page gives only the count.
"""

MIN_PRACTICES = 3
"""Fewest contributing practices for a median, quartiles, a quintile or a PCN trend point."""


def enough(practices: int) -> bool:
    return practices >= MIN_PRACTICES
