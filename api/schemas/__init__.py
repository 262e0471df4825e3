"""The API's request and response schemas (pydantic), separate from stored rows."""
