"""Pages as PDF (the minutes, a person's summary) with WeasyPrint: the same context and the
same access rules as the page, rendered from a print template (templates/pdf/). WeasyPrint
needs Pango and HarfBuzz from the OS (the Dockerfile installs them)."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


def pdf_bytes(request: HttpRequest, template: str, context: dict[str, Any]) -> bytes:
    html = render_to_string(template, context, request=request)
    return html_pdf(html, base_url=request.build_absolute_uri("/"))


def html_pdf(html: str, base_url: str | None = None) -> bytes:
    """The PDF of an HTML string (also for PDFs made outside a request, by a task)."""
    from weasyprint import HTML  # loads the OS libraries: only when a PDF is asked for

    pdf: bytes = HTML(string=html, base_url=base_url).write_pdf()
    return pdf


def pdf_response(
    request: HttpRequest, template: str, context: dict[str, Any], filename: str
) -> HttpResponse:
    """The PDF, opened in the browser (inline) and never cached: it holds patient data."""
    response = HttpResponse(pdf_bytes(request, template, context), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
