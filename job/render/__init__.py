"""Every way a Verdict leaves the process: the HTML report (html.py, svg.py) and its store (store.py)."""
