"""Presenters: turn service results into what a page shows — labels, alt text, verdict
sentences, flash messages — so templates and blueprints hold no wording logic and no
statistics. One module per page family."""
