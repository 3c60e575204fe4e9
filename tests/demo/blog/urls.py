from django.urls import path

from tests.demo.blog import views

app_name = "blog"

urlpatterns = [
    path("", views.index, name="index"),
    path("articles/<int:pk>/", views.article, name="article"),
]
