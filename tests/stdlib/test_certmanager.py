"""assay.certmanager (spec stdlib/certmanager.md, CERTMANAGER-01..28) against the shared fake
Kubernetes API server."""
from fake_k8s import TOKEN, cond, k8s, k8s_tls, obj  # noqa: F401 (fixtures)

CM = "cert-manager.io/v1"
ACME = "acme.cert-manager.io/v1"


def run(lua, fake, code, auth=None):
    auth = auth or '"%s"' % TOKEN
    return lua('local c = require("assay.certmanager").client("%s", %s)\n%s' % (fake.url, auth, code))


def fails(lua_fails, fake, code):
    return lua_fails('local c = require("assay.certmanager").client("%s", "%s")\n%s' % (fake.url, TOKEN, code))


def cert(name, ns="default", ready="True", **status):
    status.setdefault("conditions", [cond("Ready", ready, "Ready")])
    return obj(CM, "Certificate", name, ns, spec={"secretName": name + "-tls", "dnsNames": [name + ".example.com"]},
               status=status)


def issuer(name, ns="default", ready="True", kind="Issuer"):
    return obj(CM, kind, name, None if kind == "ClusterIssuer" else ns, spec={"acme": {}},
               status={"conditions": [cond("Ready", ready)]})


def test_certmanager_01_exposes_client(lua):
    assert lua('return type(require("assay.certmanager").client)') == "function"


def test_certmanager_02_token_header_and_trailing_slashes(lua, k8s):
    k8s.add(cert("web"))
    out = lua('local c = require("assay.certmanager").client("%s///", "%s")\n'
              'return c:certificate("default", "web").metadata.name' % (k8s.url, TOKEN))
    assert out == "web"
    req = k8s.last()
    assert req.raw_path == "/apis/cert-manager.io/v1/namespaces/default/certificates/web"
    assert req.headers["authorization"] == "Bearer " + TOKEN
    assert "content-type" not in req.headers


def test_certmanager_02_options_table_form(lua, k8s):
    """Issue 12: the documented client(url, {token = ...}) form."""
    k8s.add(cert("web"))
    out = run(lua, k8s, 'return c:is_certificate_ready("default", "web")', auth='{ token = "%s" }' % TOKEN)
    assert out is True
    assert k8s.last().headers["authorization"] == "Bearer " + TOKEN


def test_certmanager_02_ca_cert_option(lua, k8s_tls):
    k8s_tls.add(cert("web"))
    out = lua('local c = require("assay.certmanager").client("%s", { token = "%s", ca_cert = [[%s]] })\n'
              'return c:certificate("default", "web").kind' % (k8s_tls.url, TOKEN, k8s_tls.ca_pem))
    assert out == "Certificate"


def test_certmanager_03_certificates_list(lua, k8s):
    k8s.add(cert("api", "prod"), cert("web", "prod"), cert("other", "dev"))
    out = run(lua, k8s, 'local l = c:certificates("prod")\n'
                        'return l.kind, #l.items, l.items[1].metadata.name, l.items[2].metadata.name')
    assert out == ("CertificateList", 2, "api", "web")
    assert k8s.last().path == "/apis/cert-manager.io/v1/namespaces/prod/certificates"


def test_certmanager_03_list_pages_are_followed(lua, k8s):
    k8s.add(*[cert("c%d" % i) for i in range(5)])
    k8s.page_size = 2
    assert run(lua, k8s, 'return #c:certificates("default").items') == 5
    assert len(k8s.requests) == 3


def test_certmanager_04_lists_empty_on_404(lua, k8s):
    k8s.uninstall(CM)
    k8s.uninstall(ACME)
    out = run(lua, k8s, 'return #c:certificates("x").items, #c:issuers("x").items, #c:cluster_issuers().items, '
                        '#c:certificate_requests("x").items, #c:orders("x").items, #c:challenges("x").items')
    assert out == (0, 0, 0, 0, 0, 0)


def test_certmanager_05_list_error(lua_fails, k8s):
    k8s.fail("/apis/cert-manager.io/v1/namespaces/prod/certificates", 500, body="etcd timeout")
    msg = fails(lua_fails, k8s, 'return c:certificates("prod")')
    assert "certmanager: LIST /apis/cert-manager.io/v1/namespaces/prod/certificates HTTP 500: etcd timeout" in msg


