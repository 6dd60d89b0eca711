"""Whether the printed QR's fixed data mask reads back as well as the one zxing-cpp
chooses by the standard's penalty score (`tickets.documents.qr_image`).

    uv run python -m bench.qr_mask [--codes 150]

Random codes of a ticket's shape (`TS1.<80 bytes>.<64 bytes>`, base64url) are encoded
both ways at 4 pixels a module, then copies are blurred, shrunk and given noise at rising
strength, and read back with zxing-cpp's reader. Prints JSON: per strength, the share
read back correctly with each mask, and the encoding time of each.
"""

from __future__ import annotations

import argparse
import base64
import json
import secrets
import time
from typing import Any

import numpy as np
import zxingcpp
from PIL import Image, ImageFilter

from ticketsafe.tickets.documents import QR_MASK

SCALE = 4  # pixels per module: a print or a photo of one, not the PDF's own image

# (Gaussian blur radius in pixels, scale, noise standard deviation in grey levels)
STRENGTHS = [(0.0, 1.0, 0), (1.0, 0.75, 20), (1.2, 0.75, 30), (1.5, 0.75, 40)]


def _code() -> str:
    def b64(n: int) -> str:
        return base64.urlsafe_b64encode(secrets.token_bytes(n)).decode().rstrip("=")

    return f"TS1.{b64(80)}.{b64(64)}"


def _encode(code: str, mask: int | None) -> Image.Image:
    options: dict[str, Any] = {"ec_level": "M"}
    if mask is not None:
        options["data_mask"] = mask
    symbol = zxingcpp.create_barcode(code, zxingcpp.BarcodeFormat.QRCode, **options)
    return Image.fromarray(symbol.to_image(scale=SCALE, add_quiet_zones=True))


def _degraded(image: Image.Image, blur: float, scale: float, noise: int, rng: Any) -> Any:
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    size = int(image.width * scale)
    image = image.resize((size, size), Image.Resampling.BILINEAR)
    pixels = np.asarray(image).astype(float) + rng.normal(0, noise, (size, size))
    return Image.fromarray(np.clip(pixels, 0, 255).astype("uint8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, default=150)
    args = parser.parse_args()
    codes = [_code() for _ in range(args.codes)]
    masks = {"chosen by penalty": None, f"fixed {QR_MASK}": QR_MASK}
    rng = np.random.default_rng(1)
    report: dict[str, Any] = {"codes": len(codes), "encode_ms": {}, "read_back": []}
    for name, mask in masks.items():
        started = time.perf_counter()
        for code in codes:
            _encode(code, mask)
        report["encode_ms"][name] = round(1000 * (time.perf_counter() - started) / len(codes), 3)
    for blur, scale, noise in STRENGTHS:
        row: dict[str, Any] = {"blur_px": blur, "scale": scale, "noise": noise}
        for name, mask in masks.items():
            read = 0
            for code in codes:
                found = zxingcpp.read_barcodes(
                    _degraded(_encode(code, mask), blur, scale, noise, rng)
                )
                read += bool(found) and found[0].text == code
            row[name] = round(read / len(codes), 3)
        report["read_back"].append(row)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
