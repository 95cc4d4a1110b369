"""assay.crossplane (spec stdlib/crossplane.md, CROSSPLANE-01..30) against the shared fake
Kubernetes API server."""
from fake_k8s import TOKEN, cond, k8s, obj  # noqa: F401 (fixture)

PKG = "pkg.crossplane.io/v1"
XP = "apiextensions.crossplane.io/v1"


def run(lua, fake, code, auth=None, url=None):
    auth = auth or '"%s"' % TOKEN
    return lua('local c = require("assay.crossplane").client("%s", %s)\n%s' % (url or fake.url, auth, code))


def fails(lua_fails, fake, code):
    return lua_fails('local c = require("assay.crossplane").client("%s", "%s")\n%s' % (fake.url, TOKEN, code))


def pkg(kind, name, healthy="True", installed="True", api=PKG, **status):
    status["conditions"] = [cond("Installed", installed), cond("Healthy", healthy)]
    return obj(api, kind, name, spec={"package": "xpkg.upbound.io/example/%s:v1.0.0" % name}, status=status)


def xrd(name, established="True"):
    return obj(XP, "CompositeResourceDefinition", name, spec={"group": "example.org"},
               status={"conditions": [cond("Offered", "True"), cond("Established", established)]})


def test_crossplane_01_exposes_client(lua):
    assert lua('return type(require("assay.crossplane").client)') == "function"


def test_crossplane_02_token_and_trailing_slashes(lua, k8s):
    k8s.add(pkg("Provider", "provider-aws"))
    assert run(lua, k8s, 'return c:is_provider_healthy("provider-aws")', url=k8s.url + "///") is True
    req = k8s.last()
    assert req.raw_path == "/apis/pkg.crossplane.io/v1/providers/provider-aws"
    assert req.headers["authorization"] == "Bearer " + TOKEN


def test_crossplane_02_options_table_form(lua, k8s):
    """Issue 12: client(url, {token = ...})."""
    k8s.add(pkg("Provider", "provider-aws"))
    assert run(lua, k8s, 'return c:provider("provider-aws").kind', auth='{ token = "%s" }' % TOKEN) == "Provider"
    assert k8s.last().headers["authorization"] == "Bearer " + TOKEN


def test_crossplane_03_providers(lua, k8s):
    k8s.add(pkg("Provider", "provider-aws"), pkg("Provider", "provider-gcp"))
    out = run(lua, k8s, 'local l = c:providers()\n'
                        'return l.kind, #l.items, l.items[1].metadata.name, l.items[2].metadata.name')
    assert out == ("ProviderList", 2, "provider-aws", "provider-gcp")
    assert k8s.last().path == "/apis/pkg.crossplane.io/v1/providers"


def test_crossplane_04_provider(lua, k8s):
    k8s.add(pkg("Provider", "provider-aws", currentRevision="provider-aws-abc123"))
    out = run(lua, k8s, 'return c:provider("provider-aws").status.currentRevision, c:provider("nope") == nil')
    assert out == ("provider-aws-abc123", True)
    assert k8s.paths() == ["/apis/pkg.crossplane.io/v1/providers/provider-aws", "/apis/pkg.crossplane.io/v1/providers/nope"]


def test_crossplane_05_provider_healthy(lua, k8s):
    k8s.add(pkg("Provider", "good"), pkg("Provider", "bad", healthy="False"))
    assert run(lua, k8s, 'return c:is_provider_healthy("good"), c:is_provider_healthy("bad")') == (True, False)


def test_crossplane_06_provider_installed(lua, k8s):
    k8s.add(pkg("Provider", "done"), pkg("Provider", "pulling", installed="False"))
    assert run(lua, k8s, 'return c:is_provider_installed("done"), c:is_provider_installed("pulling"), '
                         'c:is_provider_installed("nope")') == (True, False, False)


def test_crossplane_07_provider_status(lua, k8s):
    k8s.add(pkg("Provider", "provider-aws", healthy="False", currentRevision="provider-aws-abc123"))
    out = run(lua, k8s, 'local s = c:provider_status("provider-aws")\n'
                        'return s.installed, s.healthy, s.current_revision, #s.conditions')
    assert out == (True, False, "provider-aws-abc123", 2)


def test_crossplane_08_provider_status_missing(lua_fails, k8s):
    msg = fails(lua_fails, k8s, 'return c:provider_status("provider-nope")')
    assert "crossplane: provider not found: provider-nope" in msg


def test_crossplane_09_provider_revisions(lua, k8s):
    k8s.add(obj(PKG, "ProviderRevision", "provider-aws-abc123", spec={"desiredState": "Active"}))
    assert run(lua, k8s, 'return c:provider_revisions().items[1].spec.desiredState') == "Active"
    assert k8s.last().path == "/apis/pkg.crossplane.io/v1/providerrevisions"


def test_crossplane_10_provider_revision(lua, k8s):
    k8s.add(obj(PKG, "ProviderRevision", "provider-aws-abc123", spec={"desiredState": "Inactive"}))
    out = run(lua, k8s, 'return c:provider_revision("provider-aws-abc123").spec.desiredState, '
                        'c:provider_revision("nope") == nil')
    assert out == ("Inactive", True)
    assert k8s.paths()[0] == "/apis/pkg.crossplane.io/v1/providerrevisions/provider-aws-abc123"


