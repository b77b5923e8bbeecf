import pytest

from qa_bot.articles import IngestError
from qa_bot.loaders import LoadLimits, check_url, decode_bytes, html_to_text, load_file

LIMITS = LoadLimits()
BODY = "Officials said the bridge will reopen on Friday after repairs costing 2 million dollars."

HTML = f"""<!doctype html><html><head><title>Bridge to reopen | City News</title>
<meta property="og:title" content="Bridge to reopen"><meta property="article:published_time" content="2024-03-01">
<script>alert('x'); var tracking = 1;</script><style>p {{ color: red }}</style></head>
<body><nav><a href="/">Home</a> <a href="/world">World news and more links</a></nav>
<header>Site header with many words in it</header>
<article><h1>Bridge to reopen</h1><p>{BODY}</p><p>Traffic was diverted for three weeks, the council said.</p>
<div class="share-buttons">Share this on every social network now</div></article>
<footer>Copyright 2024 City News, all rights reserved</footer></body></html>"""


def test_html_main_text_only():
    text, title, date = html_to_text(HTML)
    assert title == "Bridge to reopen" and date == "2024-03-01"
    assert BODY in text and "Traffic was diverted" in text
    for junk in ("alert", "tracking", "color", "Home", "Site header", "Share this", "Copyright"):
        assert junk not in text


def test_html_file_becomes_article(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(HTML, encoding="utf-8")
    article = load_file(path, LIMITS)
    assert article.title == "Bridge to reopen" and article.text.startswith("Bridge to reopen")


def test_navigation_only_html_is_refused(tmp_path):
    path = tmp_path / "nav.html"
    path.write_text("<html><body><nav><a href='/'>Home</a><a href='/x'>News</a></nav></body></html>")
    with pytest.raises(IngestError, match="no article text"):
        load_file(path, LIMITS)


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16", "utf-8-sig", "cp1252"])
def test_encodings(tmp_path, encoding):
    text = "Café owners in Zürich said the señor paid 5 € for crème brûlée on Monday morning."
    if encoding == "latin-1":
        text = text.replace("€", "EUR")
    path = tmp_path / "a.txt"
    path.write_bytes(text.encode(encoding))
    assert load_file(path, LIMITS).text == text


def test_utf16_without_bom():
    text = "Plain news text without a byte order mark, long enough to detect."
    assert decode_bytes(text.encode("utf-16-le")) == text


def test_binary_renamed_txt_is_refused(tmp_path):
    path = tmp_path / "photo.txt"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(IngestError, match="binary|text"):
        load_file(path, LIMITS)


def test_file_size_limit_is_named(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("word " * 1000)
    with pytest.raises(IngestError, match="limit of 100"):
        load_file(path, LoadLimits(max_file_bytes=100))


def test_unsupported_suffix(tmp_path):
    path = tmp_path / "data.xlsx"
    path.write_text("Some words that are text but in an unsupported container format.")
    with pytest.raises(IngestError, match="Unsupported"):
        load_file(path, LIMITS)


def _minimal_pdf(text: str) -> bytes:
    """A one-page PDF with ``text`` in Helvetica, built by hand (no PDF writer needed)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_pdf(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(_minimal_pdf("The harbour will close for repairs in May, the port authority said."))
    assert "harbour will close for repairs in May" in load_file(path, LIMITS).text


def test_broken_pdf_is_refused(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n garbage")
    with pytest.raises(IngestError, match="PDF"):
        load_file(path, LIMITS)


@pytest.mark.parametrize("url", ["http://127.0.0.1/x", "http://localhost:8000/", "http://10.1.2.3/", "ftp://example.com/a"])
def test_private_and_odd_urls_refused_by_default(url):
    with pytest.raises(IngestError):
        check_url(url, allow_private=False)


def test_loopback_allowed_when_configured():
    check_url("http://127.0.0.1:8000/a.html", allow_private=True)
