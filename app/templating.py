"""The Jinja2 environment shared by HTML routes and error pages."""

from __future__ import annotations

from fastapi.templating import Jinja2Templates

from app import urls
from app.auth.guard import signed_in
from app.corrections.places import form_choices
from indexer.domain import PROJECT_ROOT

TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"

# Autoescaping is on for .html templates: report text and queries are always shown as text.
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
# Templates make the URLs they need where the page hands them none: {{ urls.document_url(doc_id) }}.
templates.env.globals["urls"] = urls
# The header and the correction forms ask who is signed in (None for everyone else).
templates.env.globals["signed_in"] = signed_in
templates.env.globals["correction_choices"] = form_choices
