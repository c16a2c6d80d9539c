"""Voluntary returns: the ICB opens collections; practices complete a task list, submit a
frozen snapshot, withdraw."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("returns", __name__)
