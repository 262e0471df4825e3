"""Sample documents for `notary demo`: PDF permits and JSON traceability certificates.

The PDFs are written by a minimal PDF 1.4 writer (one page, Helvetica): the standard
fonts every reader has carry no Vietnamese glyphs, and embedding a font would tie the
demo to a font file on the machine, so the page shows the text without diacritics while
the metadata (sidecar, receipt, verification page) keeps it in full. The certificates
carry the fields of Circular 02/2024/TT-BKHCN on traceability: product, batch, origin,
growing-area code, quantity and dates.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

PUBLIC_FIELDS = ["documentType", "documentNumber", "product", "origin", "issuedOn"]
"""What a public verification of a demo document shows: never the holder."""
CERTIFICATE_PUBLIC = [*PUBLIC_FIELDS, "batch", "areaCode", "quantity", "harvestedOn"]


@dataclass(frozen=True)
class Sample:
    """A document to generate, its metadata and which of it is public."""

    name: str
    issuer: str
    """Key of the issuer in ISSUERS."""
    metadata: dict[str, Any]
    public: list[str]
    lines: Sequence[str] = field(default_factory=tuple)
    """The body of a PDF; empty for a JSON certificate."""

    def content(self) -> bytes:
        """The file's bytes: a one-page PDF, or the certificate as JSON."""
        if self.name.endswith(".pdf"):
            return pdf(self.lines)
        certificate = {k: v for k, v in self.metadata.items() if k != "documentType"}
        return (json.dumps(certificate, ensure_ascii=False, indent=2) + "\n").encode()


ISSUERS = {
    "dnre": ("Sở Tài nguyên và Môi trường tỉnh Lâm Đồng", "VN-35"),
    "dard": ("Sở Nông nghiệp và Phát triển nông thôn tỉnh Bắc Giang", "VN-54"),
}
SIGNING = "dnre"
"""The department that signs its documents with its own key; the other one's are vouched
for by the service, so the demo shows both."""

