from django.urls import URLPattern, path

from oncall import views

urlpatterns: list[URLPattern] = [
    path("oncall/pages/<uuid:page_id>/", views.page_detail, name="oncall_page"),
    path(
        "oncall/pages/<uuid:page_id>/acknowledge",
        views.page_acknowledge_view,
        name="oncall_page_acknowledge",
    ),
    path("oncall/link/<str:token>/", views.page_link, name="oncall_page_link"),
]