def test_certmanager_06_certificate_get_and_nil(lua, k8s):
    k8s.add(cert("web", "prod"))
    out = run(lua, k8s, 'return c:certificate("prod", "web").spec.secretName, c:certificate("prod", "nope") == nil')
    assert out == ("web-tls", True)
    assert k8s.paths() == ["/apis/cert-manager.io/v1/namespaces/prod/certificates/web",
                           "/apis/cert-manager.io/v1/namespaces/prod/certificates/nope"]


def test_certmanager_07_get_error(lua_fails, k8s):
    k8s.fail("/apis/cert-manager.io/v1/namespaces/prod/certificates/web", 403, body="forbidden")
    msg = fails(lua_fails, k8s, 'return c:certificate("prod", "web")')
    assert "certmanager: GET /apis/cert-manager.io/v1/namespaces/prod/certificates/web HTTP 403: forbidden" in msg


def test_certmanager_08_certificate_status(lua, k8s):
    k8s.add(cert("web", notAfter="2026-06-01T00:00:00Z", notBefore="2026-03-03T00:00:00Z",
                 renewalTime="2026-05-02T00:00:00Z", revision=1))
    out = run(lua, k8s, 'local s = c:certificate_status("default", "web")\n'
                        'return s.ready, s.not_after, s.not_before, s.renewal_time, s.revision, #s.conditions, '
                        'c:certificate_status("default", "nope") == nil')
    assert out == (True, "2026-06-01T00:00:00Z", "2026-03-03T00:00:00Z", "2026-05-02T00:00:00Z", 1, 1, True)


def test_certmanager_09_ready(lua, k8s):
    k8s.add(obj(CM, "Certificate", "web", "default",
                status={"conditions": [cond("Issuing", "False"), cond("Ready", "True")]}))
    assert run(lua, k8s, 'return c:is_certificate_ready("default", "web")') is True


def test_certmanager_10_not_ready_or_missing(lua, k8s):
    k8s.add(cert("bad", ready="False"), obj(CM, "Certificate", "fresh", "default"))
    out = run(lua, k8s, 'return c:is_certificate_ready("default", "bad"), c:is_certificate_ready("default", "nope"), '
                        'c:is_certificate_ready("default", "fresh")')
    assert out == (False, False, False)


CLOCK = '''
local now = 1000
time = function() return now end
slept = {}
sleep = function(n) slept[#slept + 1] = n; now = now + n end
'''


def test_certmanager_11_wait_checks_then_polls(lua, k8s):
    path = "/apis/cert-manager.io/v1/namespaces/default/certificates/web"
    k8s.sequence(path, [404, cert("web", ready="False"), cert("web")])
    out = run(lua, k8s, CLOCK + 'return c:wait_certificate_ready("default", "web"), slept')
    assert out == (True, [5, 5])
    assert k8s.paths() == [path] * 3


def test_certmanager_11_ready_at_once_needs_no_sleep(lua, k8s):
    k8s.add(cert("web"))
    assert run(lua, k8s, CLOCK + 'return c:wait_certificate_ready("default", "web", 0), #slept') == (True, 0)


def test_certmanager_12_wait_timeout(lua, k8s):
    k8s.add(cert("web", ready="False"))
    out = run(lua, k8s, CLOCK + 'local ok, err = pcall(c.wait_certificate_ready, c, "default", "web", 12)\n'
                                'return ok, err, #slept')
    assert out[0] is False
    assert "certmanager: timeout waiting for certificate default/web to be ready" in out[1]
    assert out[2] == 3 and len(k8s.requests) == 4


def test_certmanager_12_default_timeout_300(lua, k8s):
    k8s.add(cert("web", ready="False"))
    out = run(lua, k8s, CLOCK + 'local ok = pcall(c.wait_certificate_ready, c, "default", "web")\nreturn ok, #slept')
    assert out == (False, 60)


def test_certmanager_13_issuers(lua, k8s):
    k8s.add(issuer("letsencrypt", "prod"), issuer("ca", "prod"))
    out = run(lua, k8s, 'local l = c:issuers("prod")\nreturn l.kind, #l.items')
    assert out == ("IssuerList", 2)
    assert k8s.last().path == "/apis/cert-manager.io/v1/namespaces/prod/issuers"


