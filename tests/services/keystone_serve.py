"""A throwaway OpenStack Keystone for the real-server tests (tests/realservers.py starts it).

Runs with the Python of Keystone's own venv (`make services`), never the test venv: Keystone
brings about 60 packages (cryptography, SQLAlchemy, eventlet, ...) that would change what the
test venv can import.

    python keystone_serve.py DIR PORT ADMIN_PASSWORD

Writes DIR/keystone.conf (SQLite database, fernet tokens and credential keys in DIR), does what
`keystone-manage db_sync`, `fernet_setup`, `credential_setup` and `bootstrap` do (user `admin`
in project `admin`, domain `Default`, region `RegionOne`, the identity service published
WITHOUT an API version at http://127.0.0.1:PORT/ as DevStack does), then serves Keystone's WSGI
application on 127.0.0.1:PORT with the standard library's wsgiref (one request at a time; the
request log goes to stderr).
"""
import os
import sys

CONF_TEMPLATE = """\
[DEFAULT]
log_file = {dir}/keystone.log
[database]
connection = sqlite:///{dir}/keystone.db
[token]
provider = fernet
[fernet_tokens]
key_repository = {dir}/fernet-keys
[credential]
key_repository = {dir}/credential-keys
[identity]
# the fewest bcrypt rounds Keystone accepts: a password check then takes milliseconds, not a second
password_hash_rounds = 4
"""


def setup(conf, port, password):
    """The four keystone-manage steps in this one process (one import of Keystone, not four)."""
    from keystone.cmd import cli
    from keystone.common import provider_api

    user = ["--keystone-user", str(os.getuid()), "--keystone-group", str(os.getgid())]
    for step in (["db_sync"], ["fernet_setup"] + user, ["credential_setup"] + user,
                 ["bootstrap", "--bootstrap-password", password, "--bootstrap-region-id", "RegionOne",
                  "--bootstrap-public-url", "http://127.0.0.1:%d/" % port]):
        cli.main(argv=["keystone-manage", "--config-file", conf] + step)
        # each step parses the configuration anew, as a fresh keystone-manage would
        cli.CONF.reset()
        cli.CONF.clear()
    # the server parses its own configuration without keystone-manage's `command` argument, and
    # registers its providers again (the manage steps locked the registry after theirs)
    cli.CONF.unregister_opt(cli.command_opt)
    provider_api.ProviderAPIs._clear_registry_instances()


def main():
    data_dir, port, password = os.path.abspath(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    del sys.argv[1:]  # oslo.config reads sys.argv: it must not see ours
    for sub in ("fernet-keys", "credential-keys"):
        os.makedirs(os.path.join(data_dir, sub), mode=0o700, exist_ok=True)
    conf = os.path.join(data_dir, "keystone.conf")
    with open(conf, "w") as f:
        f.write(CONF_TEMPLATE.format(dir=data_dir))
    setup(conf, port, password)

    os.environ["OS_KEYSTONE_CONFIG_FILES"] = conf
    from wsgiref.simple_server import make_server

    from keystone.wsgi.api import application

    # wsgiref logs one line per request to stderr ("POST /v3/auth/tokens HTTP/1.1" 201 …): the
    # tests count token requests in it
    print("keystone: serving on 127.0.0.1:%d" % port, flush=True)
    make_server("127.0.0.1", port, application).serve_forever()


if __name__ == "__main__":
    main()
