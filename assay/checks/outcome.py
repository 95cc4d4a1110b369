"""What one attempt of a check returns."""
from dataclasses import dataclass


@dataclass
class Outcome:
    passed: bool
    message: str = None
    final: bool = False  # a configuration failure: retrying cannot help


def config_failure(message):
    return Outcome(False, message, final=True)
