"""The rules pages (docs/eventmgr.md "Inputs and rules"): the list with enable/disable and
delete, a form to create or edit one (eventmgr.web.rules: the TOML rules' validation, errors at
the field). A rule is named in the query string or a hidden field, so any name works."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlencode

from aiohttp import web

from eventmgr.web import em_of
from eventmgr.web import rules as view
from sipdect import web as kit

NAV_ORDER = 20


def setup(site: kit.WebSite) -> None:
    site.nav("Rules", "/rules", order=NAV_ORDER)
    site.get("/rules", list_page)
    site.get("/rules/new", new_page)
    site.get("/rules/edit", edit_page)
    site.post("/rules/save", save, write=True)
    site.post("/rules/toggle", toggle, write=True)
    site.post("/rules/delete", delete, write=True)


def edit_url(name: str) -> str:
    return "/rules/edit?" + urlencode({"name": name})


async def list_page(request: web.Request) -> web.StreamResponse:
    em = em_of(request)
    configured = {r.name for r in em.cfg.rules}
    rules = sorted(em.rules(), key=lambda r: r.name.casefold())
    return kit.render(request, "em_rules.html", {
        "title": "Rules", "rules": rules, "configured": configured, "edit_url": edit_url,
        "steps_text": view.steps_text})


def _form_page(request: web.Request, form: view.RuleForm, original: str, *,
               status: int = 200) -> web.StreamResponse:
    em = em_of(request)
    return kit.render(request, "em_rule.html", {
        "title": f"Rule {original}" if original else "New rule", "form": form,
        "original": original, "choices": view.choices(), "groups": sorted(em.cfg.groups),
        "from_config": original in {r.name for r in em.cfg.rules}}, status=status)


async def new_page(request: web.Request) -> web.StreamResponse:
    return _form_page(request, view.RuleForm(view.new_values()), "")


async def edit_page(request: web.Request) -> web.StreamResponse:
    name = request.query.get("name", "")
    rule = next((r for r in em_of(request).rules() if r.name == name), None)
    if rule is None:
        raise web.HTTPNotFound(text=f"There is no rule {name!r}.")
    return _form_page(request, view.RuleForm(view.values_of(rule)), name)


async def save(request: web.Request) -> web.StreamResponse:
    em = em_of(request)
    data = await request.post()
    fields: dict[str, str | list[str]] = {k: str(data.get(k, "")) for k in data
                                          if k not in view.CHOICES}
    for key in view.CHOICES:
        fields[key] = [str(v) for v in data.getall(key, [])]
    original = str(data.get("original", ""))
    names = {r.name for r in em.rules()}
    if original and original not in names:
        kit.flash(request, f"The rule {original!r} is gone.", "error")
        raise kit.redirect("/rules")
    form = view.parse(fields, groups=em.cfg.groups,
                      taken=lambda n: n in names and n != original)
    if form.rule is None:
        return _form_page(request, form, original, status=400)
    who = kit.principal(request).username
    em.put_rule(form.rule, by=who)
    if original and original != form.rule.name:
        em.delete_rule(original, by=who)
    kit.flash(request, f"Rule {form.rule.name!r} saved.")
    raise kit.redirect("/rules")


async def toggle(request: web.Request) -> web.StreamResponse:
    em = em_of(request)
    data = await kit.form(request)
    rule = next((r for r in em.rules() if r.name == data.get("name", "")), None)
    if rule is None:
        kit.flash(request, "There is no such rule.", "error")
    else:
        em.put_rule(dataclasses.replace(rule, enabled=not rule.enabled),
                    by=kit.principal(request).username)
        kit.flash(request, f"Rule {rule.name!r} {'disabled' if rule.enabled else 'enabled'}.")
    raise kit.redirect("/rules")


async def delete(request: web.Request) -> web.StreamResponse:
    em = em_of(request)
    name = (await kit.form(request)).get("name", "")
    if name not in {r.name for r in em.rules()}:
        kit.flash(request, "There is no such rule.", "error")
    else:
        em.delete_rule(name, by=kit.principal(request).username)
        kit.flash(request, f"Rule {name!r} deleted.")
    raise kit.redirect("/rules")
