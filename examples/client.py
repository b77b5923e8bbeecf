"""Use a running qa_bot (``python app.py``) from Python with gradio_client.

    python examples/client.py                                  # list, ask (streamed), follow up, summarise
    python examples/client.py --ask "Who is the Kremlin spokesman?"
    python examples/client.py --add-text story.txt --ask "What happened?"
    python examples/client.py --add-url https://example.com/news/story.html
    python examples/client.py --url http://127.0.0.1:7860/ --summary bullets
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gradio_client import Client


def show_answer(result: dict) -> None:
    """Print an answer (or an abstention) and where it came from."""
    if not result["found"]:
        print(f"  (not in the articles) {result['answer']}")
        return
    print(f"  {result['answer']}")
    for n, source in enumerate(result["sources"], 1):
        passage = source["text"].replace("\n", " ")
        lo = source["highlight_start"] - source["start"]
        hi = source["highlight_end"] - source["start"]
        context = f"{passage[max(lo - 80, 0):lo]}«{passage[lo:hi]}»{passage[hi:hi + 80]}"
        print(f"  [{n}] {source['title']}: …{context}…")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:7860/", help="the qa_bot server")
    parser.add_argument("--ask", default="How many soldiers has Russia moved near Ukraine?", help="a question")
    parser.add_argument("--follow-up", default="When will officials hold talks in Geneva?",
                        help="a second question that uses the first as history ('' to skip)")
    parser.add_argument("--summary", choices=["short", "medium", "bullets", "none"], default="short")
    parser.add_argument("--add-text", type=Path, help="add this text file as an article first")
    parser.add_argument("--add-url", help="add the article at this web address first")
    args = parser.parse_args()

    client = Client(args.url, verbose=False)

    if args.add_text:
        added = client.predict(args.add_text.read_text(encoding="utf-8"), "", api_name="/add_article")
        print(added["message"])
    if args.add_url:
        print(client.predict(args.add_url, api_name="/add_url")["message"])

    articles = client.predict(api_name="/list_articles")
    print(f"{len(articles)} article(s):")
    for article in articles:
        print(f"  {article['id']}  {article['title']} ({article['words']} words)")

    print(f"\nQ: {args.ask}")
    job = client.submit(args.ask, None, "all", api_name="/ask_stream")  # streamed: updates as text arrives
    shown = ""
    for update in job:
        if not update["done"]:
            print(update["answer"][len(shown):], end="", flush=True)
            shown = update["answer"]
    print()
    first = job.outputs()[-1]
    show_answer(first)

    if args.follow_up:
        history = [[args.ask, first["answer"]]] if first["found"] else None
        print(f"\nQ: {args.follow_up}")
        show_answer(client.predict(args.follow_up, history, "all", api_name="/ask"))

    if args.summary != "none" and articles:
        print(f"\nSummary ({args.summary}) of the most recent article:")
        summary = client.predict("latest", args.summary, api_name="/summarize")
        print(summary["summary"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
