"""qa_bot: ask questions about news articles and get short, cited answers and summaries, offline."""
import os as _os

_os.environ.setdefault("HF_HUB_OFFLINE", "1")
_os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
_os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
_os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from .answering import Answer, Source  # noqa: E402
from .articles import Article, ArticleInfo, IngestError  # noqa: E402
from .bot import Bot  # noqa: E402
from .config import Config  # noqa: E402
from .summarizing import Summary  # noqa: E402

__all__ = ["Answer", "Article", "ArticleInfo", "Bot", "Config", "IngestError", "Source", "Summary"]
__version__ = "0.1.0"
