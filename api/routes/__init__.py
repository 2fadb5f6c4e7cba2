"""The API's routers, one file per resource."""
