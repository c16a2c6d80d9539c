"""The ICB's view across practices: completeness, distributions, PCN aggregates, the equity
lens, spending mix and the ICB workbook; the PCN lead's page."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("icb", __name__)