def test_crossplane_11_configurations(lua, k8s):
    k8s.add(pkg("Configuration", "platform-ref"))
    out = run(lua, k8s, 'local l = c:configurations()\nreturn l.kind, #l.items')
    assert out == ("ConfigurationList", 1)
    assert k8s.last().path == "/apis/pkg.crossplane.io/v1/configurations"


def test_crossplane_12_configuration(lua, k8s):
    k8s.add(pkg("Configuration", "platform-ref"))
    out = run(lua, k8s, 'return c:configuration("platform-ref").kind, c:configuration("nope") == nil')
    assert out == ("Configuration", True)
    assert k8s.paths()[0] == "/apis/pkg.crossplane.io/v1/configurations/platform-ref"


def test_crossplane_13_configuration_healthy(lua, k8s):
    k8s.add(pkg("Configuration", "ok"), pkg("Configuration", "bad", healthy="False"))
    assert run(lua, k8s, 'return c:is_configuration_healthy("ok"), c:is_configuration_healthy("bad")') == (True, False)


def test_crossplane_14_configuration_installed(lua, k8s):
    k8s.add(pkg("Configuration", "ok"), pkg("Configuration", "bad", installed="False"))
    assert run(lua, k8s, 'return c:is_configuration_installed("ok"), c:is_configuration_installed("bad")') == \
        (True, False)


def test_crossplane_15_functions(lua, k8s):
    k8s.add(pkg("Function", "function-patch-and-transform", api="pkg.crossplane.io/v1beta1"))
    assert run(lua, k8s, 'return #c:functions().items') == 1
    assert k8s.last().path == "/apis/pkg.crossplane.io/v1beta1/functions"


def test_crossplane_16_xfunction(lua, k8s):
    k8s.add(pkg("Function", "fn-go", api="pkg.crossplane.io/v1beta1"))
    out = run(lua, k8s, 'return c:xfunction("fn-go").kind, c:xfunction("nope") == nil')
    assert out == ("Function", True)
    assert k8s.paths()[0] == "/apis/pkg.crossplane.io/v1beta1/functions/fn-go"


def test_crossplane_17_function_healthy(lua, k8s):
    k8s.add(pkg("Function", "ok", api="pkg.crossplane.io/v1beta1"),
            pkg("Function", "bad", healthy="False", api="pkg.crossplane.io/v1beta1"))
    assert run(lua, k8s, 'return c:is_function_healthy("ok"), c:is_function_healthy("bad")') == (True, False)


def test_crossplane_18_xrds(lua, k8s):
    k8s.add(xrd("xdatabases.example.org"))
    out = run(lua, k8s, 'local l = c:xrds()\nreturn l.kind, l.items[1].spec.group')
    assert out == ("CompositeResourceDefinitionList", "example.org")
    assert k8s.last().path == "/apis/apiextensions.crossplane.io/v1/compositeresourcedefinitions"


def test_crossplane_19_xrd(lua, k8s):
    k8s.add(xrd("xdatabases.example.org"))
    out = run(lua, k8s, 'return c:xrd("xdatabases.example.org").kind, c:xrd("nope") == nil')
    assert out == ("CompositeResourceDefinition", True)
    assert k8s.paths()[0] == "/apis/apiextensions.crossplane.io/v1/compositeresourcedefinitions/xdatabases.example.org"


def test_crossplane_20_xrd_established(lua, k8s):
    k8s.add(xrd("good.example.org"), xrd("bad.example.org", established="False"))
    assert run(lua, k8s, 'return c:is_xrd_established("good.example.org"), c:is_xrd_established("bad.example.org")') == \
        (True, False)


def test_crossplane_21_compositions(lua, k8s):
    k8s.add(obj(XP, "Composition", "db-aws", spec={"mode": "Pipeline"}))
    out = run(lua, k8s, 'local l = c:compositions()\nreturn l.kind, #l.items')
    assert out == ("CompositionList", 1)
    assert k8s.last().path == "/apis/apiextensions.crossplane.io/v1/compositions"


def test_crossplane_22_composition(lua, k8s):
    k8s.add(obj(XP, "Composition", "db-aws", spec={"mode": "Pipeline"}))
    out = run(lua, k8s, 'return c:composition("db-aws").spec.mode, c:composition("nope") == nil')
    assert out == ("Pipeline", True)
    assert k8s.paths()[0] == "/apis/apiextensions.crossplane.io/v1/compositions/db-aws"


def bucket(name, ready):
    return obj("s3.aws.upbound.io/v1beta1", "Bucket", name, spec={"forProvider": {"region": "eu-west-1"}},
               status={"conditions": [cond("Synced", "True"), cond("Ready", ready)]})


