"""A plug-in module that cannot be imported: what it needs is not installed."""

import n2g_no_such_dependency  # noqa: F401
