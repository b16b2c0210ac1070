"""Describe, global describe, the versions list and the resources list."""

from __future__ import annotations

from typing import Any

from emulator.config import SUPPORTED_VERSIONS
from emulator.rest.context import RestRequest, RestResponse, ok
from emulator.schema.model import FieldDef, ObjectDef, Schema


def versions() -> list[dict[str, str]]:
    return [
        {"label": f"Release {v}", "url": f"/services/data/v{v}", "version": v}
        for v in SUPPORTED_VERSIONS
    ]


def resources(version: str) -> dict[str, str]:
    base = f"/services/data/v{version}"
    names = ("sobjects", "query", "queryAll", "limits", "composite", "jobs", "consent")
    return {name: f"{base}/{name}" for name in names}


def _urls(version: str, obj: ObjectDef) -> dict[str, str]:
    base = f"/services/data/v{version}/sobjects/{obj.name}"
    return {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"}


def _summary(version: str, obj: ObjectDef) -> dict[str, Any]:
    event = obj.is_event
    return {
        "name": obj.name,
        "label": obj.label,
        "labelPlural": obj.label_plural,
        "keyPrefix": obj.key_prefix,
        "custom": obj.custom,
        "queryable": not event,
        "createable": True,
        "updateable": not event,
        "deletable": not event,
        "retrieveable": not event,
        "searchable": not event,
        "undeletable": not event,
        "triggerable": True,
        "layoutable": not event,
        "replicateable": not event,
        "customSetting": False,
        "deprecatedAndHidden": False,
        "feedEnabled": False,
        "mergeable": obj.name in ("Account", "Contact", "Lead", "Individual"),
        "urls": _urls(version, obj),
    }


def _change_event_summary(version: str, obj: ObjectDef) -> dict[str, Any]:
    name = (
        obj.name.removesuffix("__c") + "__ChangeEvent" if obj.custom else f"{obj.name}ChangeEvent"
    )
    summary = _summary(version, obj)
    summary.update(
        name=name,
        label=f"{obj.label} Change Event",
        keyPrefix=None,
        custom=obj.custom,
        queryable=False,
        createable=False,
        updateable=False,
        deletable=False,
    )
    summary["urls"] = {"sobject": f"/services/data/v{version}/sobjects/{name}"}
    return summary


def global_describe(version: str, schema: Schema, cdc: set[str]) -> dict[str, Any]:
    sobjects = [_summary(version, o) for o in schema.objects.values()]
    sobjects += [
        _change_event_summary(version, schema.objects[n])
        for n in sorted(cdc)
        if n in schema.objects
    ]
    return {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": sobjects}


def describe_field(definition: FieldDef) -> dict[str, Any]:
    return {
        "name": definition.name,
        "label": definition.label or definition.name,
        "type": definition.type,
        "length": definition.length,
        "custom": definition.custom,
        "nillable": definition.nillable,
        "createable": definition.createable,
        "updateable": definition.updateable,
        "defaultedOnCreate": definition.defaulted_on_create,
        "defaultValue": definition.default_value if definition.type != "boolean" else None,
        "defaultValueFormula": None,
        "externalId": definition.external_id,
        "unique": definition.unique,
        "idLookup": definition.name == "Id" or definition.unique,
        "filterable": True,
        "sortable": definition.type != "textarea",
        "groupable": definition.type not in ("textarea", "double", "datetime"),
        "precision": definition.precision,
        "scale": definition.scale,
        "digits": 0,
        "byteLength": definition.length * 3,
        "autoNumber": bool(definition.auto_number_format),
        "calculated": False,
        "compoundFieldName": None,
        "nameField": definition.name == "Name",
        "picklistValues": [
            {
                "active": True,
                "defaultValue": value == definition.default_value,
                "label": value,
                "validFor": None,
                "value": value,
            }
            for value in definition.picklist
        ],
        "restrictedPicklist": definition.restricted_picklist,
        "referenceTo": list(definition.reference_to),
        "relationshipName": definition.relationship_name,
        "polymorphicForeignKey": len(definition.reference_to) > 1,
        "soapType": "tns:ID" if definition.type in ("id", "reference") else "xsd:string",
    }


def _address_field(compound: str) -> dict[str, Any]:
    return {
        "name": compound,
        "label": compound,
        "type": "address",
        "length": 0,
        "nillable": True,
        "createable": False,
        "updateable": False,
        "custom": False,
        "picklistValues": [],
        "referenceTo": [],
        "relationshipName": None,
        "defaultedOnCreate": False,
        "externalId": False,
        "unique": False,
    }


def child_relationships(schema: Schema, obj: ObjectDef) -> list[dict[str, Any]]:
    return [
        {
            "childSObject": other.name,
            "field": definition.name,
            "relationshipName": None,
            "cascadeDelete": False,
        }
        for other in schema.objects.values()
        for definition in other.fields.values()
        if obj.name in definition.reference_to and definition.type == "reference"
    ]


def describe(version: str, schema: Schema, obj: ObjectDef) -> dict[str, Any]:
    body = _summary(version, obj)
    fields = [describe_field(d) for d in obj.fields.values()]
    fields += [_address_field(c) for c in obj.addresses]
    body.update(
        fields=fields,
        childRelationships=child_relationships(schema, obj),
        recordTypeInfos=[],
        supportedScopes=[{"label": "All", "name": "everything"}],
        activateable=False,
        compactLayoutable=True,
        listviewable=None,
        lookupLayoutable=None,
        searchLayoutable=True,
        hasSubtypes=obj.name == "Account",
        isSubtype=False,
        namedLayoutInfos=[],
        networkScopeFieldName=None,
        sobjectDescribeOption="FULL",
    )
    return body


def describe_handler(request: RestRequest, obj: ObjectDef) -> RestResponse:
    return ok(describe(request.version, request.org.schema, obj))


def metadata_handler(request: RestRequest, obj: ObjectDef) -> RestResponse:
    return ok({"objectDescribe": _summary(request.version, obj), "recentItems": []})


def global_handler(request: RestRequest) -> RestResponse:
    org = request.org
    return ok(global_describe(request.version, org.schema, org.store.cdc_entities))
