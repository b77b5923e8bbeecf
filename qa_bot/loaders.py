"""Turn files, folders, URLs and raw text into Article records.

Supported: .txt/.md/.text (any common encoding), .html/.htm (main text only),
.pdf, http(s) URLs (timeout, size limit, no private addresses by default).
"""
from __future__ import annotations

import io
import ipaddress
import logging
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import urlparse

from .articles import Article, IngestError, make_article

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown", ".rst", ""}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES


@dataclass
class LoadLimits:
    """Size and network limits for loading (copied from Config)."""

    max_file_bytes: int = 50_000_000
    max_article_chars: int = 2_000_000
    url_timeout: float = 15.0
    url_max_bytes: int = 10_000_000
    allow_private_urls: bool = False


def decode_bytes(data: bytes) -> str:
    """Decode text of unknown encoding: BOMs, UTF-8, then charset detection."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data[:4096]:
        # UTF-16 without BOM has a NUL in every other byte; anything else with NULs is binary.
        even, odd = data[0:4096:2].count(0), data[1:4096:2].count(0)
        sample = len(data[:4096]) // 2 or 1
        if odd / sample > 0.4 and even / sample < 0.1:
            return data.decode("utf-16-le", errors="replace")
        if even / sample > 0.4 and odd / sample < 0.1:
            return data.decode("utf-16-be", errors="replace")
        raise IngestError("This file is binary, not text.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        raise IngestError("This file is not readable text in any known encoding.")
    # Equally clean candidates are common for short Western text; Windows-1252 is by far the likeliest.
    least = min(m.chaos for m in matches)
    clean = [m for m in matches if m.chaos <= least + 0.01]
    preferred = {"cp1252": 0, "latin_1": 1, "iso8859_15": 2}
    best = min(clean, key=lambda m: preferred.get(m.encoding, 9))
    return str(best)


def html_to_text(html: str) -> tuple[str, str, str]:
    """Main text, title and date of an HTML page; scripts, styles, navigation and markup removed."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    title = ""
    for sel in (("meta", {"property": "og:title"}), ("meta", {"name": "title"})):
        tag = soup.find(*sel)
        if tag and tag.get("content"):
            title = tag["content"].strip()
            break
    if not title and soup.title and soup.title.string:
        title = soup.title.string.strip()
    date = ""
    for attrs in ({"property": "article:published_time"}, {"name": "date"}, {"itemprop": "datePublished"}):
        tag = soup.find("meta", attrs=attrs)
        if tag and tag.get("content"):
            date = tag["content"].strip()
            break
    if not date and soup.find("time") and soup.find("time").get("datetime"):
        date = soup.find("time")["datetime"].strip()
    for tag in soup(["script", "style", "noscript", "template", "svg", "iframe", "form", "button", "input",
                     "select", "nav", "header", "footer", "aside", "menu", "figure"]):
        tag.decompose()
    for tag in soup.find_all(attrs={"role": re.compile("navigation|banner|contentinfo|complementary")}):
        tag.decompose()
    for tag in soup.find_all(class_=re.compile(r"(^|[-_ ])(nav|menu|share|social|cookie|newsletter|comments?|related|promo|ad|ads|advert)([-_ ]|$)", re.I)):
        tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    blocks: list[str] = []
    heading = root.find("h1")
    if heading and not title:
        title = heading.get_text(" ", strip=True)
    for el in root.find_all(["h1", "h2", "h3", "p", "li", "blockquote", "pre"]):
        if el.find_parent(["p", "li", "blockquote"]):
            continue
        text = el.get_text(" ", strip=True)
        if text:
            blocks.append(text)
    if not blocks:
        blocks = [root.get_text("\n", strip=True)]
    # links-only lines (menus left over) are not article text
    blocks = [b for b in blocks if len(b.split()) >= 3 or b == title]
    body = "\n\n".join(blocks)
    if title and not body.startswith(title):
        body = f"{title}\n\n{body}"
    return body, title, date


