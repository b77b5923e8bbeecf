"""URL ingest against a real local HTTP server: timeouts, redirect loops, errors, huge bodies."""
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from qa_bot.articles import IngestError
from qa_bot.loaders import LoadLimits, load_url

PAGE = (b"<html><head><title>Local news</title></head><body><article><h1>Local news</h1>"
        b"<p>The library on Elm Street reopened on Monday after a flood closed it for a month.</p>"
        b"</article></body></html>")


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/article.html":
            self._send(200, PAGE, "text/html; charset=utf-8")
        elif self.path == "/slow":
            time.sleep(3)
            self._send(200, PAGE, "text/html")
        elif self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.end_headers()
        elif self.path == "/huge":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(2 * 1024 ** 3))
            self.end_headers()
            try:
                for _ in range(200):
                    self.wfile.write(b"x" * 65536)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif self.path == "/huge-chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            try:
                for _ in range(400):
                    self.wfile.write(b"news " * 13000)
            except (BrokenPipeError, ConnectionResetError):
                pass
        else:
            self._send(404, b"not here", "text/plain")

    def _send(self, status, body, ctype):
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first (the /slow page outlasts its timeout)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


LOCAL = LoadLimits(url_timeout=1.0, url_max_bytes=1_000_000, allow_private_urls=True)


def test_article_page(server):
    article = load_url(server + "/article.html", LOCAL)
    assert article.title == "Local news" and "Elm Street" in article.text
    assert article.source == server + "/article.html"


@pytest.mark.parametrize("path,message", [
    ("/slow", "did not answer within"),
    ("/loop", "redirects too many times"),
    ("/missing", "HTTP 404"),
    ("/huge", "limit"),
    ("/huge-chunked", "limit"),
])
def test_bad_urls_get_clear_messages(server, path, message):
    started = time.time()
    with pytest.raises(IngestError, match=message):
        load_url(server + path, LOCAL)
    assert time.time() - started < 10


def test_loopback_refused_unless_allowed(server):
    with pytest.raises(IngestError, match="private or local"):
        load_url(server + "/article.html", LoadLimits())
