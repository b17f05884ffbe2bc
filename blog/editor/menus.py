"""The header and footer menus: add, move up and down, remove; every button a plain form."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from blog import menus
from blog.editor.forms import EmptyForm
from blog.editor.site_forms import MenuLinkForm
from blog.extensions import db
from blog.models import Category, Page
from blog.posts.listings import CATEGORY_ORDER
from blog.posts.status import Status
from blog.urls import small_int

bp = Blueprint("menus", __name__)


def _menu_or_404(menu: str) -> str:
    if menu not in menus.MENUS:
        abort(404)
    return menu


def _screen(link_forms: dict | None = None, status: int = 200):
    link_forms = link_forms or {}
    return render_template(
        "editor/menus.html",
        menus=[
            (
                menu,
                menus.LABELS[menu],
                *menus.entries(menu),
                link_forms.get(menu) or MenuLinkForm(formdata=None, prefix=menu),
            )
            for menu in menus.MENUS
        ],
        categories=db.session.execute(
            select(Category.id, Category.name).order_by(*CATEGORY_ORDER)
        ).all(),
        pages=db.session.execute(
            select(Page.id, Page.title).where(Page.status != Status.TRASH).order_by(Page.title)
        ).all(),
        form=EmptyForm(),
    ), status


@bp.get("/menus/")
def index():
    """Show the header and footer menus, each with its items in order."""
    return _screen()


@bp.post("/menus/<menu>/add")
def add(menu: str):
    """Add a category, a page, the archives or the feeds at the end of a menu."""
    menu = _menu_or_404(menu)
    if not EmptyForm().validate_on_submit():
        abort(400)
    kind, _, number = request.form.get("target", "").partition(":")
    try:
        target_id = small_int(number) if number else None
    except ValueError:
        target_id = None
    if kind == "category" and target_id and db.session.get(Category, target_id):
        menus.add_item(menu, kind, category_id=target_id)
    elif kind == "page" and target_id and db.session.get(Page, target_id):
        menus.add_item(menu, kind, page_id=target_id)
    elif kind in ("archives", "feeds") and not number:
        menus.add_item(menu, kind)
    else:
        flash("Choose what to add from the list.")
        return redirect(url_for(".index"))
    db.session.commit()
    flash(f"Added to the {menus.LABELS[menu].lower()}.")
    return redirect(url_for(".index", _anchor=menu))


@bp.post("/menus/<menu>/link")
def add_link(menu: str):
    """Add a custom link at the end of a menu; a refused one comes back as typed."""
    menu = _menu_or_404(menu)
    form = MenuLinkForm(prefix=menu)
    if not form.validate_on_submit():
        return _screen({menu: form}, 422)
    menus.add_item(menu, "link", label=form.label.data, url=form.url.data)
    db.session.commit()
    flash(f"Link added to the {menus.LABELS[menu].lower()}.")
    return redirect(url_for(".index", _anchor=menu))


@bp.post("/menus/<menu>/item")
def change(menu: str):
    """Move an item up or down, or to a place (dragged there, with JavaScript), or remove it."""
    menu = _menu_or_404(menu)
    action = request.form.get("change")
    if action not in ("up", "down", "move", "remove") or not EmptyForm().validate_on_submit():
        abort(400)
    item_id = request.form.get("item", type=small_int)
    index = request.form.get("index", type=small_int)
    if action == "remove":
        done = menus.remove_item(menu, item_id, index)
    elif action == "move":
        to = request.form.get("to", type=small_int)
        done = to is not None and menus.move_item(menu, item_id, index=index, to=to)
    else:
        done = menus.move_item(menu, item_id, -1 if action == "up" else 1, index)
    if done:
        db.session.commit()
    return redirect(url_for(".index", _anchor=menu))


@bp.post("/menus/<menu>/reset")
def reset(menu: str):
    """Make a menu automatic again."""
    menu = _menu_or_404(menu)
    if EmptyForm().validate_on_submit():
        menus.reset(menu)
        db.session.commit()
        flash(f"The {menus.LABELS[menu].lower()} is automatic again.")
    return redirect(url_for(".index", _anchor=menu))
