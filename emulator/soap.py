"""SOAP partner `login()` as simple-salesforce sends it (POST /services/Soap/u/{version})."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from aiohttp import web

from emulator.appkeys import ORG
from emulator.org import Org

PARTNER_NS = "{urn:partner.soap.sforce.com}"
FAULT = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" \
xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\
<soapenv:Body><soapenv:Fault><faultcode>sf:{code}</faultcode><faultstring>{code}: {message}\
</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>{code}\
</sf:exceptionCode><sf:exceptionMessage>{message}</sf:exceptionMessage></sf:LoginFault></detail>\
</soapenv:Fault></soapenv:Body></soapenv:Envelope>"""
SUCCESS = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" \
xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\
<soapenv:Body><loginResponse><result>\
<metadataServerUrl>{base}/services/Soap/m/{version}/{org15}</metadataServerUrl>\
<passwordExpired>false</passwordExpired><sandbox>false</sandbox>\
<serverUrl>{base}/services/Soap/u/{version}/{org15}</serverUrl>\
<sessionId>{session}</sessionId><userId>{user}</userId><userInfo>\
<organizationId>{org}</organizationId><userId>{user}</userId><userName>{username}</userName>\
<sessionSecondsValid>{ttl}</sessionSecondsValid></userInfo></result></loginResponse>\
</soapenv:Body></soapenv:Envelope>"""
INVALID_LOGIN = "Invalid username, password, security token; or user locked out."


def _fault(code: str, message: str) -> web.Response:
    body = FAULT.format(code=code, message=escape(message))
    return web.Response(status=500, text=body, content_type="text/xml", charset="utf-8")


async def soap_login(request: web.Request) -> web.Response:
    org: Org = request.app[ORG]
    version = request.match_info.get("version", org.config.api_version)
    try:
        root = ET.fromstring(await request.read())  # noqa: S314 - see module docstring
    except ET.ParseError:
        return _fault("INVALID_SOAP_XML", "The request is not a valid SOAP envelope")
    username = root.find(f".//{PARTNER_NS}login/{PARTNER_NS}username")
    password = root.find(f".//{PARTNER_NS}login/{PARTNER_NS}password")
    if username is None or password is None:
        return _fault("INVALID_OPERATION", "Only login() is supported by the emulator")
    account = org.users.get((username.text or "").strip().lower())
    given = password.text or ""
    if account is None or given not in (account.password + account.security_token,):
        return _fault("INVALID_LOGIN", INVALID_LOGIN)
    session = org.sessions.issue(account.user_id)
    body = SUCCESS.format(
        base=org.instance_url,
        version=version,
        org15=org.config.org_id[:15],
        org=org.config.org_id,
        session=session.token,
        user=account.user_id,
        username=escape(account.username),
        ttl=int(org.sessions.ttl_s),
    )
    return web.Response(text=body, content_type="text/xml", charset="utf-8")
