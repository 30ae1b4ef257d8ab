from django.urls import path, re_path

from . import views

app_name = "fhir"

# FHIR ids are [A-Za-z0-9-.]{1,64}; resource types are capitalised names.
TYPE = r"(?P<resource_type>[A-Z][A-Za-z]{1,40})"
ID = r"(?P<id>[A-Za-z0-9\-.]{1,64})"

urlpatterns = [
    path("", views.TransactionView.as_view(), name="transaction"),
    path("metadata", views.MetadataView.as_view(), name="metadata"),
    re_path(rf"^Patient/{ID}/\$everything$", views.EverythingView.as_view(), name="everything"),
    re_path(rf"^{TYPE}$", views.SearchView.as_view(), name="search"),
    re_path(rf"^{TYPE}/{ID}$", views.ReadView.as_view(), name="read"),
]
# Anything else under /fhir/R4/ (an interaction ICN does not serve): 404 as an
# OperationOutcome, not the HTML page.
urlpatterns.append(re_path(r"^.*$", views.NotServedView.as_view(), name="not-served"))
