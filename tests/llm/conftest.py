import sys
from pathlib import Path

# The fake servers live in tests/ so other suites (the web service's /readyz) can use them too.
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
