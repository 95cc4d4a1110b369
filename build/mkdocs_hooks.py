"""MkDocs hooks for the docs site (mkdocs.yml). The pages are written to be read on the
forge as well, so the site follows the forge's rules rather than the other way round:

- heading anchors use the forge's slugs (lower case, punctuation dropped, every space a
  hyphen), so `#temporal--temporal-workflows-over-grpc` links work in both places;
- a link out of docs/ to a file of the repository (an example script) cannot be a page of
  the site: the file must exist, and the link becomes its repository path in the text.
"""
import logging
import os
import re

log = logging.getLogger("mkdocs.plugins.assay")
_LINK = re.compile(r"\[([^\]]+)\]\((\.\./[^)#\s]+)\)")


def forge_slug(value, separator="-"):
    value = re.sub(r"<[^>]+>", "", value).strip().lower()
    value = re.sub(r"[^\w\- ]", "", value)
    return value.replace(" ", separator)


def on_config(config):
    config.mdx_configs.setdefault("toc", {})["slugify"] = forge_slug
    return config


def on_page_markdown(markdown, page, config, files):
    docs_dir = config.docs_dir
    repo = os.path.dirname(os.path.abspath(docs_dir))
    page_dir = os.path.dirname(os.path.join(docs_dir, page.file.src_path))

    def outside(match):
        text, target = match.groups()
        path = os.path.normpath(os.path.join(page_dir, target))
        if path.startswith(os.path.abspath(docs_dir) + os.sep):
            return match.group(0)
        shown = os.path.relpath(path, repo)
        if not os.path.exists(path):
            log.warning("Doc file '%s' links to '%s', which is not in the repository",
                        page.file.src_path, shown)
        return "%s (`%s` in the repository)" % (text, shown) if text.strip("`") != shown else "`%s`" % shown

    return _LINK.sub(outside, markdown)
