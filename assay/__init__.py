"""assay — a batteries-included Lua 5.5 runtime for infrastructure scripting."""

__version__ = "0.9.0"
