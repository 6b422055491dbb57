"""Errors that stop an analysis; the CLI maps them to exit codes, the server to HTTP status."""


class AnalysisError(Exception):
    """The analysis could not run (files or cluster unreadable). Exit 4, HTTP 5xx."""


class InputError(Exception):
    """The request itself is wrong (contradicting or missing options). Exit 2, HTTP 400."""