def test_crossplane_23_managed_resource(lua, k8s):
    k8s.add(bucket("my-bucket", "True"))
    out = run(lua, k8s, 'return c:managed_resource("s3.aws.upbound.io", "v1beta1", "buckets", "my-bucket")'
                        '.spec.forProvider.region, c:managed_resource("s3.aws.upbound.io", "v1beta1", "buckets", "x") == nil')
    assert out == ("eu-west-1", True)
    assert k8s.paths()[0] == "/apis/s3.aws.upbound.io/v1beta1/buckets/my-bucket"


def test_crossplane_24_managed_ready(lua, k8s):
    k8s.add(bucket("ok", "True"), bucket("bad", "False"))
    out = run(lua, k8s, 'return c:is_managed_ready("s3.aws.upbound.io", "v1beta1", "buckets", "ok"), '
                        'c:is_managed_ready("s3.aws.upbound.io", "v1beta1", "buckets", "bad")')
    assert out == (True, False)


def test_crossplane_25_managed_resources(lua, k8s):
    k8s.add(bucket("a", "True"), bucket("b", "False"))
    out = run(lua, k8s, 'local l = c:managed_resources("s3.aws.upbound.io", "v1beta1", "buckets")\n'
                        'return l.kind, #l.items')
    assert out == ("BucketList", 2)
    assert k8s.last().path == "/apis/s3.aws.upbound.io/v1beta1/buckets"


def test_crossplane_26_all_providers_healthy(lua, k8s):
    k8s.add(pkg("Provider", "provider-aws"), pkg("Provider", "provider-gcp", healthy="False"),
            pkg("Provider", "provider-helm"))
    out = run(lua, k8s, 'return c:all_providers_healthy()')
    assert out == {"healthy": 2, "unhealthy": 1, "total": 3, "unhealthy_names": ["provider-gcp"]}


def test_crossplane_26_unnamed_provider_is_unknown(lua, k8s):
    k8s.sequence("/apis/pkg.crossplane.io/v1/providers", [{"kind": "ProviderList", "items": [{"status": {}}]}])
    out = run(lua, k8s, 'return c:all_providers_healthy()')
    assert out == {"healthy": 0, "unhealthy": 1, "total": 1, "unhealthy_names": ["unknown"]}


def test_crossplane_27_all_xrds_established(lua, k8s):
    k8s.add(xrd("a.example.org"), xrd("b.example.org", established="False"))
    out = run(lua, k8s, 'return c:all_xrds_established()')
    assert out == {"established": 1, "not_established": 1, "total": 2}


def test_crossplane_28_lists_404_and_errors(lua, lua_fails, k8s):
    k8s.uninstall(PKG)
    out = run(lua, k8s, 'return #c:providers().items, #c:configurations().items, #c:provider_revisions().items, '
                        'c:all_providers_healthy().total')
    assert out == (0, 0, 0, 0)
    k8s.fail("/apis/apiextensions.crossplane.io/v1/compositions", 500, body="boom")
    msg = fails(lua_fails, k8s, 'return c:compositions()')
    assert "crossplane: LIST /apis/apiextensions.crossplane.io/v1/compositions HTTP 500: boom" in msg


def test_crossplane_29_get_404_and_errors(lua, lua_fails, k8s):
    assert run(lua, k8s, 'return c:xrd("nope") == nil, c:composition("nope") == nil') == (True, True)
    k8s.fail("/apis/pkg.crossplane.io/v1/providers/locked", 403, body="forbidden")
    msg = fails(lua_fails, k8s, 'return c:provider("locked")')
    assert "crossplane: GET /apis/pkg.crossplane.io/v1/providers/locked HTTP 403: forbidden" in msg


def test_crossplane_30_conditions_rules(lua, k8s):
    k8s.add(obj(PKG, "Provider", "bare"), obj(PKG, "Provider", "noconds", status={}),
            obj(PKG, "Provider", "first-wins", status={"conditions": [cond("Healthy", "False"), cond("Healthy", "True")]}))
    out = run(lua, k8s, 'return c:is_provider_healthy("bare"), c:is_provider_healthy("noconds"), '
                        'c:is_provider_healthy("first-wins"), c:is_provider_healthy("missing")')
    assert out == (False, False, False, False)


def test_crossplane_both_generations(lua, k8s):
    """A 0.8.3 script (flat methods) and a 0.19 script (grouped methods) on the same fake API server."""
    k8s.add(pkg("Provider", "aws"), pkg("Provider", "gcp", healthy="False"), xrd("xdbs.example.org"),
            pkg("Configuration", "platform"))
    old = run(lua, k8s, '''return {#c:providers().items, c:provider("aws").metadata.name, c:is_provider_healthy("gcp"),
        c:provider_status("aws").healthy, c:all_providers_healthy().healthy, c:is_xrd_established("xdbs.example.org"),
        c:all_xrds_established().established, c:is_configuration_installed("platform"), #c:compositions().items}''')
    new = run(lua, k8s, '''return {#c.providers:list().items, c.providers:get("aws").metadata.name,
        c.providers:is_healthy("gcp"), c.providers:status("aws").healthy, c.providers:all_healthy().healthy,
        c.xrds:is_established("xdbs.example.org"), c.xrds:all_established().established,
        c.configurations:is_installed("platform"), #c.compositions:list().items}''')
    assert old == new == [2, "aws", False, True, 1, True, 1, True, 0]
