"""assay.velero (spec stdlib/velero.md, VELERO-01..24) against the shared fake Kubernetes API server."""
from fake_k8s import TOKEN, k8s, k8s_tls, obj  # noqa: F401 (fixtures)

VELERO = "velero.io/v1"
B = "/apis/velero.io/v1/namespaces/velero"


def run(lua, fake, code, args=None, url=None):
    args = args or '"%s"' % TOKEN
    return lua('local c = require("assay.velero").client("%s", %s)\n%s' % (url or fake.url, args, code))


def fails(lua_fails, fake, code):
    return lua_fails('local c = require("assay.velero").client("%s", "%s")\n%s' % (fake.url, TOKEN, code))


def v(kind, name, ns="velero", labels=None, created=None, **status):
    meta = {"labels": labels or {}}
    if created:
        meta["creationTimestamp"] = created
    return obj(VELERO, kind, name, ns, metadata=meta, spec={}, status=status)


def test_velero_01_exposes_client(lua):
    assert lua('return type(require("assay.velero").client)') == "function"


def test_velero_02_token_and_trailing_slashes(lua, k8s):
    k8s.add(v("Backup", "nightly", phase="Completed"))
    out = run(lua, k8s, 'return c:is_backup_completed("nightly"), c.url, c.token, c.namespace', url=k8s.url + "//")
    assert out == (True, k8s.url, TOKEN, "velero")
    req = k8s.last()
    assert req.raw_path == B + "/backups/nightly"
    assert req.headers["authorization"] == "Bearer " + TOKEN


def test_velero_02_options_table_form(lua, k8s):
    """Issue 12: client(url, {token = ..., namespace = ...})."""
    k8s.add(v("Backup", "nightly", ns="backup-system", phase="Completed"))
    out = run(lua, k8s, 'return c:backup("nightly").metadata.namespace, c.namespace',
              args='{ token = "%s", namespace = "backup-system" }' % TOKEN)
    assert out == ("backup-system", "backup-system")
    assert k8s.last().path == "/apis/velero.io/v1/namespaces/backup-system/backups/nightly"


def test_velero_02_ca_cert_option(lua, k8s_tls):
    k8s_tls.add(v("Schedule", "daily", phase="Enabled"))
    out = lua('local c = require("assay.velero").client("%s", { token = "%s", ca_cert = [[%s]] })\n'
              'return c:is_schedule_enabled("daily")' % (k8s_tls.url, TOKEN, k8s_tls.ca_pem))
    assert out is True


def test_velero_03_backups(lua, k8s):
    k8s.add(v("Backup", "a"), v("Backup", "b"), v("Backup", "elsewhere", ns="other"))
    out = run(lua, k8s, 'local b = c:backups()\nreturn #b, b[1].metadata.name, b[2].metadata.name')
    assert out == (2, "a", "b")
    assert k8s.last().path == B + "/backups"


def test_velero_03_backups_404_is_empty(lua, k8s):
    k8s.uninstall(VELERO)
    assert run(lua, k8s, 'return #c:backups(), #c:schedules(), c:all_bsl_available().total') == (0, 0, 0)


def test_velero_04_backup(lua, k8s):
    k8s.add(v("Backup", "nightly", phase="Completed"))
    out = run(lua, k8s, 'return c:backup("nightly").status.phase, c:backup("nope") == nil')
    assert out == ("Completed", True)
    assert k8s.paths() == [B + "/backups/nightly", B + "/backups/nope"]


def test_velero_05_backup_status(lua, k8s):
    k8s.add(v("Backup", "nightly", phase="Completed", startTimestamp="2026-01-01T02:00:00Z",
              completionTimestamp="2026-01-01T02:05:00Z", expiration="2026-01-31T02:00:00Z", errors=0, warnings=2,
              itemsBackedUp=142, totalItems=150))
    out = run(lua, k8s, 'return c:backup_status("nightly")')
    assert out == {"phase": "Completed", "started": "2026-01-01T02:00:00Z", "completed": "2026-01-01T02:05:00Z",
                   "expiration": "2026-01-31T02:00:00Z", "errors": 0, "warnings": 2, "items_backed_up": 142,
                   "items_total": 150}


def test_velero_05_backup_status_progress_and_defaults(lua, k8s):
    """Spec Note: real Velero reports item counts under status.progress."""
    k8s.add(v("Backup", "real", phase="InProgress", progress={"itemsBackedUp": 10, "totalItems": 40}),
            v("Backup", "new"))
    out = run(lua, k8s, 'local a = c:backup_status("real")\nlocal b = c:backup_status("new")\n'
                        'return a.items_backed_up, a.items_total, b.errors, b.warnings, b.items_backed_up, b.phase')
    assert out == (10, 40, 0, 0, 0, None)


def test_velero_06_backup_status_missing(lua_fails, k8s):
    assert "velero: backup ghost not found" in fails(lua_fails, k8s, 'return c:backup_status("ghost")')


