"""The Tongchuan 2021 demo: a synthetic cohort and the campaign year run through the public API."""

from jieqin.demo.cohort import Cohort, CohortPlan, generate_cohort

__all__ = ["Cohort", "CohortPlan", "generate_cohort"]
