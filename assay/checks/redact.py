"""Hiding secret values in everything checks mode writes (reports, logs, termination message).

The values come from the config's `secrets:` list (environment variables) and from
credentials a check carries whatever the list says: the values of `Authorization`
and `Cookie` request headers and an argocd `token`. The policy file's `http.redact`
names (JSON keys, headers) are hidden too.
"""
import os

REDACTED = "[redacted]"
_ALWAYS_SECRET_HEADERS = ("authorization", "cookie")
_SHORTEST = 3   # shorter values would blank out ordinary words


class Redactor:
    def __init__(self, values=()):
        unique = {v for v in values if isinstance(v, str) and len(v) >= _SHORTEST}
        self.values = sorted(unique, key=len, reverse=True)   # longest first: no partial leftovers

    @classmethod
    def for_config(cls, config, environ=None):
        environ = os.environ if environ is None else environ
        values = [environ.get(name) for name in config.secrets]
        for check in config.checks:
            for key, value in check.headers.items():
                if key.lower() in _ALWAYS_SECRET_HEADERS:
                    values.append(value)
                    scheme, _, credentials = value.partition(" ")
                    values.append(credentials.strip())
            values.append(check.token)
        return cls(values)

    def __call__(self, text):
        from assay.runtime.logs import policy_redacted
        if text is None:
            return text
        for value in self.values:
            if value in text:
                text = text.replace(value, REDACTED)
        return policy_redacted(text)

    def header_value(self, name, value):
        """A request header as shown to a user: credentials always hidden."""
        if name.lower() in _ALWAYS_SECRET_HEADERS:
            return REDACTED
        return self(value)
