"""Reading a PDF response in tests (the minutes, a person's summary): it is a PDF, and its
text, spaces collapsed."""

import io

from pypdf import PdfReader


def pdf_text(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
