"""Latency of the preview server: from saving an article to the browser's reload event.

    python3 benchmarks/serve_latency.py                   # the sample site (a copy in a temporary folder)
    python3 benchmarks/serve_latency.py --articles 10000  # a generated site of that many articles

Starts `broadsheet serve`'s session in this process on a free port, listens to its Server-Sent Events like a
browser does, then saves one article `--runs` times (a new title each time, or with `--edit body` a new sentence at
the end of its body) and prints how long each save took to reach the reload event, and how long the rebuilds
themselves took. A title is structural (neighbours, lists and feeds show it); a body edit changes one page.
"""

from __future__ import annotations

import argparse
import http.client
import os
import queue
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from broadsheet.preview.serve import PreviewSession, Rebuild
from broadsheet.stages.config import BuildOptions

SAMPLE_ARTICLE = "content/world/russian-interior-minister-cuba-visit.md"


def listen(port: int, arrivals: queue.Queue[tuple[str, float]]) -> None:
    """Read the events stream, putting (event, arrival time) for every event."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request("GET", "/__broadsheet/events")
    kind = ""
    for raw in connection.getresponse():
        line = raw.decode().strip()
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            arrivals.put((kind, time.perf_counter()))


def make_site(folder: Path, articles: int) -> tuple[Path, str]:
    """A site to measure and the article to save in it."""
    site = folder / "site"
    if articles:
        from sitegen import article_text, write_site

        write_site(site, articles)
        # Article i is dated 7·i hours after 2023-01-01: a quarter of the way in, it is published (at 10,000
        # articles, the later half is dated in the future, and an edit to it changes no page).
        return site, article_text(articles // 4)[0]
    site.mkdir()
    shutil.copy(ROOT / "site.yaml", site / "site.yaml")
    for name in ("content", "templates", "static"):
        shutil.copytree(ROOT / name, site / name)
    return site, SAMPLE_ARTICLE


def figures(values: list[float]) -> str:
    """median, 90th percentile, min and max, in milliseconds."""
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return (f"median {statistics.median(ordered) * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms, "
            f"min {ordered[0] * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=0, help="generate a site of this many articles (default: the sample site)")
    parser.add_argument("--runs", type=int, default=20, help="saves to measure (default: 20)")
    parser.add_argument("--edit", choices=("title", "body"), default="title", help="what each save changes")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="broadsheet-bench-") as temporary:
        site, article = make_site(Path(temporary), args.articles)
        rebuilds: list[Rebuild] = []
        started = time.perf_counter()
        session = PreviewSession(BuildOptions(site_dir=site, output_dir=site / "public"), port=0,
                                 report=rebuilds.append)
        session.start()
        print(f"first build: {time.perf_counter() - started:.2f} s ({rebuilds[0].summary})")
        loop = threading.Thread(target=session.run, daemon=True)
        loop.start()
        assert session.server is not None
        arrivals: queue.Queue[tuple[str, float]] = queue.Queue()
        threading.Thread(target=listen, args=(session.server.server_address[1], arrivals), daemon=True).start()
        assert arrivals.get(timeout=10)[0] == "hello"
        path = site / article
        text = path.read_text(encoding="utf-8")
        latencies = []
        try:
            for run in range(args.runs):
                time.sleep(0.3)  # let the previous save's rebuild finish and the watcher go quiet
                saved = time.perf_counter()
                edited = (text.replace("title: ", f"title: Edit {run} of ", 1) if args.edit == "title"
                          else text.rstrip("\n") + f"\n\nOne more sentence, number {run}.\n")
                path.write_text(edited, encoding="utf-8")
                kind, arrived = arrivals.get(timeout=120)
                if kind != "reload" or not rebuilds[-1].ok:
                    print(f"run {run}: unexpected {kind} event / failed rebuild", file=sys.stderr)
                    return 1
                latencies.append(arrived - saved)
        finally:
            session.close()
        site_name = f"{args.articles} generated articles" if args.articles else "the sample site"
        print(f"save ({args.edit} edit) -> reload event on {site_name}, {args.runs} saves: {figures(latencies)}")
        print(f"rebuild alone: {figures([r.seconds for r in rebuilds[1:]])}")
        print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (other work slows both figures)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
