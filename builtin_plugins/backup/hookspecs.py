"""The hooks of backups (added by the backup plugin's m3m_add_hookspecs); docs/hooks.md documents
them under their exact signatures."""

from pluggy import HookspecMarker

hookspec = HookspecMarker("m3m")


@hookspec
def m3m_writes_held(app, timeout):
    """Return an async context manager under which this plugin's own writes (those not made
    through the API, e.g. services') wait, or None; entered while a backup reads, for at most
    `timeout` seconds of waiting for the writes already under way; its value is how many are
    still under way then (0: the backup is consistent)."""


@hookspec
def m3m_transient_collections():
    """Return the names of this plugin's collections whose documents only matter to the running
    instance for a while (counters, locks, caches); a backup leaves them out and a restore does
    not bring them back, so a restored instance starts them empty."""
