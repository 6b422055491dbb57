"""Lets `job.judge` import before the engine's rules/policy modules exist on this branch."""

import sys

# Until the engine's rules/policy land on this branch, `job.judge` cannot import them; these
# tests construct floors directly and never call them. Inactive once the real modules exist.
try:
    import job.judge.policy
    import job.judge.rules  # noqa: F401
except ModuleNotFoundError:
    import types

    def _missing(*args: object, **kwargs: object) -> None:
        raise NotImplementedError("job.judge.rules/policy are not on this branch yet")

    for _name, _func in (("policy", "decide"), ("rules", "run_rules")):
        _module = types.ModuleType(f"job.judge.{_name}")
        setattr(_module, _func, _missing)
        sys.modules[f"job.judge.{_name}"] = _module
