"""The package list in pyproject.toml covers every folder that ships code or Lua files.

A folder missing from the list is left out of wheels and editable installs (and setuptools
prints a page of warnings on every `make demo`), so a new folder must be added there.
"""
import os
import tomllib

from conftest import ROOT


def shipped_folders():
    found = set()
    for top, dotted in (("assay", "assay"), ("stdlib", "assay.stdlib")):
        base = os.path.join(ROOT, top)
        for folder, dirs, files in os.walk(base):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            if any(f.endswith((".py", ".lua")) for f in files):
                rel = os.path.relpath(folder, base)
                found.add(dotted if rel == "." else dotted + "." + rel.replace(os.sep, "."))
    return found


def test_every_code_folder_is_a_listed_package():
    config = tomllib.load(open(os.path.join(ROOT, "pyproject.toml"), "rb"))
    listed = set(config["tool"]["setuptools"]["packages"])
    missing = sorted(shipped_folders() - listed)
    assert not missing, "add these to [tool.setuptools] packages in pyproject.toml: %s" % missing


def test_every_listed_package_ships_its_lua_files():
    config = tomllib.load(open(os.path.join(ROOT, "pyproject.toml"), "rb"))
    data = config["tool"]["setuptools"]["package-data"]
    for package in shipped_folders():
        top = "stdlib" if package.startswith("assay.stdlib") else "assay"
        rel = package.split(".", 2)[-1] if top == "stdlib" and package != "assay.stdlib" else ""
        folder = os.path.join(ROOT, top, *(rel.split(".") if rel else [])) if top == "stdlib" \
            else os.path.join(ROOT, *package.split("."))
        if any(f.endswith(".lua") for f in os.listdir(folder)):
            assert "*.lua" in data.get(package, []), "package-data for %s must include *.lua" % package
