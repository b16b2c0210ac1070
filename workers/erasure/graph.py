"""Resolve a person's record graph from the Individual id: SOQL in composite calls, by depth.

Each depth of the policy's link tree is one composite call of queries (Individual, Contacts,
Leads, person Accounts, consents and custom objects first; then contact points, cases,
activities, campaign members, roles and file links; then what hangs off those). Only the
fields the policy masks (and the link fields) are read, and only those the org's describe has.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from handlers.erasure_graph import ROOT, exclusive_documents, rounds
from handlers.erasure_masks import FieldMeta, field_meta
from schemas.erasure_policy import ErasurePolicy, ObjectPolicy
from workers.erasure.facts import DEAL_FIELDS, DEALS, FACT_FIELDS, deal_filters
from workers.erasure.sf import ErasureSalesforce
from workers.salesforce.errors import SalesforceRequestError

IN_CHUNK = 300  # ids per IN (...) list: keeps every SOQL far below the URI limit
Graph = dict[str, list[dict[str, Any]]]
Metas = dict[str, dict[str, FieldMeta]]


def _quote(ids: Iterable[str]) -> str:
    """A SOQL id list: record ids are alphanumeric, anything else is dropped."""
    return ",".join(f"'{i}'" for i in sorted(ids) if i.isalnum())


def _soql(fields: str, sobject: str, where: str) -> str:
    return f"SELECT {fields} FROM {sobject} WHERE {where}"  # noqa: S608 - API names and ids


def _path(soql: str) -> str:
    return "query?" + urlencode({"q": soql})


class GraphResolver:
    """Describe (cached per process) and query the person's graph."""

    def __init__(self, sf: ErasureSalesforce, policy: ErasurePolicy) -> None:
        self.sf = sf
        self.policy = policy
        self.metas: Metas = {}
        self.absent: set[str] = set()  # objects this org does not have (not described again)

    async def describe(self) -> Metas:
        """Field metadata of the policy's objects (objects the org lacks are left out)."""
        wanted = [*self.policy.objects, DEALS]
        missing = [name for name in wanted if name not in self.metas and name not in self.absent]
        if missing:
            answers = await self.sf.composite_get({n: f"sobjects/{n}/describe" for n in missing})
            for name, (status, body) in answers.items():
                if status == 200 and isinstance(body, Mapping):
                    self.metas[name] = {
                        str(f["name"]): field_meta(f) for f in body.get("fields", [])
                    }
                else:
                    self.absent.add(name)
        return self.metas

    def _fields(self, name: str, rule: ObjectPolicy) -> list[str]:
        known = self.metas.get(name, {})
        wanted = {"Id", *(link.field for link in rule.links), *rule.fields}
        wanted.update(when.field for when in rule.category_when)
        for other in self.policy.objects.values():  # values dependents match on
            wanted.update(link.via for link in other.links if name in link.to)
        wanted.update(FACT_FIELDS.get(name, ()))  # what the engine derives the person from
        if name == "Lawful_Legal_Hold__c":
            wanted.update(
                {"Categories__c", "Claim_Ref__c", "Until__c", "Set_At__c", "Released_At__c"}
            )
        return sorted(f for f in wanted if f in known)

    def _queries(self, name: str, graph: Graph, root_id: str) -> list[str]:
        rule = self.policy.objects[name]
        fields = ",".join(self._fields(name, rule))
        if name == ROOT:
            return [_soql(fields, name, f"Id IN ({_quote([root_id])})")]
        queries: list[str] = []
        for link in rule.links:
            values = {
                str(r[link.via]) for t in link.to for r in graph.get(t, []) if r.get(link.via)
            }
            if ROOT in link.to and link.via == "Id":
                values.add(root_id)
            ordered = sorted(values)
            for start in range(0, len(ordered), IN_CHUNK):
                where = f"{link.field} IN ({_quote(ordered[start : start + IN_CHUNK])})"
                if rule.where:
                    where = f"{where} AND {rule.where}"
                queries.append(_soql(fields, name, where))
        return queries

    async def resolve(self, individual_id: str) -> Graph:
        """sObject -> records (Id + policy fields) of everything the person's graph holds."""
        await self.describe()
        graph: Graph = {}
        deals: dict[str, str] | None = None
        for group in rounds(self.policy):
            paths: dict[str, str] = {}
            if deals is None and graph.get("OpportunityContactRole") is not None:
                deals = self._deal_queries(graph)  # with the round after the contact roles
                paths.update(deals)
            for name in group:
                if name not in self.metas:
                    continue
                for index, soql in enumerate(self._queries(name, graph, individual_id)):
                    paths[f"{name}__{index}"] = _path(soql)
            if "ContentDocument" in group:
                paths.update(self._document_link_queries(graph))
            answers = await self.sf.composite_get(paths) if paths else {}
            await self._collect(answers, graph)
        if deals is None and (paths := self._deal_queries(graph)):
            await self._collect(await self.sf.composite_get(paths), graph)
        found = graph.pop(DEALS, [])
        self._keep_exclusive_documents(graph)
        if found:
            graph[DEALS] = found  # read for contracts only: never part of the erasure plan
        return graph

    def _deal_queries(self, graph: Graph) -> dict[str, str]:
        """The person's Opportunities (contracts and quotes) by contact role or person account."""
        known = self.metas.get(DEALS, {})
        fields = ",".join(sorted(f for f in DEAL_FIELDS if f in known))
        if not fields:
            return {}
        paths: dict[str, str] = {}
        for field, ids in deal_filters(graph).items():
            ordered = sorted(ids)
            for start in range(0, len(ordered), IN_CHUNK):
                where = f"{field} IN ({_quote(ordered[start : start + IN_CHUNK])})"
                paths[f"{DEALS}__{field}{start}"] = _path(_soql(fields, DEALS, where))
        return paths

    def _document_link_queries(self, graph: Graph) -> dict[str, str]:
        documents = sorted(
            {str(r["ContentDocumentId"]) for r in graph.get("ContentDocumentLink", [])}
        )
        return {
            f"AllDocumentLinks__{i}": _path(
                _soql(
                    "Id,ContentDocumentId,LinkedEntityId",
                    "ContentDocumentLink",
                    f"ContentDocumentId IN ({_quote(documents[i : i + IN_CHUNK])})",
                )
            )
            for i in range(0, len(documents), IN_CHUNK)
        }

    async def _collect(self, answers: dict[str, tuple[int, Any]], graph: Graph) -> None:
        for ref, (status, body) in sorted(answers.items()):
            if status != 200 or not isinstance(body, Mapping):
                raise SalesforceRequestError(status, "QUERY_FAILED", f"{ref}: {str(body)[:300]}")
            name = ref.rsplit("__", 1)[0]
            records = list(body.get("records", []))
            page = body
            while not page.get("done", True) and page.get("nextRecordsUrl"):
                page = await self.sf.query_more(str(page["nextRecordsUrl"]))
                records.extend(page.get("records", []))
            bucket = graph.setdefault(name, [])
            seen = {r["Id"] for r in bucket}
            for record in records:
                clean = {k: v for k, v in record.items() if k != "attributes"}
                if clean["Id"] not in seen:
                    bucket.append(clean)
                    seen.add(clean["Id"])

    def _keep_exclusive_documents(self, graph: Graph) -> None:
        links = graph.pop("AllDocumentLinks", [])
        if "ContentDocument" not in graph:
            return
        ids = {str(r["Id"]) for records in graph.values() for r in records}
        own = exclusive_documents(links, ids)
        graph["ContentDocument"] = [r for r in graph["ContentDocument"] if r["Id"] in own]
        if "ContentVersion" in graph:
            graph["ContentVersion"] = [
                r for r in graph["ContentVersion"] if r.get("ContentDocumentId") in own
            ]