SAMPLES: tuple[Sample, ...] = (
    Sample(
        "giay-phep-moi-truong-0127.pdf",
        "dnre",
        {
            "documentType": "environmental-permit",
            "documentNumber": "127/GPMT-STNMT",
            "holder": "Công ty TNHH Chế biến Nông sản Đà Lạt",
            "product": "Xả nước thải sau xử lý, 350 m³/ngày đêm",
            "origin": "Phường 7, thành phố Đà Lạt, tỉnh Lâm Đồng",
            "issuedOn": "2026-03-02",
            "expiresOn": "2033-03-02",
        },
        PUBLIC_FIELDS,
        (
            "GIAY PHEP MOI TRUONG",
            "So: 127/GPMT-STNMT",
            "Co quan cap: So Tai nguyen va Moi truong tinh Lam Dong",
            "Cap cho: Cong ty TNHH Che bien Nong san Da Lat",
            "Noi dung: xa nuoc thai sau xu ly, 350 m3/ngay dem",
            "Hieu luc: 02/03/2026 - 02/03/2033",
        ),
    ),
    Sample(
        "giay-phep-moi-truong-0131.pdf",
        "dnre",
        {
            "documentType": "environmental-permit",
            "documentNumber": "131/GPMT-STNMT",
            "holder": "Hợp tác xã Cà phê Cầu Đất",
            "product": "Khí thải lò sấy cà phê, 12.000 m³/giờ",
            "origin": "Xã Xuân Trường, thành phố Đà Lạt, tỉnh Lâm Đồng",
            "issuedOn": "2026-03-09",
            "expiresOn": "2031-03-09",
        },
        PUBLIC_FIELDS,
        (
            "GIAY PHEP MOI TRUONG",
            "So: 131/GPMT-STNMT",
            "Co quan cap: So Tai nguyen va Moi truong tinh Lam Dong",
            "Cap cho: Hop tac xa Ca phe Cau Dat",
            "Noi dung: khi thai lo say ca phe, 12.000 m3/gio",
            "Hieu luc: 09/03/2026 - 09/03/2031",
        ),
    ),
    Sample(
        "quyet-dinh-giao-dat-0458.pdf",
        "dnre",
        {
            "documentType": "land-use-decision",
            "documentNumber": "458/QĐ-UBND",
            "holder": "Ông Nguyễn Văn An",
            "product": "Đất trồng cây lâu năm, 2.450 m², thửa 112, tờ bản đồ 27",
            "origin": "Xã Tà Nung, thành phố Đà Lạt, tỉnh Lâm Đồng",
            "issuedOn": "2026-02-20",
        },
        PUBLIC_FIELDS,
        (
            "QUYET DINH GIAO DAT",
            "So: 458/QD-UBND",
            "Giao cho: Ong Nguyen Van An",
            "Dien tich: 2.450 m2, thua 112, to ban do 27",
            "Muc dich: dat trong cay lau nam",
            "Dia diem: xa Ta Nung, thanh pho Da Lat, tinh Lam Dong",
        ),
    ),
    Sample(
        "chung-nhan-vai-thieu-LN-0612.json",
        "dard",
        {
            "documentType": "traceability-certificate",
            "documentNumber": "TXNG-BG-2026-0612",
            "holder": "Hợp tác xã Vải thiều Lục Ngạn",
            "product": "Vải thiều Lục Ngạn (quả tươi)",
            "batch": "LN-2026-06-12-A",
            "origin": "Xã Hồng Giang, huyện Lục Ngạn, tỉnh Bắc Giang",
            "areaCode": "VN-BGOR-0102",
            "quantity": "18.500 kg",
            "harvestedOn": "2026-06-12",
            "issuedOn": "2026-06-13",
        },
        CERTIFICATE_PUBLIC,
    ),
    Sample(
        "chung-nhan-xuat-khau-vai-thieu-LN-0614.json",
        "dard",
        {
            "documentType": "export-certificate",
            "documentNumber": "XK-BG-2026-0614",
            "holder": "Công ty CP Xuất nhập khẩu Nông sản Bắc Giang",
            "product": "Vải thiều Lục Ngạn (quả tươi), xuất khẩu Nhật Bản",
            "batch": "LN-2026-06-14-C",
            "origin": "Xã Phượng Sơn, huyện Lục Ngạn, tỉnh Bắc Giang",
            "areaCode": "VN-BGOR-0117",
            "quantity": "12.000 kg",
            "harvestedOn": "2026-06-14",
            "issuedOn": "2026-06-15",
        },
        CERTIFICATE_PUBLIC,
    ),
    Sample(
        "chung-nhan-ca-rot-HD-0305.json",
        "dard",
        {
            "documentType": "traceability-certificate",
            "documentNumber": "TXNG-BG-2026-0305",
            "holder": "Hợp tác xã Rau quả Đức Chính",
            "product": "Cà rốt (củ tươi)",
            "batch": "CR-2026-03-05-B",
            "origin": "Xã Đức Chính, thị xã Kinh Môn, tỉnh Hải Dương",
            "areaCode": "VN-HDOR-0045",
            "quantity": "25.000 kg",
            "harvestedOn": "2026-03-05",
            "issuedOn": "2026-03-06",
        },
        CERTIFICATE_PUBLIC,
    ),
)
REVOKED = "giay-phep-moi-truong-0131.pdf"
"""The demo revokes this one (superseded by a newer permit)."""


def ascii_text(text: str) -> str:
    """Vietnamese text without diacritics (đ → d), for the standard PDF fonts."""
    folded = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return (
        "".join(c for c in folded if not unicodedata.combining(c))
        .encode("ascii", "replace")
        .decode()
    )


def pdf(lines: Sequence[str]) -> bytes:
    """A valid one-page PDF 1.4 (A4, Helvetica) showing `lines`."""
    text = ["BT", "/F1 16 Tf", "72 770 Td", "22 TL"]
    for i, line in enumerate(lines):
        if i == 1:
            text.append("/F1 11 Tf")
        escaped = ascii_text(line).replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        text.append(f"({escaped}) Tj T*")
    text.append("ET")
    stream = "\n".join(text).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
