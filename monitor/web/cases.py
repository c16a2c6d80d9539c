"""Case examples: practices write them, keep them private or share them with the PCN or
across the ICB; PCN leads and ICB analysts browse what is shared."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("cases", __name__)