def test_velero_07_backup_completed(lua, k8s):
    k8s.add(v("Backup", "done", phase="Completed"), v("Backup", "running", phase="InProgress"))
    assert run(lua, k8s, 'return c:is_backup_completed("done"), c:is_backup_completed("running"), '
                         'c:is_backup_completed("ghost")') == (True, False, False)


def test_velero_08_backup_failed(lua, k8s):
    k8s.add(v("Backup", "f", phase="Failed"), v("Backup", "pf", phase="PartiallyFailed"),
            v("Backup", "ok", phase="Completed"))
    assert run(lua, k8s, 'return c:is_backup_failed("f"), c:is_backup_failed("pf"), c:is_backup_failed("ok"), '
                         'c:is_backup_failed("ghost")') == (True, True, False, False)


def test_velero_09_latest_backup(lua, k8s):
    label = {"velero.io/schedule-name": "daily"}
    k8s.add(v("Backup", "daily-1", labels=label, created="2026-01-01T02:00:00Z"),
            v("Backup", "daily-3", labels=label, created="2026-01-03T02:00:00Z"),
            v("Backup", "daily-2", labels=label, created="2026-01-02T02:00:00Z"),
            v("Backup", "weekly-9", labels={"velero.io/schedule-name": "weekly"}, created="2026-02-01T00:00:00Z"))
    assert run(lua, k8s, 'return c:latest_backup("daily").metadata.name') == "daily-3"


def test_velero_10_latest_backup_none(lua, k8s):
    k8s.add(v("Backup", "manual"))
    assert run(lua, k8s, 'return c:latest_backup("daily") == nil') is True


def test_velero_11_restores(lua, k8s):
    k8s.add(v("Restore", "r1", phase="Completed"))
    out = run(lua, k8s, 'return #c:restores(), c:restore("r1").status.phase, c:restore("nope") == nil')
    assert out == (1, "Completed", True)
    assert k8s.paths() == [B + "/restores", B + "/restores/r1", B + "/restores/nope"]


def test_velero_12_restore_status(lua, lua_fails, k8s):
    k8s.add(v("Restore", "r1", phase="PartiallyFailed", startTimestamp="s", completionTimestamp="e", errors=3,
              warnings=1), v("Restore", "r2"))
    out = run(lua, k8s, 'return c:restore_status("r1"), c:restore_status("r2")')
    assert out[0] == {"phase": "PartiallyFailed", "started": "s", "completed": "e", "errors": 3, "warnings": 1}
    assert out[1] == {"errors": 0, "warnings": 0}
    assert "velero: restore ghost not found" in fails(lua_fails, k8s, 'return c:restore_status("ghost")')


def test_velero_13_restore_completed(lua, k8s):
    k8s.add(v("Restore", "done", phase="Completed"), v("Restore", "busy", phase="InProgress"))
    assert run(lua, k8s, 'return c:is_restore_completed("done"), c:is_restore_completed("busy"), '
                         'c:is_restore_completed("ghost")') == (True, False, False)


def test_velero_14_schedules(lua, k8s):
    k8s.add(v("Schedule", "daily", phase="Enabled"))
    out = run(lua, k8s, 'return #c:schedules(), c:schedule("daily").status.phase, c:schedule("nope") == nil')
    assert out == (1, "Enabled", True)
    assert k8s.paths() == [B + "/schedules", B + "/schedules/daily", B + "/schedules/nope"]


def test_velero_15_schedule_status(lua, lua_fails, k8s):
    k8s.add(v("Schedule", "daily", phase="Enabled", lastBackup="2026-01-03T02:00:00Z"),
            v("Schedule", "bad", phase="FailedValidation", validationErrors=["invalid schedule"]))
    out = run(lua, k8s, 'local a = c:schedule_status("daily")\nlocal b = c:schedule_status("bad")\n'
                        'return a.phase, a.last_backup, #a.validation_errors, b.validation_errors[1]')
    assert out == ("Enabled", "2026-01-03T02:00:00Z", 0, "invalid schedule")
    assert "velero: schedule ghost not found" in fails(lua_fails, k8s, 'return c:schedule_status("ghost")')


def test_velero_16_schedule_enabled(lua, k8s):
    k8s.add(v("Schedule", "on", phase="Enabled"), v("Schedule", "off", phase="FailedValidation"))
    assert run(lua, k8s, 'return c:is_schedule_enabled("on"), c:is_schedule_enabled("off"), '
                         'c:is_schedule_enabled("ghost")') == (True, False, False)


def test_velero_17_backup_storage_locations(lua, k8s):
    k8s.add(v("BackupStorageLocation", "default", phase="Available"))
    out = run(lua, k8s, 'return #c:backup_storage_locations(), c:backup_storage_location("default").status.phase, '
                        'c:backup_storage_location("nope") == nil')
    assert out == (1, "Available", True)
    assert k8s.paths() == [B + "/backupstoragelocations", B + "/backupstoragelocations/default",
                           B + "/backupstoragelocations/nope"]


