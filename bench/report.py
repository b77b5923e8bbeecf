"""Print the tables saved in bench/results/*.json as Markdown (what the README's tables are made of).

    python bench/report.py bench/results/speed-levers1.json bench/results/qa_nyt-open.json
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def report(paths: list[Path]) -> str:
    """Markdown: for each result file, its command, date, machine and tables."""
    out = []
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        machine = data.get("machine", {})
        out.append(f"#### {data['script']}{' (' + data['tag'] + ')' if data.get('tag') else ''}\n")
        out.append(f"`python bench/{data['command']}` — {data['date'][:10]}, "
                   f"{machine.get('cpu', '?')}, {machine.get('cores', '?')} cores\n")
        for table in data.get("tables", []):
            out.append(f"{table['title']}\n\n{table['markdown']}\n")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", type=Path)
    print(report(parser.parse_args().results))


if __name__ == "__main__":
    main()
