"""Any OpenAI-compatible chat server by URL (a vLLM, llama.cpp or OpenVINO Model Server pool behind a
balancer): how a deployment grows past one machine. Replies stream over server-sent events; Stop
closes the connection, which such servers take as a cancellation."""
from __future__ import annotations

import json
import logging
from typing import Iterator

from .base import Engine, Request

log = logging.getLogger(__name__)


class OpenAIEngine(Engine):
    """Chat completions from ``{url}/v1/chat/completions``; ``slots`` requests run at once."""

    def __init__(self, url: str, model: str = "", api_key: str = "", slots: int = 4,
                 max_wait_s: float = 300.0, timeout_s: float = 120.0) -> None:
        super().__init__(slots, max_wait_s)
        import httpx

        url = url.rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"llm_url must be an http(s) URL, got {url!r}")
        self.base = url if url.endswith("/v1") else url + "/v1"
        self.model = model
        self.name = model or url
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(headers=headers, timeout=httpx.Timeout(timeout_s, connect=10.0))

    def count_tokens(self, text: str) -> int:
        """An estimate (about four characters a token): the server's tokenizer is not at hand."""
        return (len(text) + 3) // 4

    def models(self) -> list[str]:
        """The model names the server offers."""
        response = self._client.get(f"{self.base}/models")
        response.raise_for_status()
        return [m.get("id", "") for m in response.json().get("data", [])]

    def _generate(self, slot: int, request: Request) -> Iterator[str]:
        import httpx

        body = {"messages": list(request.messages), "max_tokens": request.max_tokens, "temperature": 0.0,
                "stream": True}
        if self.model:
            body["model"] = self.model
        if request.stop:
            body["stop"] = list(request.stop)
        try:
            with self._client.stream("POST", f"{self.base}/chat/completions", json=body) as response:
                if response.status_code >= 400:
                    response.read()
                    raise RuntimeError(f"The model server answered {response.status_code}: {response.text[:300]}")
                for line in response.iter_lines():
                    if request.should_stop():
                        return  # leaving the block closes the connection: the server stops
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    choices = json.loads(data).get("choices") or [{}]
                    piece = (choices[0].get("delta") or {}).get("content")
                    if piece:
                        yield piece
        except httpx.HTTPError as exc:
            raise RuntimeError(f"The model server at {self.base} could not be reached: {exc}") from exc

    def close(self) -> None:
        self._client.close()
