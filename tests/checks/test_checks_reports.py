"""`--format html` rendered by a real headless Chromium, and `--report FORMAT=PATH`.

Chromium (Debian package `chromium`) loads the report; the test reads the DOM it built
and the pixels it painted. The page holds no script at all, so what is shown needs no
JavaScript. (Chromium's headless --dump-dom and --screenshot themselves stop working with
scripts disabled, so the test checks the absence of <script> instead.) Without Chromium the browser
tests skip, except under CI=true, where they fail.
"""
import json
import os
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib
from html.parser import HTMLParser

import pytest

from checkhelpers import need, run_config, write
from fakes import FakeService

CONFIG = """retries: 1
backoff: 10ms
checks:
  - name: api <v2> & "friends"
    type: http
    url: %(url)s/ok
  - name: flaky-db
    type: http
    url: %(url)s/down
  - name: lua
    type: script
    file: ok.lua
"""


@pytest.fixture
def fake():
    service = FakeService()
    service.set("GET", "/ok", 200, "{}")
    service.set("GET", "/down", 503, "")
    yield service
    service.close()


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def browse(path, tmp_path, *extra):
    browser = chromium()
    need("chromium", browser is not None, "apt-get install -y chromium")
    profile = tmp_path / "chromium-profile"
    argv = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=%s" % profile,
            ] + list(extra) + ["file://%s" % path]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


class Rows(HTMLParser):
    """Text of the summary bar and of every table row, as the browser's DOM has them."""

    def __init__(self):
        super().__init__()
        self.summary, self.rows, self._cells, self._in = "", [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id") == "summary":
            self._in = "summary"
        elif tag == "tr" and "check" in (attrs.get("class") or ""):
            self._cells = []
        elif tag == "td" and self._cells is not None:
            self._cells.append("")
            self._in = "cell"
        elif tag == "details":
            self._in = None  # the attempt history is collapsed: not part of the row's text

    def handle_endtag(self, tag):
        if tag == "div" and self._in == "summary":
            self._in = None
        elif tag == "tr" and self._cells is not None:
            self.rows.append([c.strip() for c in self._cells])
            self._cells = None
        elif tag == "td":
            self._in = None

    def handle_data(self, data):
        if self._in == "summary":
            self.summary += data
        elif self._in == "cell" and self._cells:
            self._cells[-1] += data


def png_pixel(path, x, y):
    """The RGB of one pixel of a PNG (8-bit RGB/RGBA, not interlaced) — enough for a screenshot."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    for row in range(y + 1):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        previous = line
    return tuple(previous[x * channels:x * channels + 3])


def test_chk2_html_report_in_a_real_browser(tmp_path, fake):
    write(tmp_path, "ok.lua", "")
    r = run_config(tmp_path, CONFIG % {"url": fake.url}, "--format", "html")
    assert r.code == 1, r
    assert "<script" not in r.stdout and "http://" not in r.stdout.split("<body>")[0]  # self-contained
    page = tmp_path / "report.html"
    page.write_text(r.stdout, encoding="utf-8")

    shown = browse(page, tmp_path, "--dump-dom")
    assert shown.returncode == 0, shown.stderr
    dom = Rows()
    dom.feed(shown.stdout)
    assert dom.summary.startswith("FAILED: 2 of 3 checks passed in "), dom.summary
    assert "(1 failed)" in dom.summary
    names = [row[0] for row in dom.rows]
    assert names == ['api <v2> & "friends"', "flaky-db", "lua"]
    flaky = dom.rows[1]
    assert flaky[1:3] == ["http", "FAIL"] and flaky[3].endswith(" ms") and flaky[4] == "2 of 2"
    assert flaky[5] == "expected 2xx, got 503"
    assert dom.rows[0][2] == "PASS" and dom.rows[0][4] == "1 of 2" and dom.rows[0][5] == ""

    shot = tmp_path / "shot.png"
    painted = browse(page, tmp_path, "--screenshot=%s" % shot, "--window-size=900,500",
                     "--hide-scrollbars", "--force-device-scale-factor=1")
    assert painted.returncode == 0 and shot.exists(), painted.stderr
    red, green, blue = png_pixel(shot, 32, 70)  # inside the summary bar, left of its text
    assert red > 150 and green < 90 and blue < 90, (red, green, blue)  # the failed run's red bar


def test_chk2_html_report_of_a_passing_run_is_green(tmp_path, fake):
    write(tmp_path, "ok.lua", "")
    r = run_config(tmp_path, "checks:\n  - {name: lua, type: script, file: ok.lua}\n", "--format", "html")
    assert r.code == 0
    page = tmp_path / "ok.html"
    page.write_text(r.stdout, encoding="utf-8")
    shot = tmp_path / "ok.png"
    painted = browse(page, tmp_path, "--screenshot=%s" % shot, "--window-size=900,500", "--hide-scrollbars",
                     "--force-device-scale-factor=1")
    assert painted.returncode == 0, painted.stderr
    red, green, blue = png_pixel(shot, 32, 70)
    assert green > 100 and red < 90 and blue < 90, (red, green, blue)


def test_chk2_extra_reports_to_files(tmp_path, fake):
    write(tmp_path, "ok.lua", "")
    (tmp_path / "out").mkdir()
    r = run_config(tmp_path, CONFIG % {"url": fake.url}, "--report", "junit=out/junit.xml",
                   "--report=html=report.html", "--report", "tap=report.tap", "--format", "json")
    assert r.code == 1, r
    assert [c["name"] for c in r.checks][1] == "flaky-db"  # stdout keeps the --format one
    assert os.listdir(tmp_path / "out") == ["junit.xml"]  # no temporary file left behind
    root = ET.parse(tmp_path / "out" / "junit.xml").getroot()
    assert len(root.findall("testsuite/testcase")) == 3
    assert (tmp_path / "report.html").read_text().startswith("<!DOCTYPE html>")
    assert (tmp_path / "report.tap").read_text().startswith("TAP version 13\n1..3\n")


def test_chk2_bad_report_option_is_a_usage_error(tmp_path):
    r = run_config(tmp_path, "checks: []\n", "--report", "xml=out.xml")
    assert r.code == 2 and r.stdout == "", r
    assert "invalid value 'xml=out.xml' for '--report <FORMAT=PATH>'" in r.stderr
    r = run_config(tmp_path, "checks: []\n", "--report", "json=missing-dir/x.json")
    assert r.code == 0, r  # the verdict stands; the failed write is reported
    assert r.log_lines('writing report failed path="missing-dir/x.json"'), r
    assert json.loads(r.stdout)["passed"] is True
