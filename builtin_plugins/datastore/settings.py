"""The data store's settings section [datastore]: the caps that keep a query or a write small."""

from pydantic import Field

from kernel.settings import Duration, Int, Section, Size


class DatastoreSettings(Section):
    max_models: Int = Field(200, ge=1)  # models per project
    max_fields: Int = Field(100, ge=1)  # fields per model
    max_filter_length: Int = Field(4096, ge=16)  # characters of a filter; more is a 400
    max_filter_depth: Int = Field(8, ge=1)  # nesting of parentheses
    max_filter_terms: Int = Field(40, ge=1)  # comparisons in one filter
    max_contains_wildcards: Int = Field(4, ge=0)  # `%` inside one `~` value
    max_ref_matches: Int = Field(10_000, ge=1)  # records a `ref.field` condition may name; more is a 400
    max_per_page: Int = Field(500, ge=1)
    max_expand_size: Size = 16 * 1024**2  # JSON of the expanded records of one answer, each counted where it appears; more is a 400
    max_document: Size = 1024**2  # default largest `document`/`json` value (JSON bytes)
    max_text: Int = Field(1_000_000, ge=1)  # characters of a `text` value when its options set no max
    max_string: Int = Field(5000, ge=1)  # characters of a `string`/`email`/`url` when no max is set
    max_file_size: Size = 5 * 1024**2  # one file of a `file` field when its maxSize option is not set
    max_batch: Int = Field(100, ge=1)  # requests in one POST .../records/batch
    max_import: Int = Field(10_000, ge=1)  # rows in one import
    max_import_body: Size = 50 * 1024**2  # bytes of an import request
    events_ping: Duration = 15  # seconds between keep-alive comments on .../records/events
