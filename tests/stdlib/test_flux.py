"""assay.flux (spec stdlib/flux.md, FLUX-01..28) against the shared fake Kubernetes API server."""
from fake_k8s import TOKEN, cond, k8s, obj  # noqa: F401 (fixture)

SRC = "source.toolkit.fluxcd.io/v1"
KS = "kustomize.toolkit.fluxcd.io/v1"
HR = "helm.toolkit.fluxcd.io/v2"


def run(lua, fake, code, auth=None, url=None):
    auth = auth or '"%s"' % TOKEN
    return lua('local c = require("assay.flux").client("%s", %s)\n%s' % (url or fake.url, auth, code))


def fails(lua_fails, fake, code):
    return lua_fails('local c = require("assay.flux").client("%s", "%s")\n%s' % (fake.url, TOKEN, code))


def flux_obj(api, kind, name, ready="True", ns="flux-system", conditions=None, **status):
    status["conditions"] = conditions if conditions is not None else [cond("Ready", ready, "Succeeded")]
    return obj(api, kind, name, ns, status=status)


def test_flux_01_exposes_client(lua):
    assert lua('return type(require("assay.flux").client)') == "function"


def test_flux_02_token_and_trailing_slashes(lua, k8s):
    k8s.add(flux_obj(SRC, "GitRepository", "infra"))
    assert run(lua, k8s, 'return c:is_git_repo_ready("flux-system", "infra")', url=k8s.url + "//") is True
    req = k8s.last()
    assert req.raw_path == "/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/gitrepositories/infra"
    assert req.headers["authorization"] == "Bearer " + TOKEN


def test_flux_02_options_table_form(lua, k8s):
    """Issue 12: client(url, {token = ...})."""
    k8s.add(flux_obj(KS, "Kustomization", "apps"))
    assert run(lua, k8s, 'return c:is_kustomization_ready("flux-system", "apps")',
               auth='{ token = "%s" }' % TOKEN) is True


def test_flux_03_git_repositories(lua, k8s):
    k8s.add(flux_obj(SRC, "GitRepository", "apps"), flux_obj(SRC, "GitRepository", "infra"))
    out = run(lua, k8s, 'local l = c:git_repositories("flux-system")\n'
                        'return l.kind, #l.items, l.items[1].metadata.name, l.items[2].metadata.name')
    assert out == ("GitRepositoryList", 2, "apps", "infra")
    assert k8s.last().path == "/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/gitrepositories"


def test_flux_04_git_repository(lua, k8s):
    repo = flux_obj(SRC, "GitRepository", "infra", artifact={"revision": "main@sha1:abc123"})
    repo["spec"] = {"url": "https://github.com/example/infra", "interval": "1m"}
    k8s.add(repo)
    out = run(lua, k8s, 'local r = c:git_repository("flux-system", "infra")\n'
                        'return r.spec.url, r.status.artifact.revision, c:git_repository("flux-system", "x") == nil')
    assert out == ("https://github.com/example/infra", "main@sha1:abc123", True)


def test_flux_05_ready_after_reconciling_condition(lua, k8s):
    k8s.add(flux_obj(SRC, "GitRepository", "infra", conditions=[cond("Reconciling", "True"), cond("Ready", "True")]))
    assert run(lua, k8s, 'return c:is_git_repo_ready("flux-system", "infra")') is True


def test_flux_06_not_ready_or_missing(lua, k8s):
    k8s.add(flux_obj(SRC, "GitRepository", "bad", ready="False"),
            flux_obj(SRC, "GitRepository", "other", conditions=[cond("Reconciling", "True")]))
    out = run(lua, k8s, 'return c:is_git_repo_ready("flux-system", "bad"), c:is_git_repo_ready("flux-system", "x"), '
                        'c:is_git_repo_ready("flux-system", "other")')
    assert out == (False, False, False)


def test_flux_07_helm_repositories(lua, k8s):
    k8s.add(flux_obj(SRC, "HelmRepository", "bitnami"))
    out = run(lua, k8s, 'local l = c:helm_repositories("flux-system")\nreturn l.kind, #l.items')
    assert out == ("HelmRepositoryList", 1)
    assert k8s.last().path == "/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/helmrepositories"


