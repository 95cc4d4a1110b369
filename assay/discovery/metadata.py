"""The LDoc-style header discovery reads from a module file.

    --- @description Widget service client.
    --- @keywords widget, inventory
    --- @env WIDGET_URL
    --- @category devtools
    --- @icon github
    --- @quickref M.client(url, opts?) -> client | Create a widget client
"""


class Metadata:
    def __init__(self):
        self.module = ""
        self.description = ""
        self.keywords = []
        self.env = []
        self.category = None  # a grouping for catalogues (core, cloud, identity, ...)
        self.icon = None      # an icon name (a simple-icons brand slug where one fits)
        self.quickrefs = []   # (signature, returns, description)
        self.functions = []


def _items(value):
    return [item.strip() for item in value.split(",") if item.strip()]


def parse(text):
    """Metadata of a module's source text; never raises."""
    meta = Metadata()
    lines = text.splitlines()
    for line in lines:
        stripped = line.strip()
        if not stripped.startswith("---"):
            break
        body = stripped.lstrip("-").strip()
        if not body.startswith("@"):
            continue
        parts = body[1:].split(None, 1)
        if len(parts) < 2 or not parts[1].strip():
            continue
        tag, value = parts[0], parts[1].strip()
        if tag == "module":
            meta.module = value
        elif tag == "description":
            meta.description = value
        elif tag == "keywords":
            meta.keywords = _items(value)
        elif tag == "env":
            meta.env = _items(value)
        elif tag == "category":
            meta.category = value
        elif tag == "icon":
            meta.icon = value
        elif tag == "quickref":
            signature, arrow, rest = value.partition(" -> ")
            returns, bar, description = rest.partition(" | ")
            if arrow and bar:
                meta.quickrefs.append((signature.strip(), returns.strip(), description.strip()))
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("function "):
            name = _function_name(stripped[len("function "):])
            if name:
                meta.functions.append(name)
    return meta


def _function_name(rest):
    # Look for the separator only before "(".
    head = rest.split("(", 1)[0]
    cut = min((i for i in (head.find(":"), head.find(".")) if i >= 0), default=-1)
    if cut < 0:
        return ""
    return head[cut + 1:].strip()
