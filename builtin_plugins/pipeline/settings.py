"""The pipeline's settings section [pipeline]."""

from kernel.settings import Section, Size


class PipelineSettings(Section):
    max_code_size: Size = 1024**2  # largest service code a branch may hold; more gets a 413
