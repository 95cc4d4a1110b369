"""Nuitka user plugin: strip the shared objects of the dist folder before it is packed.

Nuitka strips the main binary but copies extension modules and libraries as they come:
pyenv's lib-dynload modules and cryptography's Rust module carry symbol tables (about
30 MB of the folder, 3 MB of cryptography alone). `strip --strip-unneeded` keeps the
dynamic symbols, so loading is unchanged. Runs in onStandaloneDistributionFinished,
i.e. before the onefile is packed, so both artifacts get the stripped files.
Use: --user-plugin=build/nuitka_strip.py
"""
import os
import subprocess

from nuitka.plugins.PluginBase import NuitkaPluginBase


class NuitkaPluginAssayStrip(NuitkaPluginBase):
    plugin_name = "assay-strip"
    plugin_desc = "Strip the dist folder's shared objects (strip --strip-unneeded)."

    def onStandaloneDistributionFinished(self, dist_dir):
        before = after = count = 0
        for folder, _, files in os.walk(dist_dir):
            for name in files:
                path = os.path.join(folder, name)
                if os.path.islink(path) or ".so" not in name:
                    continue
                with open(path, "rb") as f:
                    if f.read(4) != b"\x7fELF":
                        continue
                # Already stripped (no symbol table): leave it. Stripping a file that
                # patchelf has changed breaks it ("ELF load command address/offset not
                # page-aligned"), and nuitka_one_openssl.py strips before it patches.
                if ".symtab" not in subprocess.run(["readelf", "-S", "-W", path], capture_output=True,
                                                   text=True).stdout:
                    continue
                size = os.path.getsize(path)
                result = subprocess.run(["strip", "--strip-unneeded", path], capture_output=True, text=True)
                if result.returncode != 0:
                    self.sysexit("strip failed on %s: %s" % (path, result.stderr.strip()))
                before += size
                after += os.path.getsize(path)
                count += 1
        self.info("stripped %d shared objects: %.1f MB -> %.1f MB" % (count, before / 1e6, after / 1e6))
