"""Run a checks config.

    run_checks(path, Options(...))   # called by assay.modes.checks; returns the exit code

Design:
- Checks run on the main thread in config order (or, with `parallel: true`, on up
  to MAX_PARALLEL worker threads; results still in config order). Every attempt
  of a script check gets a fresh Lua runtime.
- The global timeout is enforced by a watchdog thread. When it fires it takes
  the result lock, logs `global timeout exceeded`, fills every check without a
  recorded result with the timeout message, prints the report and ends the
  process with os._exit(1). Whatever the abandoned check was doing (an HTTP
  request, a busy Lua loop, a sleep inside a script, a backoff wait) stops
  with the process and can never write after the report.
- Recording a result, logging and printing the report all happen under one
  lock, so the report is always consistent: a check either finished before
  the deadline (kept) or did not (timeout message).
"""
import sys
import threading
import time

from assay.runtime.exiting import exit_now

from .report import Attempt, CheckResult, RunResult, render

MAX_PARALLEL = 16
_MAX_WAIT = 100_000_000.0  # seconds; longer timeouts are "forever" for threading


class Options:
    """The command-line switches of checks mode (all off by default: the original's behaviour)."""

    def __init__(self, fmt="json", reports=(), strict=False, dry_run=False, k8s_event=False):
        self.fmt = fmt
        self.reports = list(reports)      # (format, path) written besides stdout
        self.strict = strict
        self.dry_run = dry_run
        self.k8s_event = k8s_event


class OptionsError(ValueError):
    """A bad checks-mode command-line value (a usage error, exit 2)."""


def options_from(values):
    """Options from the parsed command line (`--report FORMAT=PATH` split and checked here)."""
    from .report import FORMATS
    reports = []
    for raw in values.get("report") or []:
        fmt, equals, path = raw.partition("=")
        if not equals or fmt not in FORMATS or not path:
            raise OptionsError("invalid value '%s' for '--report <FORMAT=PATH>': expected FORMAT=PATH with FORMAT "
                               "one of %s" % (raw, ", ".join(FORMATS)))
        reports.append((fmt, path))
    return Options(values.get("format") or "json", reports, bool(values.get("strict")),
                   bool(values.get("dry_run")), bool(values.get("k8s_event")))


def run_checks(path, options, stdout=None):
    """Load and run `path`; returns the exit code (or exits from the watchdog)."""
    from assay.runtime.logs import logger

    from .config import ConfigError, load_config
    from .redact import Redactor

    logger.info("starting assay (check mode)", config=path)
    try:
        config = load_config(path, strict=options.strict)
    except ConfigError as e:
        line = "error: loading config from %s: %s" % (path, " ".join(str(e).splitlines()))
        sys.stderr.write(line + "\n")
        from assay.runtime import termination
        termination.write(line)
        return 1
    redact = Redactor.for_config(config)
    logger.redact = redact
    for key, line, hint in config.warnings:
        logger.warn("unknown config key ignored", key=_quoted(key), line=line,
                    **({"hint": _quoted(hint)} if hint else {}))
    if options.dry_run:
        from .dryrun import dry_run
        return dry_run(config, redact, stdout or sys.stdout)
    logger.info("configuration loaded", checks=len(config.checks), timeout_secs=config.timeout_ms // 1000,
                retries=config.retries)
    try:
        from assay.runtime.signals import quiet_signals
        quiet_signals()
    except Exception:
        pass
    run = Run(path, config, options, stdout or sys.stdout, redact)
    return run.execute()


