"""The rules of the product, with no Flask imports: callers pass the session and the user."""
