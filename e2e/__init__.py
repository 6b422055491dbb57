"""End-to-end demo on kind: Argo Rollouts + rollouts-demo + Ollama + rollouts-ai-job.

The pure parts (pins, scenario logic, manifest rendering, summaries, preflight) are plain
modules unit-tested in tests/test_e2e_static.py; `stack.py` and the tests drive a real cluster.
"""
