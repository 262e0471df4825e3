"""OpenAPI details FastAPI cannot infer: bodies we parse ourselves (JSON or multipart).

Bodies are read by our own bounded, strict JSON parser (`notary.core.metadata.parse_json`)
rather than FastAPI's, so their schemas are declared here and added to the components.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

REF = "#/components/schemas/{model}"
_SCHEMAS: dict[str, dict[str, Any]] = {}


def register(model: type[BaseModel]) -> dict[str, Any]:
    """Add `model` to the components; returns a reference to it."""
    schema = model.model_json_schema(ref_template=REF)
    _SCHEMAS.update(schema.pop("$defs", {}))
    _SCHEMAS[model.__name__] = schema
    return {"$ref": REF.format(model=model.__name__)}


_PLACEHOLDER = "x-notary-component"


def register_schema(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """Add a JSON Schema of our own (not a model's) to the components as `name`; returns a
    reference to it, for other components (and the document) to refer to it by."""
    _SCHEMAS[name] = schema
    return {"$ref": REF.format(model=name)}


def component(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """`register_schema`, for a field's or an answer's schema (`WithJsonSchema`): pydantic
    cannot hold a reference to a schema it did not make, so this stands in for it and the
    document is given the reference when it is generated."""
    register_schema(name, schema)
    return {_PLACEHOLDER: name}


def _referenced(node: Any) -> Any:
    """`node` with every `component` placeholder replaced by its reference."""
    if isinstance(node, dict):
        if _PLACEHOLDER in node:
            return {"$ref": REF.format(model=node[_PLACEHOLDER])}
        return {k: _referenced(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_referenced(v) for v in node]
    return node


def body(model: type[BaseModel], form: dict[str, Any] | None = None) -> dict[str, Any]:
    """`openapi_extra` declaring a JSON request body of `model` (and a multipart form)."""
    schema = model.model_json_schema(ref_template=REF)
    _SCHEMAS.update(schema.pop("$defs", {}))
    _SCHEMAS[model.__name__] = schema
    content: dict[str, Any] = {
        "application/json": {"schema": {"$ref": REF.format(model=model.__name__)}}
    }
    if form is not None:
        content["multipart/form-data"] = {"schema": form}
    return {"requestBody": {"required": True, "content": content}}


def install(app: FastAPI) -> None:
    """Generate the document once, with the extra component schemas merged in."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for name, value in _SCHEMAS.items():
                components.setdefault(name, value)
            schema["components"]["securitySchemes"] = {
                "bearer": {"type": "http", "scheme": "bearer", "description": "API key"}
            }
            app.openapi_schema = _referenced(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