def test_certmanager_14_issuer(lua, k8s):
    k8s.add(issuer("letsencrypt", "prod"))
    out = run(lua, k8s, 'return c:issuer("prod", "letsencrypt").kind, c:issuer("prod", "nope") == nil')
    assert out == ("Issuer", True)
    assert k8s.paths()[0] == "/apis/cert-manager.io/v1/namespaces/prod/issuers/letsencrypt"


def test_certmanager_15_issuer_ready(lua, k8s):
    k8s.add(issuer("ok", "prod"), issuer("bad", "prod", ready="False"))
    out = run(lua, k8s, 'return c:is_issuer_ready("prod", "ok"), c:is_issuer_ready("prod", "bad"), '
                        'c:is_issuer_ready("prod", "nope")')
    assert out == (True, False, False)


def test_certmanager_16_cluster_issuers(lua, k8s):
    k8s.add(issuer("letsencrypt-prod", kind="ClusterIssuer"), issuer("letsencrypt-staging", kind="ClusterIssuer"))
    out = run(lua, k8s, 'local l = c:cluster_issuers()\nreturn #l.items, l.items[1].metadata.name, l.items[2].metadata.name')
    assert out == (2, "letsencrypt-prod", "letsencrypt-staging")
    assert k8s.last().path == "/apis/cert-manager.io/v1/clusterissuers"


def test_certmanager_17_cluster_issuer(lua, k8s):
    k8s.add(issuer("letsencrypt-prod", kind="ClusterIssuer"))
    out = run(lua, k8s, 'return c:cluster_issuer("letsencrypt-prod").kind, c:cluster_issuer("nope") == nil')
    assert out == ("ClusterIssuer", True)
    assert k8s.paths()[0] == "/apis/cert-manager.io/v1/clusterissuers/letsencrypt-prod"


def test_certmanager_18_cluster_issuer_ready(lua, k8s):
    k8s.add(issuer("le", kind="ClusterIssuer"))
    assert run(lua, k8s, 'return c:is_cluster_issuer_ready("le"), c:is_cluster_issuer_ready("nope")') == (True, False)


def request(name, approved="True"):
    return obj(CM, "CertificateRequest", name, "prod", spec={"issuerRef": {"name": "le"}},
               status={"conditions": [cond("Approved", approved, "cert-manager.io"), cond("Ready", "True")]})


def test_certmanager_19_certificate_requests(lua, k8s):
    k8s.add(request("web-1"), request("web-2"))
    assert run(lua, k8s, 'return #c:certificate_requests("prod").items') == 2
    assert k8s.last().path == "/apis/cert-manager.io/v1/namespaces/prod/certificaterequests"


def test_certmanager_20_certificate_request(lua, k8s):
    k8s.add(request("web-1"))
    out = run(lua, k8s, 'return c:certificate_request("prod", "web-1").spec.issuerRef.name, '
                        'c:certificate_request("prod", "nope") == nil')
    assert out == ("le", True)
    assert k8s.paths()[0] == "/apis/cert-manager.io/v1/namespaces/prod/certificaterequests/web-1"


def test_certmanager_21_request_approved(lua, k8s):
    k8s.add(request("ok"), request("denied", approved="False"))
    out = run(lua, k8s, 'return c:is_request_approved("prod", "ok"), c:is_request_approved("prod", "denied"), '
                        'c:is_request_approved("prod", "nope")')
    assert out == (True, False, False)


def test_certmanager_22_orders(lua, k8s):
    k8s.add(obj(ACME, "Order", "web-1-123", "prod", status={"state": "valid"}))
    out = run(lua, k8s, 'return c:orders("prod").items[1].status.state')
    assert out == "valid"
    assert k8s.last().path == "/apis/acme.cert-manager.io/v1/namespaces/prod/orders"


def test_certmanager_23_order(lua, k8s):
    k8s.add(obj(ACME, "Order", "web-1-123", "prod", status={"state": "pending"}))
    out = run(lua, k8s, 'return c:order("prod", "web-1-123").status.state, c:order("prod", "nope") == nil')
    assert out == ("pending", True)
    assert k8s.paths()[0] == "/apis/acme.cert-manager.io/v1/namespaces/prod/orders/web-1-123"