def test_velero_18_bsl_available(lua, k8s):
    k8s.add(v("BackupStorageLocation", "default", phase="Available"),
            v("BackupStorageLocation", "secondary", phase="Unavailable"))
    assert run(lua, k8s, 'return c:is_bsl_available("default"), c:is_bsl_available("secondary"), '
                         'c:is_bsl_available("ghost")') == (True, False, False)


def test_velero_19_volume_snapshot_locations(lua, k8s):
    k8s.add(v("VolumeSnapshotLocation", "aws-default"))
    out = run(lua, k8s, 'return #c:volume_snapshot_locations(), c:volume_snapshot_location("aws-default").kind, '
                        'c:volume_snapshot_location("nope") == nil')
    assert out == (1, "VolumeSnapshotLocation", True)
    assert k8s.paths() == [B + "/volumesnapshotlocations", B + "/volumesnapshotlocations/aws-default",
                           B + "/volumesnapshotlocations/nope"]


def test_velero_20_backup_repositories(lua, k8s):
    k8s.add(v("BackupRepository", "default-kopia", phase="Ready"))
    out = run(lua, k8s, 'return #c:backup_repositories(), c:backup_repository("default-kopia").status.phase, '
                        'c:backup_repository("nope") == nil')
    assert out == (1, "Ready", True)
    assert k8s.paths() == [B + "/backuprepositories", B + "/backuprepositories/default-kopia",
                           B + "/backuprepositories/nope"]


def test_velero_21_all_schedules_enabled(lua, k8s):
    k8s.add(v("Schedule", "a-daily", phase="Enabled"), v("Schedule", "broken-schedule", phase="FailedValidation"),
            v("Schedule", "weekly", phase="Enabled"))
    out = run(lua, k8s, 'return c:all_schedules_enabled()')
    assert out == {"enabled": 2, "disabled": 1, "total": 3, "disabled_names": ["broken-schedule"]}


def test_velero_22_all_bsl_available(lua, k8s):
    k8s.add(v("BackupStorageLocation", "default", phase="Available"),
            v("BackupStorageLocation", "secondary", phase="Unavailable"))
    out = run(lua, k8s, 'return c:all_bsl_available()')
    assert out == {"available": 1, "unavailable": 1, "total": 2, "unavailable_names": ["secondary"]}


def test_velero_23_namespace_argument(lua, k8s):
    k8s.add(v("Backup", "b1", ns="custom-ns"))
    out = run(lua, k8s, 'return #c:backups(), c.namespace', args='"%s", "custom-ns"' % TOKEN)
    assert out == (1, "custom-ns")
    assert k8s.last().path == "/apis/velero.io/v1/namespaces/custom-ns/backups"


def test_velero_24_get_errors(lua_fails, k8s):
    k8s.fail(B + "/backups/locked", 403, body="forbidden")
    msg = fails(lua_fails, k8s, 'return c:backup("locked")')
    assert "velero: GET " + B + "/backups/locked HTTP 403: forbidden" in msg
    k8s.fail(B + "/schedules", 500, body="boom")
    msg = fails(lua_fails, k8s, 'return c:schedules()')
    assert "velero: GET " + B + "/schedules HTTP 500: boom" in msg


def test_velero_both_generations(lua, k8s):
    """A 0.8.3 script (flat methods) and a 0.19 script (grouped methods) on the same fake API server."""
    k8s.add(v("Backup", "nightly-1", labels={"velero.io/schedule-name": "nightly"}, phase="Completed"),
            v("Schedule", "nightly", phase="Enabled"), v("BackupStorageLocation", "default", phase="Available"),
            v("Restore", "r1", phase="Completed"))
    old = run(lua, k8s, '''return {#c:backups(), c:backup("nightly-1").metadata.name, c:is_backup_completed("nightly-1"),
        c:is_backup_failed("nightly-1"), c:latest_backup("nightly").metadata.name, c:is_restore_completed("r1"),
        c:is_schedule_enabled("nightly"), c:all_schedules_enabled().enabled, c:is_bsl_available("default"),
        c:all_bsl_available().available, #c:volume_snapshot_locations(), #c:backup_repositories()}''')
    new = run(lua, k8s, '''return {#c.backups:list(), c.backups:get("nightly-1").metadata.name,
        c.backups:is_completed("nightly-1"), c.backups:is_failed("nightly-1"), c.backups:latest("nightly").metadata.name,
        c.restores:is_completed("r1"), c.schedules:is_enabled("nightly"), c.schedules:all_enabled().enabled,
        c.storage_locations:is_available("default"), c.storage_locations:all_available().available,
        #c.volume_snapshots:list(), #c.repositories:list()}''')
    assert old == new == [1, "nightly-1", True, False, "nightly-1", True, True, 1, True, 1, 0, 0]
