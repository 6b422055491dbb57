"""rollouts-ai-job: judge an Argo Rollouts canary against its stable version."""

__version__ = "0.1.0"