def test_certmanager_24_challenges(lua, k8s):
    k8s.add(obj(ACME, "Challenge", "web-1-123-0", "prod", spec={"dnsName": "web.example.com", "type": "HTTP-01"}))
    assert run(lua, k8s, 'return c:challenges("prod").items[1].spec.dnsName') == "web.example.com"
    assert k8s.last().path == "/apis/acme.cert-manager.io/v1/namespaces/prod/challenges"


def test_certmanager_25_challenge(lua, k8s):
    k8s.add(obj(ACME, "Challenge", "ch", "prod", spec={"dnsName": "web.example.com"}))
    out = run(lua, k8s, 'return c:challenge("prod", "ch").spec.dnsName, c:challenge("prod", "nope") == nil')
    assert out == ("web.example.com", True)
    assert k8s.paths()[0] == "/apis/acme.cert-manager.io/v1/namespaces/prod/challenges/ch"


def test_certmanager_26_all_certificates_ready(lua, k8s):
    k8s.add(cert("a"), cert("b"), cert("c"))
    out = run(lua, k8s, 'return c:all_certificates_ready("default")')
    assert out == {"ready": 3, "not_ready": 0, "total": 3, "not_ready_names": []}


def test_certmanager_27_all_certificates_mixed(lua, k8s):
    k8s.add(cert("api-tls", ready="False"), cert("grpc-tls", ready="Unknown"), cert("web-tls"))
    out = run(lua, k8s, 'return c:all_certificates_ready("default")')
    assert out == {"ready": 1, "not_ready": 2, "total": 3, "not_ready_names": ["api-tls", "grpc-tls"]}


def test_certmanager_27_missing_crd_counts_nothing(lua, k8s):
    k8s.uninstall(CM)
    out = run(lua, k8s, 'return c:all_certificates_ready("default")')
    assert out == {"ready": 0, "not_ready": 0, "total": 0, "not_ready_names": []}


def test_certmanager_28_all_issuers_ready(lua, k8s):
    k8s.add(issuer("ca-issuer", "prod", ready="False"), issuer("letsencrypt", "prod"))
    out = run(lua, k8s, 'return c:all_issuers_ready("prod")')
    assert out == {"ready": 1, "not_ready": 1, "total": 2, "not_ready_names": ["ca-issuer"]}


def test_certmanager_28_unnamed_items_are_unknown(lua, k8s):
    k8s.sequence("/apis/cert-manager.io/v1/namespaces/prod/issuers",
                 [{"kind": "IssuerList", "items": [{"status": {}}, {"metadata": {"name": "ok"},
                                                                    "status": {"conditions": [cond("Ready", "True")]}}]}])
    out = run(lua, k8s, 'return c:all_issuers_ready("prod")')
    assert out == {"ready": 1, "not_ready": 1, "total": 2, "not_ready_names": ["unknown"]}


def test_certmanager_both_generations(lua, k8s):
    """A 0.8.3 script (flat methods) and a 0.19 script (grouped methods) on the same fake API server."""
    k8s.add(cert("web"), cert("api", ready="False"), issuer("le"), issuer("root", kind="ClusterIssuer"))
    old = run(lua, k8s, '''return {#c:certificates("default").items, c:certificate("default", "web").metadata.name,
        c:certificate_status("default", "web").ready, c:is_certificate_ready("default", "api"),
        c:all_certificates_ready("default").ready, c:is_issuer_ready("default", "le"),
        #c:issuers("default").items, c:is_cluster_issuer_ready("root"), #c:cluster_issuers().items,
        c:certificate("default", "gone") == nil, #c:orders("default").items, #c:challenges("default").items}''')
    new = run(lua, k8s, '''return {#c.certificates:list("default").items, c.certificates:get("default", "web").metadata.name,
        c.certificates:status("default", "web").ready, c.certificates:is_ready("default", "api"),
        c.certificates:all_ready("default").ready, c.issuers:is_ready("default", "le"),
        #c.issuers:list("default").items, c.cluster_issuers:is_ready("root"), #c.cluster_issuers:list().items,
        c.certificates:get("default", "gone") == nil, #c.orders:list("default").items, #c.challenges:list("default").items}''')
    assert old == new == [2, "web", True, False, 1, True, 1, True, 1, True, 0, 0]
