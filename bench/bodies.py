"""The bodies that once held a worker past gunicorn's timeout, made in code."""

import random
import sys
import time
from pathlib import Path


def article(size: int = 1_150_000) -> str:
    """Return a realistic Markdown article of about `size` characters.

    Headings, paragraphs with emphasis, links and inline code, lists, quotes and code blocks,
    in the proportions of a long feature piece.
    """
    rng = random.Random(6)
    words = (
        "the council voted on tuesday to expand programme three more districts officials said "
        "decision followed months of consultation with residents critics argue timetable is "
        "too ambitious and budget thin housing prices rose again this spring"
    ).split()

    def sentence() -> str:
        picked = rng.choices(words, k=rng.randint(8, 22))
        n = rng.randrange(len(picked))
        if rng.random() < 0.3:
            picked[n] = f"*{picked[n]}*"
        elif rng.random() < 0.3:
            picked[n] = f"[{picked[n]}](https://example.org/{picked[n]}/{rng.randint(1, 999)})"
        elif rng.random() < 0.2:
            picked[n] = f"`{picked[n]}()`"
        return " ".join(picked).capitalize() + "."

    parts: list[str] = []
    length = 0
    section = 0
    while length < size:
        kind = rng.random()
        if kind < 0.08:
            section += 1
            part = f"## Section {section}: {' '.join(rng.choices(words, k=4))}"
        elif kind < 0.6:
            part = " ".join(sentence() for _ in range(rng.randint(2, 6)))
        elif kind < 0.75:
            part = "\n".join(f"- {sentence()}" for _ in range(rng.randint(2, 6)))
        elif kind < 0.85:
            part = "\n".join(f"{n}. {sentence()}" for n in range(1, rng.randint(3, 7)))
        elif kind < 0.93:
            part = "> " + "\n> ".join(sentence() for _ in range(rng.randint(1, 3)))
        else:
            lines = [f"    result = compute({n}, limit={rng.randint(1, 99)})" for n in range(5)]
            part = "```python\ndef example():\n" + "\n".join(lines) + "\n    return result\n```"
        parts.append(part)
        length += len(part) + 2
    return "\n\n".join(parts)


def markdown_table(columns: int = 10, rows: int = 5_000) -> str:
    """Return a Markdown (GitHub-style) table."""
    head = "| " + " | ".join(f"Column {c}" for c in range(columns)) + " |"
    rule = "|" + "---|" * columns
    body = (
        "| " + " | ".join(str((r + c) % 1000) for c in range(columns)) + " |" for r in range(rows)
    )
    return "\n".join([head, rule, *body])


def ampersands(count: int = 200_000) -> str:
    """Return "&amp;" repeated: 1 MB of one character reference."""
    return "&amp;" * count


def wide_table(columns: int = 1_000, rows: int = 20) -> str:
    """Return a Markdown table 1,000 columns wide."""
    return markdown_table(columns, rows)


# Name, maker and format of each body the bench saves.
BODIES = {
    "article 1.15 MB": (article, "markdown"),
    "table 10x5000": (markdown_table, "markdown"),
    '"&amp;" x 200000': (ampersands, "markdown"),
    "table 1000 columns": (wide_table, "markdown"),
}


def row(name: str, size: int, seconds: float, note: str = "") -> str:
    """Format one body's time per save, and per KB so that linear growth shows."""
    kb = size / 1024
    line = f"  {name:<20} {kb:>8,.0f} KB  {seconds:>7.2f} s/save  {seconds * 1000 / kb:>6.2f} ms/KB"
    return line + (f"  {note}" if note else "")


def measure_in_process(repeats: int = 3) -> list[dict]:
    """Time body_fields (what a save computes from a body) on each body: CPU seconds, best of."""
    from blog.render import body_fields
    from blog.sanitize import BodyTooComplex

    results = []
    for name, (make, body_format) in BODIES.items():
        source = make()
        times, note = [], ""
        for n in range(repeats):
            # A body of its own each time: body_fields remembers the last one it rendered.
            variant = source + f"\n\n{n}"
            started = time.process_time()
            try:
                body_fields(variant, body_format)
            except BodyTooComplex as refusal:
                note = f"refused: {refusal}"
            times.append(time.process_time() - started)
        results.append({"body": name, "bytes": len(source), "cpu_s": min(times), "note": note})
    return results


def main() -> None:
    print("Body saves, in process (body_fields, CPU seconds, best of 3):")
    for result in measure_in_process():
        print(row(result["body"], result["bytes"], result["cpu_s"], result["note"]), flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
