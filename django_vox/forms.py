"""Moved to :mod:`django_vox.admin.forms`; kept so existing imports work."""

from django_vox.admin.forms import (  # noqa: F401
    IssueForm,
    NotifyForm,
    TemplateForm,
    backend_info,
    editor_template_problem,
    template_error,
)

__all__ = ["TemplateForm", "NotifyForm", "IssueForm", "backend_info", "template_error",
           "editor_template_problem"]
