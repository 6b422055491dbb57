from tests.kube.conftest import cluster  # noqa: F401  (a fake API server for the Event)
