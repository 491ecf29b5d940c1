"""The office TV and the web dashboard (DESIGN.md item 17): pages behind unguessable links.

``page_routes`` gives the routes for the one listener of ``crm-pulse run``; app builds the
``PagesSettings`` from the config. Figures come from ``reports.build`` (the code path of
``crm-pulse report --json``), charts from ``charts``; nothing here talks to the portal.
"""

from __future__ import annotations

from web.pages.routes import PagesSettings, page_routes

__all__ = ["PagesSettings", "page_routes"]
