"""Random durations have the mean and coefficient of variation the scenario gives.

Found by mutation testing (docs/testing.md): the lognormal's parameters (sorting
service, pickup delay, bus lateness) were never checked against its mean and cv.
One million draws: the sample mean's standard error is cv x mean / 1000, so the
checks below (within 5 standard errors) see a 0.5% bias in the mean.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.streams import draw_positive

N = 1_000_000


@pytest.mark.parametrize(("mean", "cv"), [(2.0, 0.5), (10.0, 1.0), (0.3, 2.0)])
def test_lognormal_has_the_given_mean_and_cv(mean, cv):
    x = draw_positive(np.random.default_rng(1), "lognormal", mean, cv, N)
    assert (x > 0).all()
    assert abs(x.mean() - mean) < 5 * cv * mean / np.sqrt(N)
    # log x is normal with variance log(1 + cv^2): its sample variance has standard
    # error about sigma^2 sqrt(2 / N).
    sigma2 = np.log1p(cv**2)
    assert abs(np.log(x).var() - sigma2) < 5 * sigma2 * np.sqrt(2 / N)


def test_exponential_and_deterministic():
    x = draw_positive(np.random.default_rng(2), "exponential", 3.0, 0.0, N)
    assert abs(x.mean() - 3.0) < 5 * 3.0 / np.sqrt(N)
    assert abs(x.std() - 3.0) < 0.02 * 3.0  # cv 1, whatever cv is given
    np.testing.assert_array_equal(draw_positive(None, "deterministic", 1.5, 0.7, 4), 1.5)


def test_unknown_distribution_is_named():
    with pytest.raises(ValueError, match="unknown distribution 'gamma'"):
        draw_positive(np.random.default_rng(3), "gamma", 1.0, 0.5, 3)
