"""The guided install: from an unlocked phone to a running vendor-independent ROM.

- ``plan``: pure data. A device's install method (``firmware_index/methods/``) expanded for one
  phone, ROM and build into numbered steps in plain words, with the files each needs;
- ``choose``: which ROM, which build, which build file serves each artefact a method names;
- ``artefacts``: getting those files (downloader, ``--file``, a kit) and verifying them;
- ``kit``: offline kits, a directory with every file and a manifest, for people whose network
  cannot reach the ROM hosts;
- ``journal``: the journey recorded per phone in the user's state dir, so it can resume;
- ``link``: the phone across its modes (fastboot, fastbootd, recovery, sideload);
- ``preflight``: the checks before any write;
- ``runner``: runs (and resumes) a plan step by step.
"""
