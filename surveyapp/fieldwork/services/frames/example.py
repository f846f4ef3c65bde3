"""An example one-stop records file for a survey's own agencies, with a few broken rows.

A new user downloads it, uploads it back and sees the whole import: the column mapping
guessed from Vietnamese headers, a report naming each broken row, and an import that
skips them only when asked. The rows are the same for the same agencies.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import date, timedelta

HEADER = ["Mã hồ sơ", "Cơ quan", "Lĩnh vực", "Thủ tục", "Ngày tiếp nhận", "Ngày hẹn trả",
          "Ngày trả kết quả", "Hình thức", "Họ tên", "Số điện thoại", "Email",
          "Quận/Huyện"]  # fmt: skip
# Service fields of the demo province's agencies; others get the generic ones.
FIELDS_BY_AGENCY = {
    "SXD": ("Xây dựng", "Quy hoạch kiến trúc"),
    "STNMT": ("Đất đai", "Môi trường"),
    "STP": ("Hộ tịch", "Lý lịch tư pháp"),
    "SKHDT": ("Thành lập và hoạt động doanh nghiệp", "Đầu tư"),
    "SLDTBXH": ("Người có công", "Bảo trợ xã hội"),
    "SGTVT": ("Đường bộ", "Đăng kiểm"),
    "TPAH": ("Hộ tịch", "Đất đai"),
    "HTP": ("Chứng thực", "Đất đai"),
}
GENERIC_FIELDS = ("Hành chính tư pháp", "Đất đai")
PROCEDURES = {
    "Xây dựng": "Cấp giấy phép xây dựng",
    "Đất đai": "Cấp giấy chứng nhận quyền sử dụng đất",
    "Hộ tịch": "Đăng ký khai sinh",
    "Chứng thực": "Chứng thực bản sao từ bản chính",
}
DISTRICTS = ("Thành phố An Hòa", "Huyện Tân Phú", "Huyện Bình Sơn", "Thị xã Phước Long")
NAMES = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Minh Châu", "Phạm Thu Dung", "Hoàng Văn Em",
         "Vũ Thị Giang", "Đặng Quốc Huy", "Bùi Thị Lan")  # fmt: skip
ROWS = 120


def example_rows(agency_codes: Sequence[str]) -> Iterator[list[str]]:
    """The header, then ``ROWS`` records and five broken ones among them (CSV cells)."""
    rng = random.Random(2026)
    codes = list(agency_codes) or ["SXD"]
    yield HEADER
    start = date(2026, 3, 2)
    for n in range(1, ROWS + 1):
        agency = codes[n % len(codes)]
        field = rng.choice(FIELDS_BY_AGENCY.get(agency, GENERIC_FIELDS))
        received = start + timedelta(days=rng.randrange(60))
        due = received + timedelta(days=rng.randrange(3, 16))
        returned = due + timedelta(days=rng.choice((-2, -1, 0, 0, 0, 1, 4)))
        online = rng.random() < 0.4
        row = [
            f"H{n:05d}.26", agency, field, PROCEDURES.get(field, f"Thủ tục {field.lower()}"),
            f"{received:%d/%m/%Y}", f"{due:%d/%m/%Y}",
            f"{returned:%d/%m/%Y}" if rng.random() < 0.9 else "",
            "Trực tuyến" if online else "Trực tiếp", rng.choice(NAMES),
            f"09{rng.randrange(10**8):08d}", f"nguoidan{n}@example.vn" if online else "",
            rng.choice(DISTRICTS),
        ]  # fmt: skip
        yield _broken(n, row, codes)


def _broken(n: int, row: list[str], codes: list[str]) -> list[str]:
    """Rows 10, 25, 40, 55 and 70 (file rows 11, 26, …) each carry one mistake."""
    if n == 10:
        row[1] = codes[0] + "2"  # an agency code mistyped
    elif n == 25:
        row[4] = "31/02/2026"  # a day that does not exist
    elif n == 40:
        row[5] = "01/01/2026"  # due before received
    elif n == 55:
        row[0] = "H00012.26"  # the dossier code of record 12 again
    elif n == 70:
        row[9] = "09123"  # too short for a phone number
    return row