def test_flux_08_helm_repository(lua, k8s):
    k8s.add(flux_obj(SRC, "HelmRepository", "bitnami"))
    out = run(lua, k8s, 'return c:helm_repository("flux-system", "bitnami").kind, '
                        'c:helm_repository("flux-system", "x") == nil')
    assert out == ("HelmRepository", True)
    assert k8s.paths()[0] == "/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/helmrepositories/bitnami"


def test_flux_09_helm_repo_ready(lua, k8s):
    k8s.add(flux_obj(SRC, "HelmRepository", "ok"), flux_obj(SRC, "HelmRepository", "bad", ready="False"))
    assert run(lua, k8s, 'return c:is_helm_repo_ready("flux-system", "ok"), c:is_helm_repo_ready("flux-system", "bad")') \
        == (True, False)


def test_flux_10_helm_charts(lua, k8s):
    k8s.add(flux_obj(SRC, "HelmChart", "flux-system-redis"))
    assert run(lua, k8s, 'return #c:helm_charts("flux-system").items') == 1
    assert k8s.last().path == "/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/helmcharts"


def test_flux_11_oci_repositories(lua, k8s):
    k8s.add(flux_obj("source.toolkit.fluxcd.io/v1beta2", "OCIRepository", "podinfo"))
    assert run(lua, k8s, 'return c:oci_repositories("flux-system").items[1].metadata.name') == "podinfo"
    assert k8s.last().path == "/apis/source.toolkit.fluxcd.io/v1beta2/namespaces/flux-system/ocirepositories"


def test_flux_12_kustomizations(lua, k8s):
    k8s.add(flux_obj(KS, "Kustomization", "apps"), flux_obj(KS, "Kustomization", "infra"))
    assert run(lua, k8s, 'return #c:kustomizations("flux-system").items') == 2
    assert k8s.last().path == "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations"


def test_flux_13_kustomization(lua, k8s):
    ks = flux_obj(KS, "Kustomization", "apps")
    ks["spec"] = {"path": "./apps/production", "prune": True}
    k8s.add(ks)
    out = run(lua, k8s, 'return c:kustomization("flux-system", "apps").spec.path, '
                        'c:kustomization("flux-system", "x") == nil')
    assert out == ("./apps/production", True)
    assert k8s.paths()[0] == "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/apps"


def test_flux_14_kustomization_ready(lua, k8s):
    k8s.add(flux_obj(KS, "Kustomization", "apps"))
    assert run(lua, k8s, 'return c:is_kustomization_ready("flux-system", "apps")') is True


def test_flux_15_kustomization_status(lua, k8s):
    k8s.add(flux_obj(KS, "Kustomization", "apps", conditions=[cond("Ready", "True", "ReconciliationSucceeded"),
                                                              cond("Healthy", "True", "Succeeded")],
                     lastAttemptedRevision="main@sha1:def456", lastAppliedRevision="main@sha1:abc123"),
            obj(KS, "Kustomization", "fresh", "flux-system"))
    out = run(lua, k8s, 'local s = c:kustomization_status("flux-system", "apps")\n'
                        'local f = c:kustomization_status("flux-system", "fresh")\n'
                        'return s.ready, s.revision, s.last_applied_revision, #s.conditions, s.conditions[1].reason, '
                        'f.ready, f.revision, f.last_applied_revision, c:kustomization_status("flux-system", "x") == nil')
    assert out == (True, "main@sha1:def456", "main@sha1:abc123", 2, "ReconciliationSucceeded", False, "", "", True)


def test_flux_16_helm_releases(lua, k8s):
    k8s.add(flux_obj(HR, "HelmRelease", "redis"), flux_obj(HR, "HelmRelease", "traefik"))
    assert run(lua, k8s, 'return #c:helm_releases("flux-system").items') == 2
    assert k8s.last().path == "/apis/helm.toolkit.fluxcd.io/v2/namespaces/flux-system/helmreleases"


