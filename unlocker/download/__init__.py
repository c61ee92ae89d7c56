"""Getting big files over slow, filtered or expensive networks without losing what already arrived.

Resumable (HTTP Range), verified against a sha256 that comes from the index or the ROM project
(never from the mirror that served the file), tried mirror by mirror, and happy to take a file
the user already has (USB stick, local mirror) when its checksum matches.
"""

from unlocker.download.fetch import Artifact, fetch
from unlocker.errors import DownloadError

__all__ = ["Artifact", "DownloadError", "fetch"]
