"""Uploaded images: checked by decoding them, stored in the database by content hash.

An image is accepted when Pillow decodes it as PNG, JPEG, GIF or WebP (the
name and the browser's content type are not trusted), it is at most
``UPLOAD_MAX_BYTES`` long and at most ``UPLOAD_MAX_SIDE`` pixels a side.
Rows are keyed by SHA-256, so every process (and a CDN in front) serves the
same bytes under the same URL forever: ``/media/<sha256>.<ext>``.
"""

from __future__ import annotations

import hashlib
import io
import warnings

from flask import current_app, url_for
from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine.errors import ImportTooLarge, Unprocessable
from engine.extensions import db
from engine.models import Upload

FORMATS = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg"),
           "GIF": ("image/gif", "gif"), "WEBP": ("image/webp", "webp")}


def _decode(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
            image.verify()  # reads the whole file: truncated or corrupt data fails here
        return image
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Unprocessable("不是可用的图片（支持 PNG、JPEG、GIF、WebP）", code="invalid_image",
                            fields={"file": ["不是可用的图片"]}) from None


def check_image(data: bytes) -> tuple[str, str, int, int]:
    """Return (content type, extension, width, height) of an acceptable image, or raise."""
    limit, side = current_app.config["UPLOAD_MAX_BYTES"], current_app.config["UPLOAD_MAX_SIDE"]
    if len(data) > limit:
        raise ImportTooLarge(f"图片不能超过 {limit // 1024} KB", fields={"file": ["太大"]})
    if not data:
        raise Unprocessable("文件是空的", code="invalid_image", fields={"file": ["空文件"]})
    image = _decode(data)
    width, height = image.size
    if width > side or height > side or width < 1 or height < 1:
        raise Unprocessable(f"图片边长不能超过 {side} 像素", code="image_too_large",
                            fields={"file": [f"边长不超过 {side} 像素"]})
    content_type, ext = FORMATS[image.format]
    return content_type, ext, width, height


def store_image(brand_id: int, data: bytes, marketer_id: int | None) -> Upload:
    """Check and store an image once by its SHA-256; return its row."""
    content_type, ext, width, height = check_image(data)
    digest = hashlib.sha256(data).hexdigest()
    found = db.session.scalar(select(Upload).where(Upload.sha256 == digest))
    if found is not None:
        return found
    row = Upload(brand_id=brand_id, sha256=digest, content_type=content_type, extension=ext,
                 size=len(data), width=width, height=height, data=data,
                 uploaded_by=marketer_id)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # the same bytes stored by a concurrent upload
        return db.session.scalar(select(Upload).where(Upload.sha256 == digest))
    db.session.commit()
    return row


def url_of(upload: Upload) -> str:
    """Return the content-hashed path an image is served at."""
    return url_for("media.image", sha256=upload.sha256, ext=upload.extension)


def find(sha256: str, ext: str) -> Upload | None:
    """Return the image stored under ``sha256`` with extension ``ext``, if any."""
    row = db.session.scalar(select(Upload).where(Upload.sha256 == sha256))
    return row if row is not None and row.extension == ext else None