class Run:
    def __init__(self, path, config, options, stdout, redact):
        from assay.runtime.logs import logger
        self.logger = logger
        self.path = path
        self.config = config
        self.options = options
        self.redact = redact
        self.stdout = stdout
        self.lock = threading.Lock()
        self.finished = False
        self.results = [None] * len(config.checks)
        self.attempts = [[] for _ in config.checks]
        self.pending = [None] * len(config.checks)   # why an unfinished check has not passed yet
        self.started = time.time()
        self.start = time.monotonic()
        self.deadline = self.start + min(config.timeout_ms / 1000.0, _MAX_WAIT)

    # ---- driving ------------------------------------------------------------
    def execute(self):
        watchdog = threading.Thread(target=self._watch, name="assay-global-timeout", daemon=True)
        watchdog.start()
        checks = self.config.checks
        if self.config.parallel and len(checks) > 1:
            self._run_parallel()
        else:
            for index in range(len(checks)):
                self.run_check(index)
        return self.finish()

    def _run_parallel(self):
        next_index = iter(range(len(self.config.checks)))
        take = threading.Lock()

        def worker():
            while True:
                with take:
                    index = next(next_index, None)
                if index is None:
                    return
                self.run_check(index)

        workers = [threading.Thread(target=worker, name="assay-check-%d" % i, daemon=True)
                   for i in range(min(MAX_PARALLEL, len(self.config.checks)))]
        for w in workers:
            w.start()
        for w in workers:
            w.join()

    def _watch(self):
        while True:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                self.expire()
                return
            time.sleep(min(remaining, 3600.0))

    def run_check(self, index):
        check = self.config.checks[index]
        if check.stable_for is not None or check.consecutive is not None:
            return self.run_until_stable(index)
        retries = check.retries if check.retries is not None else self.config.retries
        max_attempts = retries + 1
        outcome, duration_ms = None, 0
        for number in range(1, max_attempts + 1):
            outcome, duration_ms = self.attempt(index)
            if outcome.passed or outcome.final or number == max_attempts:
                break
            wait_ms = self.wait_ms(check, number)
            self.log_retry(check, number, max_attempts, wait_ms, outcome.message)
            self.sleep(wait_ms / 1000.0)
        self.record(index, CheckResult(check.name, check.type, outcome.passed, duration_ms, outcome.message,
                                       list(self.attempts[index]), max_attempts=max_attempts))

    def run_until_stable(self, index):
        """Attempts until `consecutive` passes in a row that span `stable_for` (or the deadline)."""
        check = self.config.checks[index]
        needed = check.consecutive or 1
        needed_ms = check.stable_for or 0
        streak, streak_start = 0, None
        wait_ms = self.stable_wait_ms(check)
        while True:
            began = time.monotonic()
            outcome, duration_ms = self.attempt(index)
            if not outcome.passed:
                streak = 0
                if outcome.final:
                    break
                self.pending[index] = outcome.message
                self.log_retry(check, len(self.attempts[index]), 0, wait_ms, outcome.message)
            else:
                if streak == 0:
                    streak_start = began
                streak += 1
                span_ms = int((time.monotonic() - streak_start) * 1000)
                if streak >= needed and span_ms >= needed_ms:
                    break
                self.pending[index] = ("not stable yet: %d of %d consecutive passes over %s of %s"
                                       % (streak, needed, _duration_text(span_ms), _duration_text(needed_ms)))
                with self.lock:
                    if self.finished:
                        return
                    self.logger.info("check passing, waiting until stable", check=_quoted(check.name),
                                     streak=streak, consecutive=needed, stable_ms=span_ms)
            self.sleep(wait_ms / 1000.0)
        self.record(index, CheckResult(check.name, check.type, outcome.passed, duration_ms, outcome.message,
                                       list(self.attempts[index])))

    def attempt(self, index):
        """One attempt of check `index`, remembered; (outcome, duration_ms)."""
        self.check_deadline()
        began = time.monotonic()
        outcome = attempt(self.config.checks[index])
        duration_ms = int((time.monotonic() - began) * 1000)
        self.attempts[index].append(Attempt(outcome.passed, duration_ms, outcome.message))
        if not outcome.passed:
            self.pending[index] = outcome.message
        return outcome, duration_ms

    def wait_ms(self, check, number):
        """The wait after failed attempt `number`: the check's own interval/backoff first."""
        if check.interval is not None:
            return check.interval
        if check.backoff is not None:
            return check.backoff * number
        if self.config.interval_ms is not None:
            return self.config.interval_ms
        return self.config.backoff_ms * number

    def max_attempts(self, check):
        if check.stable_for is not None or check.consecutive is not None:
            return None
        return (check.retries if check.retries is not None else self.config.retries) + 1

    def stable_wait_ms(self, check):
        for value in (check.interval, check.backoff, self.config.interval_ms):
            if value is not None:
                return value
        return self.config.backoff_ms

    def log_retry(self, check, number, max_attempts, wait_ms, message):
        with self.lock:
            if self.finished:
                threading.Event().wait()  # the watchdog is ending the process
            fields = {"check": _quoted(check.name), "attempt": number}
            if max_attempts:
                fields["max_attempts"] = max_attempts
            fields.update({"backoff_secs": wait_ms // 1000, "message": _quoted(message or "")})
            _log_info(self.logger, "check failed, retrying", fields)

    def check_deadline(self):
        if time.monotonic() >= self.deadline:
            self.expire()

    def sleep(self, seconds):
        until = time.monotonic() + seconds
        while True:
            now = time.monotonic()
            if now >= self.deadline:
                self.expire()
            if now >= until:
                return
            time.sleep(min(until, self.deadline) - now)

    # ---- results (all under the lock) ----------------------------------------
    def record(self, index, result):
        with self.lock:
            if self.finished:
                return
            if time.monotonic() >= self.deadline:
                self._expire_locked()
            self.results[index] = result
            self.logger.info("check completed", check=_quoted(result.name),
                             result=_quoted("PASS" if result.passed else "FAIL"), duration_ms=result.duration_ms)

    def expire(self):
        """The global timeout: report what is recorded, time out the rest, exit 1."""
        with self.lock:
            if self.finished or all(r is not None for r in self.results):
                return  # nothing left to time out: the run ends normally
            self._expire_locked()

    def _expire_locked(self):
        self.finished = True
        seconds = self.config.timeout_ms // 1000
        self.logger.error("global timeout exceeded", timeout_secs=seconds)
        message = "global timeout of %ds exceeded" % seconds
        try:
            for index, check in enumerate(self.config.checks):
                if self.results[index] is None:
                    # a check that already failed keeps what it last saw: the real reason
                    text = message if self.pending[index] is None else \
                        "%s (then: %s)" % (self.pending[index], message)
                    self.results[index] = CheckResult(check.name, check.type, False, 0, text,
                                                      list(self.attempts[index]), timed_out=True,
                                                      max_attempts=self.max_attempts(check))
            self._emit()
        except Exception as e:  # never a traceback from the watchdog thread
            sys.stderr.write("error: internal error: %s: %s\n" % (type(e).__name__, e))
        finally:
            exit_now(1)

    def finish(self):
        with self.lock:
            if self.finished:  # the watchdog is exiting the process
                threading.Event().wait()
            if time.monotonic() >= self.deadline and any(r is None for r in self.results):
                self._expire_locked()
            self.finished = True
            run = self._emit()
        return 0 if run.passed else 1

    def _emit(self):
        duration_ms = int((time.monotonic() - self.start) * 1000)
        settings = {"timeout": _duration_text(self.config.timeout_ms), "retries": self.config.retries,
                    "backoff": _duration_text(self.config.backoff_ms), "parallel": self.config.parallel}
        run = RunResult(self.path, list(self.results), duration_ms, self.started, settings).redacted(self.redact)
        text = render(run, self.options.fmt)
        self._write(text)
        from . import verdict
        verdict.publish(run, self.options, self.logger)
        return run

    def _write(self, text):
        out = getattr(self.stdout, "buffer", None)
        if out is not None:
            self.stdout.flush()
            out.write(text.encode("utf-8", "replace"))
            out.flush()
        else:
            self.stdout.write(text)
            self.stdout.flush()


def attempt(check):
    """One attempt of `check`; any unexpected failure becomes a failed attempt."""
    from .outcome import Outcome
    try:
        if check.type == "http":
            from . import http_check
            return http_check.run(check)
        if check.type == "prometheus":
            from . import prometheus_check
            return prometheus_check.run(check)
        if check.type == "script":
            from . import script_check
            return script_check.run(check)
        if check.type == "tcp":
            from . import tcp_check
            return tcp_check.run(check)
        from . import rollout_checks
        return rollout_checks.run(check)
    except Exception as e:
        return Outcome(False, "internal error: %s: %s" % (type(e).__name__, e))


def _log_info(logger, text, fields):
    """logger.info with a field called `message` (a keyword the logger's own signature takes)."""
    from assay.runtime.logs import INFO
    if logger.enabled(INFO):
        sys.stderr.write(logger.format(INFO, text, fields) + "\n")
        sys.stderr.flush()


def _quoted(text):
    from assay.runtime.logs import quoted
    return quoted(text)


def _duration_text(ms):
    if ms % 60000 == 0 and ms:
        return "%dm" % (ms // 60000)
    if ms % 1000 == 0:
        return "%ds" % (ms // 1000)
    return "%dms" % ms
