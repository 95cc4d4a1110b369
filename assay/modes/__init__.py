"""How a run is carried out, one module per mode.

    script  `assay FILE.lua`, `run`, `exec`: run a chunk, report an error, exit
    tool    one JSON envelope for a calling program, approval state, `assay resume`
    checks  `assay FILE.yaml`: the checks runner, its report, its exit code

The CLI parses argv and calls one of these; every mode leaves the process through
`assay.runtime.exiting.exit_now` (or returns its code to the CLI), and installs the
quiet Ctrl-C/SIGTERM handling from `assay.runtime.signals`.
"""
