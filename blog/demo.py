"""Realistic demo content, fast enough for benchmarks: 10,000 posts in seconds."""

import io
import random
from collections.abc import Callable
from datetime import timedelta

from PIL import Image, ImageDraw, ImageFilter
from sqlalchemy import func, insert, select
from werkzeug.datastructures import FileStorage

from blog import media
from blog.accounts import ensure_editor_account
from blog.extensions import db
from blog.models import Category, Post, Tag, User, post_tags, utcnow
from blog.posts.status import Status
from blog.render import body_fields
from blog.search.index import optimize_search_index
from blog.slugs import slugify

CATEGORIES = {
    "World News": "Reporting from every continent.",
    "Politics": "Parliaments, parties and the people they answer to.",
    "Business": "Markets, companies and the economy.",
    "Technology": "Software, hardware and the people who make them.",
    "Science": "Discoveries, explained.",
    "Health": "Medicine, public health and living well.",
    "Culture": "Books, film, music and the arts.",
    "Sport": "Results, profiles and analysis.",
}
TAGS = [
    "climate",
    "elections",
    "energy",
    "trade",
    "inflation",
    "diplomacy",
    "migration",
    "space",
    "ai",
    "privacy",
    "security",
    "oceans",
    "agriculture",
    "transport",
    "housing",
    "education",
    "football",
    "tennis",
    "cycling",
    "film",
    "books",
    "music",
    "research",
    "vaccines",
    "startups",
    "banking",
    "europe",
    "asia",
    "africa",
    "americas",
    "cities",
]
WRITERS = [
    ("amara", "Amara Okafor", "Foreign correspondent. Writes about diplomacy and trade."),
    ("lukas", "Lukas Brandt", "Covers technology, science and the space industry."),
    ("sofia", "Sofia Marín", "Culture editor. Reads too many books, watches too many films."),
]
SUBJECTS = """Coastal cities|Regional farmers|The central bank|Transit planners|Island nations
|Parliament|A new generation of founders|Researchers in the Arctic|Teachers' unions|The health
ministry|Small retailers|Wind farm operators|The national orchestra|Rail workers|Chess clubs
|Football academies|Satellite makers|Water authorities|Mountain villages|Coffee growers""".split(
    "|"
)
ACTIONS = """weigh a bold plan for|push back against|quietly reshape|bet heavily on|race to rebuild
|rethink the cost of|find unexpected allies in|brace for changes to|look abroad for|vote on the
future of|report record demand for|open a new chapter in|struggle to keep pace with""".split("|")
OBJECTS = """clean energy|public housing|cross-border trade|their water supply|digital privacy
|the night economy|rural broadband|the next election|ocean research|school meals|summer
festivals|local newspapers|electric buses|the grain harvest""".split("|")
SENTENCES = [
    "Officials said the decision followed months of consultation with residents.",
    "Critics argue the timetable is too ambitious and the budget too thin.",
    "Supporters point to early results from a pilot that ran last spring.",
    "The figures, published on Tuesday, surprised even the most optimistic analysts.",
    "Nobody we spoke to expected the change to happen so quickly.",
    "Several neighbouring regions are watching closely before making plans of their own.",
    "The committee will publish its full report before the end of the year.",
    "Prices have risen steadily, and households feel it at the end of every month.",
    "For now, the mood on the ground is cautious rather than hopeful.",
    "Independent experts say the data is promising but far from conclusive.",
    "Local businesses have already started to adapt, some faster than others.",
    "The plan depends on funding that has not yet been approved.",
    "It is the third time in a decade that the question has come up.",
    "Younger residents, in particular, say they feel left out of the debate.",
    "A spokesperson declined to comment on the details but confirmed the meeting.",
]
HEADINGS = ["What happens next", "The numbers", "How we got here", "Voices", "Why it matters"]


def _phrases(pool: list[str]) -> list[str]:
    return [" ".join(phrase.split()) for phrase in pool]


SUBJECTS, ACTIONS, OBJECTS = map(_phrases, (SUBJECTS, ACTIONS, OBJECTS))


def _paragraph(rng: random.Random) -> str:
    return " ".join(rng.sample(SENTENCES, rng.randint(3, 6)))


