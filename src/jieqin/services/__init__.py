"""Use cases: what a campaign does, each over one unit of work.

Each module is one use case (pairing, needs, aid, activities, follow-up, reports,
duplicates) written against the storage protocols of :mod:`jieqin.storage.base`, so it
runs on every backend; the write checks every record passes are in
:mod:`jieqin.services.checks`. :class:`jieqin.Campaign` opens the units of work and
calls these; services commit, reports never write.
"""
