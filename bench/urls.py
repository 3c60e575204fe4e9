"""No URLs: django_vox.urls is left out, so messages carry no unsubscribe links
(the floor has none either); see docs/benchmarks.rst."""

urlpatterns = []