def test_flux_17_helm_release(lua, k8s):
    k8s.add(flux_obj(HR, "HelmRelease", "redis"))
    out = run(lua, k8s, 'return c:helm_release("flux-system", "redis").kind, c:helm_release("flux-system", "x") == nil')
    assert out == ("HelmRelease", True)
    assert k8s.paths()[0] == "/apis/helm.toolkit.fluxcd.io/v2/namespaces/flux-system/helmreleases/redis"


def test_flux_18_helm_release_ready_after_released(lua, k8s):
    k8s.add(flux_obj(HR, "HelmRelease", "redis", conditions=[cond("Released", "True"), cond("Ready", "True")]),
            flux_obj(HR, "HelmRelease", "broken", conditions=[cond("Released", "True"), cond("Ready", "False")]))
    assert run(lua, k8s, 'return c:is_helm_release_ready("flux-system", "redis"), '
                         'c:is_helm_release_ready("flux-system", "broken")') == (True, False)


def test_flux_19_helm_release_status(lua, k8s):
    k8s.add(flux_obj(HR, "HelmRelease", "redis", lastAttemptedRevision="18.0.1", lastAppliedRevision="18.0.0"))
    out = run(lua, k8s, 'local s = c:helm_release_status("flux-system", "redis")\n'
                        'return s.ready, s.revision, s.last_applied_revision, #s.conditions, '
                        'c:helm_release_status("flux-system", "x") == nil')
    assert out == (True, "18.0.1", "18.0.0", 1, True)


def test_flux_20_alerts(lua, k8s):
    k8s.add(obj("notification.toolkit.fluxcd.io/v1beta3", "Alert", "slack", "flux-system"))
    assert run(lua, k8s, 'return #c:alerts("flux-system").items') == 1
    assert k8s.last().path == "/apis/notification.toolkit.fluxcd.io/v1beta3/namespaces/flux-system/alerts"


def test_flux_21_providers_list(lua, k8s):
    k8s.add(obj("notification.toolkit.fluxcd.io/v1beta3", "Provider", "slack", "flux-system", spec={"type": "slack"}))
    assert run(lua, k8s, 'return c:providers_list("flux-system").items[1].spec.type') == "slack"
    assert k8s.last().path == "/apis/notification.toolkit.fluxcd.io/v1beta3/namespaces/flux-system/providers"


def test_flux_22_receivers(lua, k8s):
    k8s.add(obj("notification.toolkit.fluxcd.io/v1", "Receiver", "github", "flux-system"))
    assert run(lua, k8s, 'return #c:receivers("flux-system").items') == 1
    assert k8s.last().path == "/apis/notification.toolkit.fluxcd.io/v1/namespaces/flux-system/receivers"


def test_flux_23_image_policies(lua, k8s):
    k8s.add(obj("image.toolkit.fluxcd.io/v1beta2", "ImagePolicy", "podinfo", "flux-system"))
    assert run(lua, k8s, 'return #c:image_policies("flux-system").items') == 1
    assert k8s.last().path == "/apis/image.toolkit.fluxcd.io/v1beta2/namespaces/flux-system/imagepolicies"


def test_flux_24_all_sources_ready(lua, k8s):
    k8s.add(flux_obj(SRC, "GitRepository", "apps"), flux_obj(SRC, "GitRepository", "infra"),
            flux_obj(SRC, "HelmRepository", "broken-repo", ready="False"),
            flux_obj(SRC, "HelmChart", "ignored-chart", ready="False"))
    out = run(lua, k8s, 'return c:all_sources_ready("flux-system")')
    assert out == {"ready": 2, "not_ready": 1, "total": 3, "not_ready_names": ["broken-repo"]}
    assert k8s.paths() == ["/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/gitrepositories",
                           "/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/helmrepositories"]


def test_flux_24_git_names_come_first(lua, k8s):
    k8s.add(flux_obj(SRC, "GitRepository", "zz-git", ready="False"),
            flux_obj(SRC, "HelmRepository", "aa-helm", ready="False"))
    out = run(lua, k8s, 'return c:all_sources_ready("flux-system").not_ready_names')
    assert out == ["zz-git", "aa-helm"]


