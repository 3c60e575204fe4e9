"""The old module ``django_vox.forms``: the admin's forms are in
:mod:`django_vox.admin.forms`.

Part of the compat side (:mod:`django_vox.compat`): each name warns when read
and is removed in django-vox 6.0.
"""

from django_vox.compat import moved_names

__getattr__, __dir__ = moved_names(__name__, {
    name: ("django_vox.admin.forms", f"import {name} from django_vox.admin.forms.")
    for name in ("TemplateForm", "NotifyForm", "IssueForm", "backend_info", "template_error",
                 "editor_template_problem")
})
