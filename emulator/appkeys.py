"""Typed keys for the objects stored on the aiohttp application."""

from __future__ import annotations

from aiohttp import web

from emulator.org import Org
from emulator.rest.router import RestApi

ORG = web.AppKey("lawful_emulator_org", Org)
REST_API = web.AppKey("lawful_emulator_rest_api", RestApi)
