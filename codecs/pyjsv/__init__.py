"""pyjsv: ServiceStack's JSV and CSV text formats for Python."""

__version__ = "0.1.0"
