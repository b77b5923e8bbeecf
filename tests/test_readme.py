"""Every code snippet of the README runs as written: against a real server (stand-in models for the API
snippets), with only the addresses swapped (the test's server for http://127.0.0.1:7860, a page it serves
for https://example.com/story.html: offline), and twice where it changes the library (idempotent)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, SEED
from ui_helpers import running_ui, static_site, stub_bot

README = (ROOT / "README.md").read_text(encoding="utf-8")
STORY = ("<!doctype html><html><head><title>Harbour festival returns</title></head><body><article>"
         "<h1>Harbour festival returns</h1><p>The harbour festival returns on 3 June with 40 boats and a "
         "night market along the quay, the organisers said on Monday.</p></article></body></html>")


def snippets(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def run(args: list[str], cwd=ROOT, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", **env}
    done = subprocess.run(args, cwd=cwd, env=environment, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def api_server(tmp_path_factory):
    """A real server over stand-in models, and a site serving the page the README adds by URL."""
    folder = tmp_path_factory.mktemp("readme")
    (folder / "site").mkdir()
    (folder / "site" / "story.html").write_text(STORY, encoding="utf-8")
    with running_ui(stub_bot(folder)) as url, static_site(folder / "site") as site:
        yield url, site


def localised(code: str, url: str, site: str) -> str:
    return code.replace("http://127.0.0.1:7860", url).replace("https://example.com", site)


def test_the_readme_lists_the_two_setup_commands_and_the_test_command():
    setup = snippets("bash")[0]
    assert "pip install -r requirements.txt" in setup and "python app.py" in setup
    assert snippets("bash")[1].strip() == "python -m pytest"
    assert "## Engines" in README and "## Storage" in README


def test_gradio_client_snippet_runs_as_written_twice(api_server):
    url, site = api_server
    (code,) = [s for s in snippets("python") if "gradio_client" in s]
    for _ in range(2):  # the second run meets its article already in the library
        out = run([sys.executable, "-c", localised(code, url, site)]).stdout
        assert "Harbour news" in out


def test_curl_snippet_runs_as_written(api_server):
    url, site = api_server
    (code,) = [s for s in snippets("bash") if "curl" in s]
    out = run(["bash", "-c", localised(code, url, site)]).stdout
    assert "event: complete" in out and '"answer"' in out


def test_plain_http_with_the_inputs_the_readme_lists(api_server):
    """/add_article with text and title only; /remove_article of an unknown id is a readable error."""
    import httpx

    url, _ = api_server

    def call(name: str, data: list) -> str:
        event = httpx.post(f"{url}/gradio_api/call/{name}", json={"data": data}).json()["event_id"]
        return httpx.get(f"{url}/gradio_api/call/{name}/{event}", timeout=60).text

    added = call("add_article", ["Tide tables\n\nHigh tide on Friday is at 06:40.", "Tide tables"])
    assert "event: complete" in added and "Tide tables" in added
    missing = call("remove_article", ["nosuchid0000"])
    assert "event: error" in missing and "No article with id" in missing


@pytest.mark.e2e
def test_command_line_snippet_runs_as_written(tmp_path, api_server):
    """Each command line in a folder holding the files it names; the real models."""
    _, site = api_server
    (tmp_path / "article.html").write_text(STORY.replace("Harbour festival", "Lantern parade"), encoding="utf-8")
    (tmp_path / "notes.md").write_text("# Library hours\n\nThe library opens at 9 on Saturdays.", encoding="utf-8")
    (tmp_path / "folder").mkdir()
    shutil.copy(SEED, tmp_path / "folder" / SEED.name)
    (code,) = [s for s in snippets("bash") if "python -m qa_bot ask" in s]
    for line in code.strip().splitlines():
        command = re.sub(r"\s+#.*$", "", localised(line, "", site))
        run(["bash", "-c", command], cwd=tmp_path, QA_BOT_INDEX_DIR=str(tmp_path / "index"),
            QA_BOT_ALLOW_PRIVATE_URLS="1")
    listed = run([sys.executable, "-m", "qa_bot", "list", "--index", str(tmp_path / "index")]).stdout
    assert "Lantern parade" in listed and "00664c5aac44" not in listed  # removed by the snippet


def test_global_flags_go_before_or_after_the_command(tmp_path):
    index = str(tmp_path / "index")
    after = run([sys.executable, "-m", "qa_bot", "list", "--index", index]).stdout
    before = run([sys.executable, "-m", "qa_bot", "--index", index, "list"]).stdout
    assert after == before
    assert "--index" in run([sys.executable, "-m", "qa_bot", "ask", "--help"]).stdout


@pytest.mark.e2e
def test_python_snippet_runs_as_written(tmp_path):
    (code,) = [s for s in snippets("python") if "from qa_bot import Bot" in s]
    run([sys.executable, "-c", code.replace("indexes/default", str(tmp_path / "index"))], cwd=ROOT)