def pdf_to_text(data: bytes) -> str:
    """Text of every page of a PDF."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError) as exc:
        raise IngestError(f"This PDF cannot be read: {exc}") from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    # re-join words hyphenated across lines and lines broken mid-sentence
    text = re.sub(r"-\n(\w)", r"\1", text)
    text = re.sub(r"(?<![.!?:\n])\n(?!\n)", " ", text)
    if not text.strip():
        raise IngestError("This PDF has no extractable text (is it a scan?).")
    return text


def article_from_bytes(data: bytes, name: str, limits: LoadLimits, source: str = "", content_type: str = "") -> Article:
    """One article from file contents; the suffix (or content type) picks the parser."""
    suffix = Path(name).suffix.lower()
    source = source or name
    if len(data) > limits.max_file_bytes:
        raise IngestError(
            f"{Path(name).name} is {len(data):,} bytes, more than the limit of {limits.max_file_bytes:,} "
            "(setting max_file_bytes / QA_BOT_MAX_FILE_BYTES)."
        )
    if suffix in PDF_SUFFIXES or "pdf" in content_type or data[:5] == b"%PDF-":
        return make_article(pdf_to_text(data), source=source, max_chars=limits.max_article_chars)
    text = decode_bytes(data)
    if suffix in HTML_SUFFIXES or "html" in content_type or re.match(r"\s*(<!doctype html|<html)", text[:500], re.I):
        body, title, date = html_to_text(text)
        if not body.strip() or len(body.split()) < 4:
            raise IngestError(f"{Path(name).name or source}: the page has no article text (only navigation or markup).")
        return make_article(body, title=title, source=source, date=date, max_chars=limits.max_article_chars)
    if suffix not in TEXT_SUFFIXES:
        raise IngestError(f"Unsupported file type {suffix!r}: use .txt, .md, .html or .pdf.")
    return make_article(text, source=source, max_chars=limits.max_article_chars)


def load_file(path: Path, limits: LoadLimits) -> Article:
    """One article from a file on disk."""
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"No such file: {path}")
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise IngestError(
            f"{path.name} is {size:,} bytes, more than the limit of {limits.max_file_bytes:,} "
            "(setting max_file_bytes / QA_BOT_MAX_FILE_BYTES)."
        )
    return article_from_bytes(path.read_bytes(), str(path), limits, source=str(path))


def iter_folder(folder: Path) -> Iterator[Path]:
    """Supported files in a folder, recursively, in a stable order."""
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES and not path.name.startswith("."):
            yield path


def check_url(url: str, allow_private: bool) -> None:
    """Refuse non-http(s) URLs and, unless allowed, loopback/private/link-local hosts."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise IngestError(f"Not a web address: {url!r} (use http:// or https://).")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parsed.hostname, parsed.port or 80, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise IngestError(f"Cannot resolve {parsed.hostname}: {exc.strerror}") from exc
    for info in infos:
        addr = ipaddress.ip_address(info[4][0])
        if addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_reserved or addr.is_multicast:
            raise IngestError(
                f"Refusing to fetch {parsed.hostname}: it is a private or local address "
                "(setting allow_private_urls / QA_BOT_ALLOW_PRIVATE_URLS)."
            )


def load_url(url: str, limits: LoadLimits) -> Article:
    """Fetch a URL (bounded time, size and redirects) and extract its article."""
    import httpx

    current = url
    for _ in range(6):
        check_url(current, limits.allow_private_urls)
        try:
            with httpx.stream("GET", current, timeout=limits.url_timeout, follow_redirects=False,
                              headers={"User-Agent": "qa_bot/0.1 (+article reader)"}) as resp:
                if resp.is_redirect:
                    location = resp.headers.get("location", "")
                    current = str(httpx.URL(current).join(location))
                    continue
                if resp.status_code >= 400:
                    raise IngestError(f"{url} answered HTTP {resp.status_code}.")
                declared = int(resp.headers.get("content-length") or 0)
                if declared > limits.url_max_bytes:
                    raise IngestError(f"{url} is {declared:,} bytes, more than the limit of {limits.url_max_bytes:,}.")
                chunks, total = [], 0
                for chunk in resp.iter_bytes():
                    total += len(chunk)
                    if total > limits.url_max_bytes:
                        raise IngestError(f"{url} is larger than the limit of {limits.url_max_bytes:,} bytes.")
                    chunks.append(chunk)
                content_type = resp.headers.get("content-type", "")
        except httpx.TimeoutException as exc:
            raise IngestError(f"{url} did not answer within {limits.url_timeout:g} s.") from exc
        except httpx.HTTPError as exc:
            raise IngestError(f"Cannot fetch {url}: {exc}") from exc
        name = urlparse(current).path.rsplit("/", 1)[-1] or "page.html"
        if "html" in content_type and not name.endswith((".html", ".htm")):
            name += ".html"
        elif Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
            name += ".pdf" if "pdf" in content_type else ".txt"
        return article_from_bytes(b"".join(chunks), name, limits, source=url, content_type=content_type)
    raise IngestError(f"{url} redirects too many times.")


def is_url(value: str) -> bool:
    return bool(re.match(r"^https?://", value.strip(), re.I))