def _body(rng: random.Random) -> str:
    parts = [_paragraph(rng) for _ in range(2)]
    for heading in rng.sample(HEADINGS, 2):
        parts.append(f"## {heading}")
        parts += [_paragraph(rng) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.3:
            parts.append("\n".join(f"- {s}" for s in rng.sample(SENTENCES, 3)))
        if rng.random() < 0.3:
            parts.append("> " + rng.choice(SENTENCES))
    return "\n\n".join(parts)


def _named(model, names: dict[str, str] | list[str]) -> dict[str, int]:
    """Return slug -> id for these names, creating the rows that are missing."""
    existing = dict(db.session.execute(select(model.slug, model.id)).all())
    for name in names:
        slug = slugify(name)
        if slug not in existing:
            row = model(name=name, slug=slug)
            if isinstance(names, dict):
                row.description = names[name]
            db.session.add(row)
            db.session.flush()
            existing[slug] = row.id
    return existing


def _writers() -> list[int]:
    ids = [ensure_editor_account().id]
    for username, name, bio in WRITERS:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(username=username, display_name=name, bio=bio)
            db.session.add(user)
            db.session.flush()
        ids.append(user.id)
    return ids


# Two colours per picture: sky and sea, dusk, a field, a city at night ...
PALETTES = [
    ((28, 63, 110), (236, 168, 92), "deep blue into orange"),
    ((20, 92, 84), (222, 226, 196), "teal into pale sand"),
    ((92, 34, 58), (243, 190, 140), "plum into peach"),
    ((46, 46, 52), (210, 60, 48), "charcoal into red"),
    ((64, 104, 52), (232, 220, 128), "green into yellow"),
    ((18, 24, 48), (118, 150, 214), "night blue into sky blue"),
]


def demo_picture(rng: random.Random, number: int) -> tuple[bytes, str]:
    """Return an abstract picture (JPEG, 1600 x 1000) and its description, drawn from rng."""
    top, bottom, words = PALETTES[number % len(PALETTES)]
    width, height = 1600, 1000
    picture = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(picture)
    for y in range(height):
        t = y / (height - 1)
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)),
        )
    shapes = Image.new("RGBA", (width, height))
    pen = ImageDraw.Draw(shapes)
    for _ in range(rng.randint(5, 9)):
        x, y, r = rng.randrange(width), rng.randrange(height), rng.randint(60, 320)
        shade = rng.choice([top, bottom, (255, 255, 255)])
        pen.ellipse([x - r, y - r, x + r, y + r], fill=(*shade, rng.randint(40, 110)))
    picture.paste(
        shapes.filter(ImageFilter.GaussianBlur(24)),
        (0, 0),
        shapes.filter(ImageFilter.GaussianBlur(24)),
    )
    data = io.BytesIO()
    picture.save(data, "JPEG", quality=82)
    return data.getvalue(), f"An abstract picture: soft circles on a gradient, {words}"


def _pictures(rng: random.Random, count: int) -> list[tuple[int, str]]:
    """Store count demo pictures in Media; return (id, description) of each."""
    stored = []
    for number in range(count):
        data, alt = demo_picture(rng, number)
        upload = FileStorage(io.BytesIO(data), filename=f"demo-{number + 1}.jpg")
        item = media.save_upload(upload)
        media.describe_media(item, alt)
        stored.append((item.id, alt))
    return stored


def create_demo_posts(
    count: int,
    seed: int = 1,
    years: int = 5,
    progress: Callable[[int], None] | None = None,
    pictures: int = 0,
) -> int:
    """Add count published posts over several categories, tags, authors and years.

    One draft in fifty comes on top, as on a real site: the public archive holds exactly
    count posts, so its pages fill the same way at every size (the benchmark relies on it).
    pictures: how many demo pictures to store in Media; with some, two posts in three get one
    of them as their featured image.
    """
    rng = random.Random(seed)
    images = _pictures(random.Random(seed), pictures)
    categories = list(_named(Category, CATEGORIES).values())
    tags = list(_named(Tag, [t.capitalize() if len(t) > 2 else t.upper() for t in TAGS]).values())
    authors = _writers()
    # Sanitizing costs about a millisecond a body: render a pool once and reuse it.
    bodies = []
    for _ in range(min(count, 60)):
        source = _body(rng)
        bodies.append((source, body_fields(source, "markdown").as_dict()))
    start = (db.session.scalar(select(func.max(Post.id))) or 0) + 1
    now = utcnow()
    span = timedelta(days=365 * years).total_seconds()
    total = count + count // 50
    drafts = set(rng.sample(range(start, start + total), count // 50))
    batch_size = 2000
    for offset in range(0, total, batch_size):
        rows, links = [], []
        for n in range(start + offset, start + min(offset + batch_size, total)):
            title = f"{rng.choice(SUBJECTS)} {rng.choice(ACTIONS)} {rng.choice(OBJECTS)}"
            source, fields = rng.choice(bodies)
            published = now - timedelta(seconds=rng.random() * span)
            status = Status.DRAFT if n in drafts else Status.PUBLISHED
            rows.append(
                dict(
                    id=n,
                    title=title,
                    slug=f"{slugify(title)}-{n}",
                    body_format="markdown",
                    body_source=source,
                    **fields,
                    status=status,
                    published_at=published,
                    created_at=published,
                    updated_at=published,
                    author_id=rng.choice(authors),
                    category_id=rng.choice(categories),
                    image_id=None,
                    image_alt="",
                )
            )
            if images and n % 3:
                rows[-1]["image_id"], rows[-1]["image_alt"] = images[n % len(images)]
            links += [dict(post_id=n, tag_id=t) for t in rng.sample(tags, rng.randint(1, 4))]
        db.session.execute(insert(Post), rows)
        db.session.execute(insert(post_tags), links)
        if progress:
            progress(sum(row["status"] == Status.PUBLISHED for row in rows))
    if count and db.engine.dialect.name == "postgresql":
        # The ids were written explicitly, so PostgreSQL's sequence did not move: the next
        # post the editor saves would take id 1 again. (SQLite picks max(id) + 1 itself.)
        sequence = func.pg_get_serial_sequence("posts", "id")
        db.session.execute(select(func.setval(sequence, start + total - 1)))
    # The triggers indexed each post as it came; one merge makes the index quick to read.
    optimize_search_index()
    return count