def test_flux_25_all_kustomizations_ready(lua, k8s):
    k8s.add(flux_obj(KS, "Kustomization", "apps"), flux_obj(KS, "Kustomization", "infra"),
            flux_obj(KS, "Kustomization", "monitoring", ready="False"))
    out = run(lua, k8s, 'return c:all_kustomizations_ready("flux-system")')
    assert out == {"ready": 2, "not_ready": 1, "total": 3, "not_ready_names": ["monitoring"]}


def test_flux_25_list_without_items_counts_nothing(lua, k8s):
    k8s.sequence("/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/empty/kustomizations", [{"kind": "KustomizationList"}])
    out = run(lua, k8s, 'return c:all_kustomizations_ready("empty")')
    assert out == {"ready": 0, "not_ready": 0, "total": 0, "not_ready_names": []}


def test_flux_26_all_helm_releases_ready(lua, k8s):
    k8s.add(flux_obj(HR, "HelmRelease", "redis", ready="False"), flux_obj(HR, "HelmRelease", "traefik"))
    out = run(lua, k8s, 'return c:all_helm_releases_ready("flux-system")')
    assert out == {"ready": 1, "not_ready": 1, "total": 2, "not_ready_names": ["redis"]}


def test_flux_27_lists_raise_on_any_non_200(lua_fails, k8s):
    k8s.uninstall(HR)
    msg = fails(lua_fails, k8s, 'return c:helm_releases("flux-system")')
    assert "flux: LIST /apis/helm.toolkit.fluxcd.io/v2/namespaces/flux-system/helmreleases HTTP 404: " in msg
    k8s.fail("/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/gitrepositories", 500, body="boom")
    msg = fails(lua_fails, k8s, 'return c:all_sources_ready("flux-system")')
    assert "flux: LIST /apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/gitrepositories HTTP 500: boom" in msg


def test_flux_28_get_404_nil_and_errors(lua, lua_fails, k8s):
    assert run(lua, k8s, 'return c:helm_release("flux-system", "nope") == nil') is True
    k8s.fail("/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/locked", 403, body="forbidden")
    msg = fails(lua_fails, k8s, 'return c:kustomization("flux-system", "locked")')
    assert ("flux: GET /apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/locked "
            "HTTP 403: forbidden") in msg


def test_flux_both_generations(lua, k8s):
    """A 0.8.3 script (flat methods) and a 0.19 script (grouped methods) on the same fake API server."""
    k8s.add(flux_obj(SRC, "GitRepository", "infra"), flux_obj(KS, "Kustomization", "apps", ready="False"),
            flux_obj(HR, "HelmRelease", "podinfo", lastAppliedRevision="6.5.0"))
    old = run(lua, k8s, '''local ns = "flux-system"
        return {#c:git_repositories(ns).items, c:is_git_repo_ready(ns, "infra"), c:kustomization(ns, "apps").metadata.name,
        c:is_kustomization_ready(ns, "apps"), c:all_kustomizations_ready(ns).not_ready,
        c:is_helm_release_ready(ns, "podinfo"), c:helm_release_status(ns, "podinfo").ready,
        c:all_sources_ready(ns).ready, #c:alerts(ns).items, #c:receivers(ns).items}''')
    new = run(lua, k8s, '''local ns = "flux-system"
        return {#c.git_repos:list(ns).items, c.git_repos:is_ready(ns, "infra"), c.kustomizations:get(ns, "apps").metadata.name,
        c.kustomizations:is_ready(ns, "apps"), c.kustomizations:all_ready(ns).not_ready,
        c.helm_releases:is_ready(ns, "podinfo"), c.helm_releases:status(ns, "podinfo").ready,
        c.sources:all_ready(ns).ready, #c.notifications:alerts(ns).items, #c.notifications:receivers(ns).items}''')
    assert old == new == [1, True, "apps", False, 1, True, True, 1, 0, 0]
