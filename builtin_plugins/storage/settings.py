"""The storage plugin's settings section [files] (the kernel's [storage] path says where m3m's
data lives; this section, how much of it a project's files may take)."""

from pydantic import Field

from kernel.settings import Duration, Int, Section, Size


class FilesSettings(Section):
    max_upload: Size = 1024**3  # largest upload request (all its files); more is a 413
    max_text: Size = 10 * 1024**2  # largest body of PUT .../storage/content
    max_project_size: Size = 10 * 1024**3  # all of a project's files together; more is a 507
    max_read: Size = 64 * 1024**2  # largest file $storage.read / readBytes hands to a service
    max_page: Int = Field(1000, ge=1)  # largest perPage of a folder listing
    link_default_expiry: Duration = 7 * 86400
    link_max_expiry: Duration = 365 * 86400
    thumb_max_pixels: Int = Field(40_000_000, ge=1)  # larger images get no thumbnail (422)
    thumb_max_bytes: Size = 50 * 1024**2
    thumb_cache: Int = Field(8, ge=1)  # thumbnails kept per file (the newest sizes asked); another size is made again
